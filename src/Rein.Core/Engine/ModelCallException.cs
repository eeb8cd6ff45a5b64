namespace Rein.Engine;

/// <summary>
/// A model call failed in a way the user can act on: the provider refused the request, answered with something that is
/// not a model response, or its answer stopped before it was complete. The message is written for the user, as is.
/// </summary>
/// <remarks>The loop journals it as a failed model call and ends the session with <c>model_error</c>; the session can be resumed.</remarks>
public sealed class ModelCallException : Exception
{
    /// <summary>Creates the exception.</summary>
    public ModelCallException()
        : this("The model call failed.")
    {
    }

    /// <summary>Creates the exception with a message for the user.</summary>
    /// <param name="message">What went wrong, in the user's terms.</param>
    public ModelCallException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message for the user and the failure behind it.</summary>
    /// <param name="message">What went wrong, in the user's terms.</param>
    /// <param name="innerException">The failure behind it (kept for logs, never shown).</param>
    public ModelCallException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }
}
