using System.Globalization;
using System.Text;
using System.Text.Json;
using Rein.Journal;

namespace Rein.Replay;

/// <summary>
/// Compares a recorded journal with the journal of its replay, step by step: the tool calls proposed, the policy's
/// decisions, the observations, and why each run stopped.
/// </summary>
/// <remarks>
/// Calls are matched within a step in order. What legitimately differs between two runs is left out or normalised
/// (see <see cref="ReplayNormalizer"/>): timestamps, durations, checkpoints, model latency and usage, and the workspace
/// path and session ids inside texts. A call whose request differs is reported once, as <see cref="DivergenceKinds.ToolCall"/>;
/// its decision and observation are then not compared.
/// </remarks>
public static class JournalComparer
{
    /// <summary>The longest expected or actual text a divergence shows.</summary>
    public const int MaxShownChars = 240;

    /// <summary>Compares two journals.</summary>
    /// <param name="expected">The recorded journal.</param>
    /// <param name="actual">The replay's journal.</param>
    /// <param name="normalizer">What to normalise in texts; <see langword="null"/> for nothing.</param>
    /// <returns>The comparison.</returns>
    public static ReplayComparison Compare(IReadOnlyList<SessionEvent> expected, IReadOnlyList<SessionEvent> actual, ReplayNormalizer? normalizer = null)
    {
        ArgumentNullException.ThrowIfNull(expected);
        ArgumentNullException.ThrowIfNull(actual);
        normalizer ??= ReplayNormalizer.None;
        var left = Outline.Read(expected, normalizer);
        var right = Outline.Read(actual, normalizer);
        var divergences = new List<ReplayDivergence>();
        foreach (var step in left.Steps.Keys.Union(right.Steps.Keys).Order())
        {
            var hasLeft = left.Steps.TryGetValue(step, out var calls);
            var hasRight = right.Steps.TryGetValue(step, out var replayed);
            if (!hasRight)
            {
                divergences.Add(new(step, DivergenceKinds.MissingStep, null, DescribeStep(calls!), "(the replay made no such step)"));
                continue;
            }

            if (!hasLeft)
            {
                divergences.Add(new(step, DivergenceKinds.ExtraStep, null, "(the recording has no such step)", DescribeStep(replayed!)));
                continue;
            }

            CompareCalls(step, calls!, replayed!, divergences);
        }

        for (var i = 0; i < Math.Max(left.Stops.Count, right.Stops.Count); i++)
        {
            var want = i < left.Stops.Count ? left.Stops[i] : null;
            var got = i < right.Stops.Count ? right.Stops[i] : null;
            if (want?.Reason != got?.Reason || want?.Step != got?.Step)
            {
                divergences.Add(new(
                    want?.Step ?? got!.Step,
                    DivergenceKinds.Stop,
                    null,
                    want is null ? "(no stop)" : $"{want.Reason} after step {want.Step}",
                    got is null ? "(no stop)" : $"{got.Reason} after step {got.Step}"));
            }
        }

        return new ReplayComparison(left.Steps.Count, [.. divergences.OrderBy(d => d.Step)]);
    }

    private static void CompareCalls(int step, List<CallOutline> expected, List<CallOutline> actual, List<ReplayDivergence> divergences)
    {
        for (var i = 0; i < Math.Max(expected.Count, actual.Count); i++)
        {
            var want = i < expected.Count ? expected[i] : null;
            var got = i < actual.Count ? actual[i] : null;
            if (want is null || got is null || want.Request != got.Request)
            {
                divergences.Add(new(step, DivergenceKinds.ToolCall, want?.CallId ?? got!.CallId, want?.Request ?? "(no call)", got?.Request ?? "(no call)"));
                continue;
            }

            if (want.Policy != got.Policy)
            {
                divergences.Add(new(step, DivergenceKinds.PolicyDecision, want.CallId, want.Policy ?? "(no decision)", got.Policy ?? "(no decision)"));
            }

            if (want.Observation != got.Observation)
            {
                divergences.Add(new(step, DivergenceKinds.Observation, want.CallId, want.Observation ?? "(no result)", got.Observation ?? "(no result)", FirstDifference(want.Observation, got.Observation)));
            }
        }
    }

    private static string DescribeStep(List<CallOutline> calls) =>
        calls.Count == 0 ? "a final answer (no tool calls)" : string.Join("; ", calls.Select(c => c.Request));

    private static int? FirstDifference(string? a, string? b)
    {
        if (a is null || b is null)
        {
            return null;
        }

        var length = Math.Min(a.Length, b.Length);
        for (var i = 0; i < length; i++)
        {
            if (a[i] != b[i])
            {
                return i;
            }
        }

        return length;
    }

    internal static string Shorten(string text)
    {
        var oneLine = text.Replace("\r", "", StringComparison.Ordinal).Replace("\n", "⏎", StringComparison.Ordinal);
        return oneLine.Length <= MaxShownChars ? oneLine : string.Concat(oneLine.AsSpan(0, MaxShownChars - 1), "…");
    }

    private sealed record StopOutline(int Step, string Reason);

    private sealed class CallOutline(string callId, string request)
    {
        public string CallId { get; } = callId;

        public string Request { get; } = request;

        public string? Policy { get; set; }

        public string? Observation { get; set; }
    }

    private sealed class Outline
    {
        public SortedDictionary<int, List<CallOutline>> Steps { get; } = [];

        public List<StopOutline> Stops { get; } = [];

        public static Outline Read(IReadOnlyList<SessionEvent> events, ReplayNormalizer normalizer)
        {
            var outline = new Outline();
            var step = 0;
            var byId = new Dictionary<string, CallOutline>(StringComparer.Ordinal);
            foreach (var e in events)
            {
                switch (e)
                {
                    case ModelCalled called:
                        step = called.Step;
                        outline.Steps[step] = [];
                        break;
                    case ToolCallProposed proposed:
                        var call = new CallOutline(proposed.CallId, $"{proposed.Name} {Canonical(proposed.Arguments, normalizer)}");
                        byId[proposed.CallId] = call;
                        if (!outline.Steps.TryGetValue(step, out var calls))
                        {
                            outline.Steps[step] = calls = [];
                        }

                        calls.Add(call);
                        break;
                    case PolicyDecided decided when byId.TryGetValue(decided.CallId, out var judged):
                        judged.Policy = decided.Rule is { } rule ? $"{decided.Decision} (rule {rule})" : decided.Decision;
                        break;
                    case ToolCompleted completed when byId.TryGetValue(completed.CallId, out var done):
                        done.Observation = $"{Outcome(completed.Outcome)}: {normalizer.Apply(completed.Result)}";
                        break;
                    case SessionEnded ended:
                        outline.Stops.Add(new(step, ended.Reason));
                        break;
                    case SessionSuspended suspended:
                        outline.Stops.Add(new(step, suspended.Reason));
                        break;
                    default:
                        break;
                }
            }

            return outline;
        }

        private static string Outcome(ToolOutcome outcome) => outcome switch
        {
            ToolOutcome.Success => "success",
            ToolOutcome.Error => "error",
            ToolOutcome.Interrupted => "interrupted",
            _ => outcome.ToString(),
        };

        private static string Canonical(JsonElement? arguments, ReplayNormalizer normalizer)
        {
            if (arguments is not { } value)
            {
                return "(unparseable arguments)";
            }

            var builder = new StringBuilder();
            Write(builder, value, normalizer);
            return builder.ToString();
        }

        // Keys sorted, so a provider that reorders them does not count as a different call.
        private static void Write(StringBuilder builder, JsonElement value, ReplayNormalizer normalizer)
        {
            switch (value.ValueKind)
            {
                case JsonValueKind.Object:
                    builder.Append('{');
                    var first = true;
                    foreach (var property in value.EnumerateObject().OrderBy(p => p.Name, StringComparer.Ordinal))
                    {
                        builder.Append(first ? "" : ",").Append(JsonSerializer.Serialize(property.Name, JournalJson.Options.GetTypeInfo(typeof(string)))).Append(':');
                        Write(builder, property.Value, normalizer);
                        first = false;
                    }

                    builder.Append('}');
                    break;
                case JsonValueKind.Array:
                    builder.Append('[');
                    var index = 0;
                    foreach (var item in value.EnumerateArray())
                    {
                        builder.Append(index++ == 0 ? "" : ",");
                        Write(builder, item, normalizer);
                    }

                    builder.Append(']');
                    break;
                case JsonValueKind.String:
                    builder.Append(JsonSerializer.Serialize(normalizer.Apply(value.GetString()!), JournalJson.Options.GetTypeInfo(typeof(string))));
                    break;
                case JsonValueKind.Number:
                    builder.Append(value.TryGetDecimal(out var number) ? number.ToString(CultureInfo.InvariantCulture) : value.GetRawText());
                    break;
                default:
                    builder.Append(value.GetRawText());
                    break;
            }
        }
    }
}

/// <summary>Replaces texts that legitimately differ between a recording and its replay (workspace paths, session ids) by placeholders.</summary>
public sealed class ReplayNormalizer
{
    private readonly List<(string Text, string Placeholder)> _replacements;

    /// <summary>Creates a normaliser.</summary>
    /// <param name="replacements">Each text and its placeholder, e.g. the two workspace paths and <c>&lt;workspace&gt;</c>.</param>
    public ReplayNormalizer(IEnumerable<(string Text, string Placeholder)> replacements)
    {
        ArgumentNullException.ThrowIfNull(replacements);

        // Longest first, so a path is replaced before a prefix of it.
        _replacements = [.. replacements.Where(r => !string.IsNullOrEmpty(r.Text)).OrderByDescending(r => r.Text.Length)];
    }

    /// <summary>Gets a normaliser that changes nothing.</summary>
    public static ReplayNormalizer None { get; } = new([]);

    /// <summary>Creates the normaliser for a replay: both workspaces become <c>&lt;workspace&gt;</c>, both session ids <c>&lt;session&gt;</c>.</summary>
    /// <param name="recordedWorkspace">The recorded session's workspace.</param>
    /// <param name="replayWorkspace">The replay's workspace.</param>
    /// <param name="recordedSessionId">The recorded session's id.</param>
    /// <param name="replaySessionId">The replay's session id.</param>
    /// <returns>The normaliser.</returns>
    public static ReplayNormalizer For(string recordedWorkspace, string replayWorkspace, string recordedSessionId, string replaySessionId)
    {
        ArgumentNullException.ThrowIfNull(recordedWorkspace);
        ArgumentNullException.ThrowIfNull(replayWorkspace);
        return new([
            (Path.TrimEndingDirectorySeparator(recordedWorkspace), "<workspace>"),
            (Path.TrimEndingDirectorySeparator(replayWorkspace), "<workspace>"),
            (recordedSessionId, "<session>"),
            (replaySessionId, "<session>"),
        ]);
    }

    /// <summary>Normalises a text.</summary>
    /// <param name="text">The text.</param>
    /// <returns>The text with every replacement made.</returns>
    public string Apply(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        foreach (var (from, to) in _replacements)
        {
            text = text.Replace(from, to, StringComparison.Ordinal);
        }

        return text;
    }
}

/// <summary>The outcome of comparing a recording with its replay.</summary>
/// <param name="Steps">How many steps (model calls) the recording has.</param>
/// <param name="Divergences">Every difference, by step.</param>
public sealed record ReplayComparison(int Steps, IReadOnlyList<ReplayDivergence> Divergences)
{
    /// <summary>Gets whether the replay matched the recording.</summary>
    public bool Passed => Divergences.Count == 0;
}

/// <summary>One difference between a recording and its replay.</summary>
/// <param name="Step">The step (model call number) it is in.</param>
/// <param name="Kind">One of <see cref="DivergenceKinds"/>.</param>
/// <param name="CallId">The tool call, if it concerns one.</param>
/// <param name="Expected">What the recording has (normalised, whole).</param>
/// <param name="Actual">What the replay did (normalised, whole).</param>
/// <param name="Offset">For an observation, where the two texts first differ.</param>
public sealed record ReplayDivergence(int Step, string Kind, string? CallId, string Expected, string Actual, int? Offset = null)
{
    /// <summary>Gets <see cref="Expected"/> shortened for display, around the first difference when known.</summary>
    public string ExpectedShort => Excerpt(Expected);

    /// <summary>Gets <see cref="Actual"/> shortened for display, around the first difference when known.</summary>
    public string ActualShort => Excerpt(Actual);

    private string Excerpt(string text)
    {
        // Long observations that differ late show the part where they differ, not a shared head.
        var start = Offset is { } offset && offset > JournalComparer.MaxShownChars / 2 ? Math.Min(offset - 40, text.Length) : 0;
        var tail = start > 0 ? "…" + text[start..] : text;
        return JournalComparer.Shorten(tail);
    }
}

/// <summary>The stable snake_case kinds of <see cref="ReplayDivergence"/>.</summary>
public static class DivergenceKinds
{
    /// <summary>The replay proposed a different tool call (name or arguments), or one more or fewer, in a step.</summary>
    public const string ToolCall = "tool_call";

    /// <summary>A tool call's observation (outcome or text) differs.</summary>
    public const string Observation = "observation";

    /// <summary>The policy decided a call differently (decision or rule).</summary>
    public const string PolicyDecision = "policy_decision";

    /// <summary>A run stopped for another reason or after another step.</summary>
    public const string Stop = "stop";

    /// <summary>The recording has a step the replay never made.</summary>
    public const string MissingStep = "missing_step";

    /// <summary>The replay made a step the recording does not have.</summary>
    public const string ExtraStep = "extra_step";
}
