namespace Rein.Context.CodeMemory;

/// <summary>Lines of a file an observation showed the model.</summary>
/// <param name="Path">The file's path, relative to the workspace.</param>
/// <param name="StartLine">The 1-based number of the first line shown.</param>
/// <param name="Lines">The lines shown, exactly, without line breaks.</param>
/// <param name="ReachesEnd">Whether the last line shown is the file's last line.</param>
public sealed record FileView(string Path, int StartLine, IReadOnlyList<string> Lines, bool ReachesEnd)
{
    /// <summary>Gets the 1-based number of the last line shown (one less than <see cref="StartLine"/> when none were).</summary>
    public int EndLine => StartLine + Lines.Count - 1;
}
