using System.Text.RegularExpressions;

namespace Rein.Replay;

/// <summary>
/// Rewrites what legitimately differs between a recording and its replay, so that only real differences count:
/// the replay's workspace path becomes the recorded one, the replay's session id the recorded one, and durations and
/// timestamps become <c>&lt;duration&gt;</c> and <c>&lt;timestamp&gt;</c>; then any user rules apply, in order.
/// </summary>
/// <remarks>
/// Both sides of a comparison go through the same rules. The built-in rules, in the order they apply:
/// <list type="bullet">
/// <item><c>workspace</c>: every spelling of the replay's workspace (as created, and its real path) → the recorded workspace path.</item>
/// <item><c>session</c>: the replay's session id → the recorded one.</item>
/// <item><c>timestamp</c>: ISO-8601 date-times (<c>2026-05-01T10:00:00.123Z</c>, also with a space or slashes),
/// <c>date</c>/git/HTTP dates (<c>Fri May  1 10:00:00 UTC 2026</c>, <c>Fri, 01 May 2026 10:00:00 GMT</c>),
/// <c>ls -l</c> dates (<c>May  1 10:00</c>) and times of day (<c>10:00:00</c>, <c>10:00:00.123</c>).</item>
/// <item><c>duration</c>: a number with a unit of time (<c>0.006s</c>, <c>12ms</c>, <c>1.2 seconds</c>, <c>3 min</c>,
/// so <c>Ran 1 test in 0.006s</c> and pytest's <c>in 0.12s</c>) and <c>time</c>'s <c>0m0.003s</c>.</item>
/// </list>
/// Immutable and thread-safe.
/// </remarks>
public sealed partial class ReplayNormalizer
{
    /// <summary>The name of the rule that maps the replay's workspace path to the recorded one.</summary>
    public const string WorkspaceRule = "workspace";

    /// <summary>The name of the rule that maps the replay's session id to the recorded one.</summary>
    public const string SessionRule = "session";

    /// <summary>The name of the rule that masks dates and times.</summary>
    public const string TimestampRule = "timestamp";

    /// <summary>The name of the rule that masks durations.</summary>
    public const string DurationRule = "duration";

    /// <summary>Creates a normaliser.</summary>
    /// <param name="rules">The rules, applied in order.</param>
    /// <exception cref="ArgumentNullException"><paramref name="rules"/> is null.</exception>
    public ReplayNormalizer(IEnumerable<NormalizationRule> rules)
    {
        ArgumentNullException.ThrowIfNull(rules);
        Rules = [.. rules];
    }

    /// <summary>Gets a normaliser that changes nothing.</summary>
    public static ReplayNormalizer None { get; } = new([]);

    /// <summary>Gets the rules, in the order they apply.</summary>
    public IReadOnlyList<NormalizationRule> Rules { get; }

    /// <summary>Gets the built-in masks: <see cref="TimestampRule"/>, then <see cref="DurationRule"/>.</summary>
    public static IReadOnlyList<NormalizationRule> BuiltInMasks { get; } =
    [
        new(TimestampRule, Timestamp(), "<timestamp>"),
        new(DurationRule, Duration(), "<duration>"),
    ];

    /// <summary>Creates the normaliser for a replay: the built-in rules, then <paramref name="userRules"/>.</summary>
    /// <param name="recordedWorkspace">The recorded session's workspace.</param>
    /// <param name="replayWorkspaces">Every spelling of the replay's workspace (the folder as created, its real path).</param>
    /// <param name="recordedSessionId">The recorded session's id.</param>
    /// <param name="replaySessionId">The replay's session id.</param>
    /// <param name="userRules">Rules from the <c>replay.normalize</c> settings, applied last.</param>
    /// <returns>The normaliser.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public static ReplayNormalizer For(
        string recordedWorkspace, IEnumerable<string> replayWorkspaces, string recordedSessionId, string replaySessionId, IEnumerable<NormalizationRule>? userRules = null)
    {
        ArgumentNullException.ThrowIfNull(recordedWorkspace);
        ArgumentNullException.ThrowIfNull(replayWorkspaces);
        ArgumentNullException.ThrowIfNull(recordedSessionId);
        ArgumentNullException.ThrowIfNull(replaySessionId);
        var recorded = Path.TrimEndingDirectorySeparator(recordedWorkspace);
        var aliases = replayWorkspaces.Select(Path.TrimEndingDirectorySeparator).Where(a => a.Length > 0 && a != recorded);
        List<NormalizationRule> rules = [NormalizationRule.Literal(WorkspaceRule, aliases, recorded)];
        if (replaySessionId.Length > 0 && replaySessionId != recordedSessionId)
        {
            rules.Add(NormalizationRule.Literal(SessionRule, [replaySessionId], recordedSessionId));
        }

        return new([.. rules, .. BuiltInMasks, .. userRules ?? []]);
    }

    /// <summary>Normalises a text.</summary>
    /// <param name="text">The text.</param>
    /// <returns>The text with every rule applied.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="text"/> is null.</exception>
    /// <exception cref="InvalidOperationException">A rule's pattern took too long (it backtracks catastrophically on this text).</exception>
    public string Apply(string text) => Apply(text, null);

    /// <summary>Normalises a text and records each replacement made.</summary>
    /// <param name="text">The text.</param>
    /// <param name="applied">Receives each replacement (rule, original fragment, replacement); null to record nothing.</param>
    /// <returns>The text with every rule applied.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="text"/> is null.</exception>
    /// <exception cref="InvalidOperationException">A rule's pattern took too long (it backtracks catastrophically on this text).</exception>
    public string Apply(string text, ICollection<NormalizedFragment>? applied)
    {
        ArgumentNullException.ThrowIfNull(text);
        foreach (var rule in Rules)
        {
            text = rule.Apply(text, applied);
        }

        return text;
    }

    // One alternation, so the earliest date wins and its parts are not masked again as times or durations.
    // Month and day names are English, as C-locale tools print them.
    [GeneratedRegex(
        @"\b\d{4}([-/])\d{2}\1\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?(?: ?(?:Z|UTC|[+-]\d{2}(?::?\d{2})?)\b)?" +
        @"|\b(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun),? +(?:\d{1,2} +(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) +\d{4} +\d{2}:\d{2}:\d{2}" +
        @"|(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) +\d{1,2} +\d{2}:\d{2}:\d{2}(?: +[A-Z]{2,5})?(?: +\d{4})?)(?: +(?:[+-]\d{4}|[A-Z]{2,5}))?\b" +
        @"|\b(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) +\d{1,2} +(?:\d{2}:\d{2}|\d{4})\b" +
        @"|\b\d{1,2}:\d{2}:\d{2}(?:[.,]\d+)?\b",
        RegexOptions.CultureInvariant)]
    private static partial Regex Timestamp();

    [GeneratedRegex(
        @"\b(?:\d+h)?\d+m\d+(?:\.\d+)?s\b" +
        @"|\b\d+(?:\.\d+)? ?(?:ns|µs|μs|us|ms|s|secs?|seconds?|mins?|minutes?|hrs?|hours?)\b",
        RegexOptions.CultureInvariant)]
    private static partial Regex Duration();
}

/// <summary>One rule of a <see cref="ReplayNormalizer"/>: every match of a pattern is replaced.</summary>
/// <remarks>Immutable and thread-safe.</remarks>
public sealed class NormalizationRule
{
    /// <summary>How long one rule may take on one text before it counts as catastrophic backtracking.</summary>
    public static readonly TimeSpan MatchTimeout = TimeSpan.FromSeconds(1);

    private readonly Regex _pattern;
    private readonly string _replacement;
    private readonly bool _literal;

    /// <summary>Creates a rule from a regular expression.</summary>
    /// <param name="name">The rule's name, shown in what was normalised and in errors.</param>
    /// <param name="pattern">The pattern.</param>
    /// <param name="replacement">What each match becomes; <c>$1</c>, <c>${name}</c> name groups.</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public NormalizationRule(string name, Regex pattern, string replacement)
        : this(name, pattern, replacement, literal: false)
    {
    }

    private NormalizationRule(string name, Regex pattern, string replacement, bool literal)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(pattern);
        ArgumentNullException.ThrowIfNull(replacement);
        Name = name;
        _pattern = pattern;
        _replacement = replacement;
        _literal = literal;
    }

    /// <summary>Gets the rule's name.</summary>
    public string Name { get; }

    /// <summary>Gets the pattern.</summary>
    public string Pattern => _pattern.ToString();

    /// <summary>Creates a rule from a user's regular expression, with <see cref="MatchTimeout"/>.</summary>
    /// <param name="name">The rule's name.</param>
    /// <param name="pattern">The regular expression (.NET syntax).</param>
    /// <param name="replacement">What each match becomes.</param>
    /// <returns>The rule.</returns>
    /// <exception cref="ArgumentException"><paramref name="pattern"/> is not a valid regular expression.</exception>
    public static NormalizationRule FromPattern(string name, string pattern, string replacement) =>
        new(name, new Regex(pattern, RegexOptions.CultureInvariant, MatchTimeout), replacement);

    /// <summary>Creates a rule that replaces exact texts (the longest first) by one text, taken literally.</summary>
    /// <param name="name">The rule's name.</param>
    /// <param name="texts">The texts to replace; empty ones are ignored.</param>
    /// <param name="replacement">What each becomes.</param>
    /// <returns>The rule.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public static NormalizationRule Literal(string name, IEnumerable<string> texts, string replacement)
    {
        ArgumentNullException.ThrowIfNull(texts);

        // One alternation, longest first: a path is replaced before a prefix of it, and a replacement is never replaced again.
        var alternatives = texts.Where(t => t.Length > 0).Distinct(StringComparer.Ordinal).OrderByDescending(t => t.Length).Select(Regex.Escape).ToList();
        var pattern = alternatives.Count == 0 ? "(?!)" : string.Join('|', alternatives);
        return new(name, new Regex(pattern, RegexOptions.CultureInvariant, MatchTimeout), replacement, literal: true);
    }

    /// <summary>Applies the rule.</summary>
    /// <param name="text">The text.</param>
    /// <param name="applied">Receives each replacement; null to record nothing.</param>
    /// <returns>The text with every match replaced.</returns>
    /// <exception cref="InvalidOperationException">The pattern took longer than <see cref="MatchTimeout"/>.</exception>
    public string Apply(string text, ICollection<NormalizedFragment>? applied)
    {
        ArgumentNullException.ThrowIfNull(text);
        try
        {
            return _pattern.Replace(text, match =>
            {
                var after = _literal ? _replacement : match.Result(_replacement);
                applied?.Add(new NormalizedFragment(Name, match.Value, after));
                return after;
            });
        }
        catch (RegexMatchTimeoutException)
        {
            throw new InvalidOperationException(
                $"The replay normalisation rule '{Name}' (pattern {_pattern}) took longer than {MatchTimeout.TotalSeconds:0} s on one observation; " +
                "simplify the pattern (nested repetition such as (a+)+ backtracks without end).");
        }
    }
}

/// <summary>One replacement a <see cref="NormalizationRule"/> made.</summary>
/// <param name="Rule">The rule's name.</param>
/// <param name="Before">The original fragment.</param>
/// <param name="After">What it became.</param>
public sealed record NormalizedFragment(string Rule, string Before, string After);
