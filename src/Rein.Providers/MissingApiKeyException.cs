namespace Rein.Providers;

/// <summary>Thrown by <see cref="ModelProviders.Create"/> when a provider needs an API key and none was given or found in the environment.</summary>
public sealed class MissingApiKeyException : InvalidOperationException
{
    /// <summary>Creates the exception for a missing environment variable.</summary>
    /// <param name="variableName">The environment variable that would hold the key, e.g. <c>OPENAI_API_KEY</c>.</param>
    public MissingApiKeyException(string variableName)
        : base($"{variableName} is not set. Export it to use this provider (keys are read from the environment only and never journaled).")
    {
        VariableName = variableName;
    }

    /// <summary>Creates the exception with no variable name.</summary>
    public MissingApiKeyException()
        : this("The API key")
    {
    }

    /// <summary>Creates the exception with a custom message.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause, if any.</param>
    public MissingApiKeyException(string message, Exception? innerException)
        : base(message, innerException)
    {
        VariableName = string.Empty;
    }

    /// <summary>The environment variable that would hold the key, e.g. <c>OPENAI_API_KEY</c>.</summary>
    public string VariableName { get; } = string.Empty;
}
