using System.Buffers;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Rein.Tools;

namespace Rein.Guard.Secrets;

/// <summary>
/// Replaces secret values in text with <c>[REDACTED:NAME]</c>: the raw value and the forms a command commonly prints it
/// in — base64 (standard and URL-safe, padded or not, and the three alignments it takes inside a longer base64 stream,
/// e.g. <c>base64("user:" + token)</c>), percent-encoding (RFC 3986, form encoding with <c>+</c>, upper- and lower-case
/// hex) and JSON string escaping.
/// </summary>
/// <remarks>
/// <para>
/// Values shorter than <see cref="MinimumLength"/> characters are not redacted: short strings (<c>admin</c>, <c>1234</c>,
/// <c>true</c>) occur naturally in output, so redacting them would mangle unrelated text, and where the markers appear
/// would itself reveal the value. Their base64 fragments would be shorter still and match at random.
/// </para>
/// <para>
/// Immutable and thread-safe. All forms of all secrets are found in one pass with a precomputed multi-string search
/// (<see cref="SearchValues{T}"/>); text without secrets is returned as the same instance. When matches overlap (two
/// secrets sharing characters), the union of their spans is replaced and the marker names both.
/// </para>
/// </remarks>
public sealed class SecretRedactor : IOutputRedactor
{
    /// <summary>The shortest value that is redacted: 6 characters.</summary>
    public const int MinimumLength = 6;

    private const string Unreserved = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~";
    private static readonly JavaScriptEncoder[] JsonEncoders = [JavaScriptEncoder.UnsafeRelaxedJsonEscaping, JavaScriptEncoder.Default];

    // Characters each common percent-encoder leaves as they are, beyond letters and digits: RFC 3986 (Uri.EscapeDataString,
    // curl), Python's quote (keeps '/'), JavaScript's encodeURIComponent, and WebUtility/HttpUtility form encoding.
    private static readonly (string Kept, bool SpaceAsPlus)[] UrlEncoders =
    [
        (Unreserved, false),
        (Unreserved, true),
        (Unreserved + "/", false),
        (Unreserved + "!'()*", false),
        ("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.!*()", true),
    ];

    private readonly SearchValues<string>? _search;
    private readonly Dictionary<char, Pattern[]> _byFirstChar;

    /// <summary>Creates a redactor for the given secrets.</summary>
    /// <param name="secrets">Pairs of secret name and value. Values shorter than <see cref="MinimumLength"/> are ignored; a value stored under two names is labelled with the first in ordinal order.</param>
    /// <exception cref="ArgumentNullException"><paramref name="secrets"/> is null.</exception>
    public SecretRedactor(IEnumerable<KeyValuePair<string, string>> secrets)
    {
        ArgumentNullException.ThrowIfNull(secrets);
        var patterns = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, value) in secrets.OrderBy(s => s.Key, StringComparer.Ordinal))
        {
            if (value is null || value.Length < MinimumLength)
            {
                continue;
            }

            foreach (var form in FormsOf(value).Where(f => f.Length >= MinimumLength))
            {
                patterns.TryAdd(form, name);
            }
        }

        _byFirstChar = patterns
            .GroupBy(p => p.Key[0])
            .ToDictionary(g => g.Key, g => g.OrderByDescending(p => p.Key.Length).Select(p => new Pattern(p.Key, p.Value)).ToArray());
        _search = patterns.Count == 0 ? null : SearchValues.Create([.. patterns.Keys], StringComparison.Ordinal);
        MaxMatchLength = patterns.Count == 0 ? 0 : patterns.Keys.Max(p => p.Length);
        SecretCount = patterns.Values.Distinct(StringComparer.Ordinal).Count();
    }

    /// <summary>Gets a redactor that redacts nothing.</summary>
    public static SecretRedactor Empty { get; } = new([]);

    /// <summary>Gets how many secrets this redactor redacts (those at least <see cref="MinimumLength"/> long).</summary>
    public int SecretCount { get; }

    /// <summary>Gets whether this redactor redacts nothing.</summary>
    public bool IsEmpty => _search is null;

    /// <inheritdoc />
    /// <remarks>The longest form of any secret (percent-encoding can make a form three times as long as the value).</remarks>
    public int MaxMatchLength { get; }

    /// <summary>Creates a redactor for every secret a resolver knows.</summary>
    /// <param name="resolver">The secrets, e.g. a <see cref="SecretStore"/>.</param>
    /// <returns>The redactor; a snapshot of the values now stored.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="resolver"/> is null.</exception>
    public static SecretRedactor Create(ISecretResolver resolver)
    {
        ArgumentNullException.ThrowIfNull(resolver);
        var secrets = new List<KeyValuePair<string, string>>();
        foreach (var name in resolver.SecretNames)
        {
            if (resolver.TryGetSecret(name, out var value))
            {
                secrets.Add(new(name, value));
            }
        }

        return new SecretRedactor(secrets);
    }

    /// <summary>Whether the text contains any form of any secret.</summary>
    /// <param name="text">The text.</param>
    /// <returns><see langword="true"/> when <see cref="Redact"/> would change the text.</returns>
    public bool ContainsSecret(ReadOnlySpan<char> text) => _search is not null && text.IndexOfAny(_search) >= 0;

    /// <summary>Replaces every form of every secret with <c>[REDACTED:NAME]</c>.</summary>
    /// <param name="text">The text, e.g. a tool's output.</param>
    /// <returns>The redacted text; <paramref name="text"/> itself when it holds no secret.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="text"/> is null.</exception>
    public string Redact(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (_search is null)
        {
            return text;
        }

        var span = text.AsSpan();
        var position = span.IndexOfAny(_search);
        if (position < 0)
        {
            return text;
        }

        var output = new StringBuilder(text.Length);
        var copied = 0;
        var regionStart = -1;
        var regionEnd = -1;
        var names = new List<string>(1);
        while (position >= 0)
        {
            var (length, name) = LongestAt(span, position);
            if (regionStart >= 0 && position < regionEnd)
            {
                regionEnd = Math.Max(regionEnd, position + length);
                if (!names.Contains(name))
                {
                    names.Add(name);
                }
            }
            else
            {
                Flush();
                regionStart = position;
                regionEnd = position + length;
                names.Add(name);
            }

            // Search again from the next character, not the match's end, so a secret overlapping this one is found too.
            var next = span[(position + 1)..].IndexOfAny(_search);
            position = next < 0 ? -1 : position + 1 + next;
        }

        Flush();
        output.Append(text, copied, text.Length - copied);
        return output.ToString();

        void Flush()
        {
            if (regionStart < 0)
            {
                return;
            }

            output.Append(text, copied, regionStart - copied).Append("[REDACTED:").AppendJoin(',', names).Append(']');
            copied = regionEnd;
            names.Clear();
        }
    }

    /// <inheritdoc />
    public Range? SpanAcross(string text, int index)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (_search is null || index <= 0 || index >= text.Length)
        {
            return null;
        }

        Range? across = null;
        var cut = index;
        // A match split by the cut starts less than the longest form's length before it; widening the cut to the start of
        // what it splits may split an earlier, overlapping match, so look again from there.
        while (true)
        {
            var from = Math.Max(0, cut - MaxMatchLength + 1);
            var start = -1;
            var end = across?.End.Value ?? cut;
            for (var position = FindFrom(text, from); position >= 0 && position < cut; position = FindFrom(text, position + 1))
            {
                var matchEnd = position + LongestAt(text, position).Length;
                if (matchEnd > cut)
                {
                    start = start < 0 ? position : start;
                    end = Math.Max(end, matchEnd);
                }
            }

            if (start < 0)
            {
                return across;
            }

            across = start..end;
            cut = start;
        }
    }

    private int FindFrom(string text, int from)
    {
        var next = text.AsSpan(from).IndexOfAny(_search!);
        return next < 0 ? -1 : from + next;
    }

    private (int Length, string Name) LongestAt(ReadOnlySpan<char> text, int position)
    {
        foreach (var pattern in _byFirstChar[text[position]])
        {
            if (text[position..].StartsWith(pattern.Text, StringComparison.Ordinal))
            {
                return (pattern.Text.Length, pattern.Name);
            }
        }

        throw new InvalidOperationException("The search found a match that no pattern starts.");
    }

    /// <summary>The forms of a value that are searched for.</summary>
    internal static IEnumerable<string> FormsOf(string value)
    {
        yield return value;
        foreach (var encoder in JsonEncoders)
        {
            yield return JsonEncodedText.Encode(value, encoder).Value;
        }

        var bytes = Encoding.UTF8.GetBytes(value);
        foreach (var (kept, spaceAsPlus) in UrlEncoders)
        {
            var encoded = PercentEncode(bytes, kept, spaceAsPlus);
            yield return encoded;
            yield return LowerHex(encoded);
        }

        var standard = Convert.ToBase64String(bytes);
        foreach (var form in new[] { standard, standard.TrimEnd('=') })
        {
            yield return form;
            yield return UrlSafe(form);
        }

        // Inside a longer stream the value starts 0, 1 or 2 bytes into a 3-byte group: encode it behind that many
        // filler bytes, then keep only the characters whose 6 bits all come from the value itself.
        for (var shift = 0; shift < 3; shift++)
        {
            var shifted = new byte[shift + bytes.Length];
            bytes.CopyTo(shifted, shift);
            var encoded = Convert.ToBase64String(shifted);
            var first = (8 * shift + 5) / 6;
            var end = 8 * (shift + bytes.Length) / 6;
            if (end - first >= MinimumLength)
            {
                var core = encoded[first..end];
                yield return core;
                yield return UrlSafe(core);
            }
        }
    }

    private static string UrlSafe(string base64) => base64.Replace('+', '-').Replace('/', '_');

    private static string PercentEncode(byte[] bytes, string kept, bool spaceAsPlus)
    {
        var text = new StringBuilder(bytes.Length * 3);
        foreach (var b in bytes)
        {
            if (b < 0x80 && kept.Contains((char)b, StringComparison.Ordinal))
            {
                text.Append((char)b);
            }
            else if (b == ' ' && spaceAsPlus)
            {
                text.Append('+');
            }
            else
            {
                text.Append('%').Append(Convert.ToHexString([b]));
            }
        }

        return text.ToString();
    }

    private static string LowerHex(string percentEncoded)
    {
        var chars = percentEncoded.ToCharArray();
        for (var i = 0; i + 2 < chars.Length; i++)
        {
            if (chars[i] == '%')
            {
                chars[i + 1] = char.ToLowerInvariant(chars[i + 1]);
                chars[i + 2] = char.ToLowerInvariant(chars[i + 2]);
                i += 2;
            }
        }

        return new string(chars);
    }

    private sealed record Pattern(string Text, string Name);
}
