namespace Rein.Guard.Hooks;

/// <summary>A settings file's <c>hooks</c> section is malformed.</summary>
/// <remarks>The message names the file and the JSON path of the bad value, e.g. <c>hooks.PreToolUse[0].hooks[1].command must be a string</c>.</remarks>
public sealed class HookConfigException : Exception
{
    /// <summary>Creates the exception.</summary>
    public HookConfigException()
        : this("The hooks configuration is invalid.")
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">What is wrong.</param>
    public HookConfigException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and its cause.</summary>
    /// <param name="message">What is wrong.</param>
    /// <param name="innerException">The cause.</param>
    public HookConfigException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception for a bad value in a settings file.</summary>
    /// <param name="filePath">The settings file.</param>
    /// <param name="jsonPath">Where in the file, e.g. <c>hooks.PreToolUse[0].matcher</c>.</param>
    /// <param name="problem">What is wrong with the value, e.g. <c>must be a string</c>.</param>
    /// <param name="innerException">The cause, if any.</param>
    public HookConfigException(string filePath, string jsonPath, string problem, Exception? innerException = null)
        : base($"{filePath}: {jsonPath} {problem}", innerException)
    {
        FilePath = filePath;
        JsonPath = jsonPath;
    }

    /// <summary>Gets the settings file, if known.</summary>
    public string? FilePath { get; }

    /// <summary>Gets the JSON path of the bad value, if known.</summary>
    public string? JsonPath { get; }
}
