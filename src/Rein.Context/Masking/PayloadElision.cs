using System.Globalization;

namespace Rein.Context.Masking;

/// <summary>
/// How masking shows an old tool call that carried a large payload (the content of a file the agent wrote
/// or edited): the call stays, the content gives way to a note — the result is in the file.
/// </summary>
public static class PayloadElision
{
    /// <summary>The smallest payload, in characters, worth eliding.</summary>
    public const int MinChars = 800;

    /// <summary>The note that replaces a payload.</summary>
    /// <param name="tool">The tool called.</param>
    /// <param name="target">The file (or command) the call wrote to.</param>
    /// <param name="payload">The elided text.</param>
    public static string Note(string tool, string target, string payload)
    {
        ArgumentNullException.ThrowIfNull(payload);
        var lines = payload.Count(c => c == '\n') + 1;
        return string.Create(CultureInfo.InvariantCulture,
            $"[{tool} {target}: {lines} lines of content elided to save context; the file holds the result — read it to see it]");
    }
}
