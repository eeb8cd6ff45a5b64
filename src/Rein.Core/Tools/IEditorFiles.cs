namespace Rein.Tools;

/// <summary>
/// The files of an editor the session works for (over the Agent Client Protocol): file tools read a file's text as the
/// editor has it (unsaved changes included) and write through it, after the policy has judged the file's real path.
/// </summary>
/// <remarks>Implementations must be thread-safe. A failure to read or write through the editor falls back to the file on disk.</remarks>
public interface IEditorFiles
{
    /// <summary>Gets whether the editor reads files for the session.</summary>
    bool CanRead { get; }

    /// <summary>Gets whether the editor writes files for the session.</summary>
    bool CanWrite { get; }

    /// <summary>Reads a file's text as the editor has it.</summary>
    /// <param name="path">The absolute path, inside the workspace, already allowed by the policy.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The text, or null when the editor could not read it (then the file on disk is read).</returns>
    ValueTask<string?> ReadTextAsync(string path, CancellationToken cancellationToken = default);

    /// <summary>Writes a file's whole text through the editor.</summary>
    /// <param name="path">The absolute path, inside the workspace, already allowed by the policy.</param>
    /// <param name="content">The new text.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>Whether the editor wrote it (when not, the file on disk is written).</returns>
    ValueTask<bool> WriteTextAsync(string path, string content, CancellationToken cancellationToken = default);
}
