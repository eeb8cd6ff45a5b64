using System.Collections.Concurrent;

namespace Rein.Context.Tokens;

/// <summary>
/// Remembers the token counts of long strings, so re-counting a long session's unchanged history each step costs
/// a hash lookup per string instead of a tokenization.
/// </summary>
/// <remarks>
/// Bounded: at most <see cref="MaxEntries"/> strings and <see cref="MaxChars"/> characters are kept; when either is
/// exceeded the cache starts over (the next step re-fills it with what is still in the context). Thread-safe.
/// </remarks>
internal sealed class TokenCountCache
{
    /// <summary>Strings shorter than this are counted directly: tokenizing them costs about as much as a lookup.</summary>
    public const int MinLength = 64;

    /// <summary>The most strings kept: 8,192.</summary>
    public const int MaxEntries = 8_192;

    /// <summary>The most characters kept (about 32 MB): 16 million.</summary>
    public const long MaxChars = 16_000_000;

    private readonly ConcurrentDictionary<string, int> _counts = new(StringComparer.Ordinal);
    private long _chars;

    /// <summary>Gets how many strings are cached.</summary>
    public int Count => _counts.Count;

    /// <summary>Returns the cached count of <paramref name="text"/>, counting and caching it when missing.</summary>
    public int GetOrCount(string text, Func<string, int> count)
    {
        if (text.Length < MinLength)
        {
            return count(text);
        }

        if (_counts.TryGetValue(text, out var cached))
        {
            return cached;
        }

        var tokens = count(text);
        if (_counts.Count >= MaxEntries || Interlocked.Add(ref _chars, text.Length) > MaxChars)
        {
            _counts.Clear();
            Interlocked.Exchange(ref _chars, text.Length);
        }

        _counts.TryAdd(text, tokens);
        return tokens;
    }
}
