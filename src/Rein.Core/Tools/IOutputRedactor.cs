namespace Rein.Tools;

/// <summary>
/// Replaces sensitive values (stored secrets) in tool output. Tools that shorten an output use it to cut only between
/// values, never through one, so that no fragment of a value survives the cut where it could no longer be recognised.
/// </summary>
/// <remarks>Implementations are immutable and thread-safe.</remarks>
public interface IOutputRedactor
{
    /// <summary>Gets the length, in characters, of the longest text <see cref="Redact"/> replaces; 0 when it replaces nothing.</summary>
    int MaxMatchLength { get; }

    /// <summary>Replaces every sensitive value in the text.</summary>
    /// <param name="text">The text.</param>
    /// <returns>The redacted text; <paramref name="text"/> itself when nothing was replaced.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="text"/> is null.</exception>
    string Redact(string text);

    /// <summary>Finds the replaced text that a cut at <paramref name="index"/> would split.</summary>
    /// <param name="text">The text about to be cut.</param>
    /// <param name="index">Where the cut would be: between <c>text[index - 1]</c> and <c>text[index]</c>.</param>
    /// <returns>
    /// The span (overlapping values merged) that starts before <paramref name="index"/> and ends after it, or
    /// <see langword="null"/> when the cut splits none. Only values that lie wholly in <paramref name="text"/> are found.
    /// </returns>
    /// <exception cref="ArgumentNullException"><paramref name="text"/> is null.</exception>
    Range? SpanAcross(string text, int index);
}
