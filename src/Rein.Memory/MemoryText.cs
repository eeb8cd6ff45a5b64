using System.Collections.Frozen;
using System.Security.Cryptography;
using System.Text;

namespace Rein.Memory;

/// <summary>Turns text into search terms, FTS5 queries and dedupe keys.</summary>
internal static class MemoryText
{
    /// <summary>The most terms one query sends to FTS5.</summary>
    public const int MaxQueryTerms = 32;

    // Common English words carry no topic: they would match every memory and say nothing about a task shift.
    private static readonly FrozenSet<string> StopWords = FrozenSet.Create(StringComparer.Ordinal,
        "a", "about", "after", "again", "all", "also", "am", "an", "and", "any", "are", "as", "at", "be", "been", "before",
        "but", "by", "can", "could", "did", "do", "does", "doing", "done", "for", "from", "get", "got", "had", "has", "have",
        "he", "her", "here", "him", "his", "how", "i", "if", "in", "into", "is", "it", "its", "just", "let", "like", "make",
        "me", "more", "my", "no", "not", "now", "of", "on", "one", "or", "our", "out", "please", "she", "should", "so",
        "some", "than", "that", "the", "their", "them", "then", "there", "these", "they", "this", "those", "to", "too",
        "up", "us", "use", "very", "was", "we", "were", "what", "when", "where", "which", "while", "who", "why", "will",
        "with", "would", "you", "your", "yes", "ok", "okay", "thanks", "thank");

    /// <summary>Splits text into lower-case terms: runs of letters and digits, without stop words and single characters.</summary>
    /// <param name="text">Any text.</param>
    /// <returns>The terms in order of first appearance, without duplicates.</returns>
    public static IReadOnlyList<string> Terms(string? text)
    {
        var terms = new List<string>();
        if (string.IsNullOrEmpty(text))
        {
            return terms;
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        var current = new StringBuilder();
        foreach (var c in text.Append(' '))
        {
            if (char.IsLetterOrDigit(c))
            {
                current.Append(char.ToLowerInvariant(c));
                continue;
            }

            if (current.Length > 1 && current.Length <= 64)
            {
                var term = current.ToString();
                if (!StopWords.Contains(term) && seen.Add(term))
                {
                    terms.Add(term);
                }
            }

            current.Clear();
        }

        return terms;
    }

    /// <summary>
    /// Builds an FTS5 query that matches any of the text's terms. Each term is a quoted string, so nothing the user
    /// typed is read as FTS5 syntax (operators, column filters, prefixes).
    /// </summary>
    /// <param name="text">The user's query.</param>
    /// <returns>The query, or null when the text has no terms.</returns>
    public static string? ToFtsQuery(string? text)
    {
        var terms = Terms(text);
        // Terms hold only letters and digits, so they never contain a quote.
        return terms.Count == 0 ? null : string.Join(" OR ", terms.Take(MaxQueryTerms).Select(t => $"\"{t}\""));
    }

    /// <summary>The dedupe key: case, surrounding space, runs of white space and a final full stop do not make a new memory.</summary>
    /// <param name="text">The memory's text.</param>
    /// <returns>The key.</returns>
    public static string DedupeKey(string text) =>
        string.Join(' ', text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)).TrimEnd('.').ToLowerInvariant();

    /// <summary>Normalizes tags: trimmed, lower case, no commas, no duplicates, in the given order.</summary>
    /// <param name="tags">The tags.</param>
    /// <returns>The tags.</returns>
    public static IReadOnlyList<string> NormalizeTags(IEnumerable<string>? tags) =>
        tags is null ? [] : [.. tags.Select(t => t.Replace(',', ' ').Trim().ToLowerInvariant()).Where(t => t.Length > 0).Distinct(StringComparer.Ordinal)];

    /// <summary>Creates a new memory identifier: <c>m_</c> and 10 characters of lower-case Crockford base32 (50 random bits).</summary>
    /// <returns>The identifier.</returns>
    public static string NewId()
    {
        const string alphabet = "0123456789abcdefghjkmnpqrstvwxyz";
        Span<byte> bytes = stackalloc byte[8];
        RandomNumberGenerator.Fill(bytes);
        var bits = BitConverter.ToUInt64(bytes);
        Span<char> id = stackalloc char[12];
        id[0] = 'm';
        id[1] = '_';
        for (var i = 2; i < id.Length; i++)
        {
            id[i] = alphabet[(int)(bits & 31)];
            bits >>= 5;
        }

        return new string(id);
    }
}
