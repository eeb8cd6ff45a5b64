namespace Rein.Guard.Sandbox;

/// <summary>Matches host names against allow-list entries such as <c>pypi.org</c> and <c>*.github.com</c>.</summary>
/// <remarks>Case-insensitive; a trailing dot is ignored. <c>*.x</c> matches any subdomain of <c>x</c> but not <c>x</c> itself. Thread-safe.</remarks>
internal sealed class DomainAllowList
{
    private readonly HashSet<string> _exact = new(StringComparer.OrdinalIgnoreCase);
    private readonly List<string> _suffixes = [];

    public DomainAllowList(IEnumerable<string> patterns)
    {
        foreach (var raw in patterns)
        {
            if (!IsValidPattern(raw))
            {
                throw new ArgumentException($"'{raw}' is not a valid domain pattern (use e.g. \"pypi.org\" or \"*.github.com\").", nameof(patterns));
            }

            var pattern = Normalize(raw);
            if (pattern.StartsWith("*.", StringComparison.Ordinal))
            {
                _suffixes.Add(pattern[1..]);
            }
            else
            {
                _exact.Add(pattern);
            }
        }
    }

    public static bool IsValidPattern(string pattern)
    {
        var text = Normalize(pattern);
        if (text.StartsWith("*.", StringComparison.Ordinal))
        {
            text = text[2..];
        }

        return IsValidHost(text);
    }

    public static bool IsValidHost(string host)
    {
        if (host.Length is 0 or > 253 || host.StartsWith('.') || host.EndsWith('.') || host.Contains("..", StringComparison.Ordinal))
        {
            return false;
        }

        // IPv6 literals come bracketed in requests; the brackets are stripped before this check.
        return host.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '.' or ':' or '_');
    }

    public static string Normalize(string host) => host.Trim().TrimEnd('.').ToLowerInvariant();

    /// <summary>Whether an entry is exactly this name or address (a <c>*.</c> wildcard does not count).</summary>
    public bool NamesExactly(string host) => _exact.Contains(Normalize(host));

    public bool IsAllowed(string host)
    {
        var name = Normalize(host);
        if (!IsValidHost(name))
        {
            return false;
        }

        return _exact.Contains(name) || _suffixes.Exists(suffix => name.EndsWith(suffix, StringComparison.Ordinal) && name.Length > suffix.Length);
    }
}
