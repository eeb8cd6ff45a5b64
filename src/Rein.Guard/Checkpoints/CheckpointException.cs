namespace Rein.Guard.Checkpoints;

/// <summary>A snapshot, restore or diff of a workspace failed.</summary>
/// <remarks>Derives from <see cref="InvalidOperationException"/> so callers that report operation failures report it too.</remarks>
public sealed class CheckpointException : InvalidOperationException
{
    /// <summary>Creates the exception.</summary>
    public CheckpointException()
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">What failed, in words a user understands.</param>
    public CheckpointException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">What failed, in words a user understands.</param>
    /// <param name="innerException">The cause.</param>
    public CheckpointException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Gets whether git could not be started at all (not installed or not on <c>PATH</c>).</summary>
    public bool GitMissing { get; init; }
}
