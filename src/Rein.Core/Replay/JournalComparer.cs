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
/// Calls are matched within a step in order. What legitimately differs between two runs is left out (timestamps of
/// events, durations, checkpoints, model latency and usage) or normalised in texts (see <see cref="ReplayNormalizer"/>:
/// the workspace path, the session id, durations and timestamps). Both sides are normalised the same way; a divergence
/// shows the original texts. A call whose request differs is reported once, as <see cref="DivergenceKinds.ToolCall"/>;
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
    /// <returns>The comparison, with what normalising changed where the two sides' texts differ.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="expected"/> or <paramref name="actual"/> is null.</exception>
    /// <exception cref="InvalidOperationException">A normalisation rule's pattern took too long.</exception>
    public static ReplayComparison Compare(IReadOnlyList<SessionEvent> expected, IReadOnlyList<SessionEvent> actual, ReplayNormalizer? normalizer = null)
    {
        ArgumentNullException.ThrowIfNull(expected);
        ArgumentNullException.ThrowIfNull(actual);
        normalizer ??= ReplayNormalizer.None;
        var left = Outline.Read(expected, normalizer);
        var right = Outline.Read(actual, normalizer);
        var divergences = new List<ReplayDivergence>();
        var normalized = new List<ReplayNormalization>();
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

            CompareCalls(step, calls!, replayed!, divergences, normalized);
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

        return new ReplayComparison(left.Steps.Count, [.. divergences.OrderBy(d => d.Step)]) { Normalized = normalized };
    }

    private static void CompareCalls(int step, List<CallOutline> expected, List<CallOutline> actual, List<ReplayDivergence> divergences, List<ReplayNormalization> normalized)
    {
        for (var i = 0; i < Math.Max(expected.Count, actual.Count); i++)
        {
            var want = i < expected.Count ? expected[i] : null;
            var got = i < actual.Count ? actual[i] : null;
            if (want is null || got is null || want.Request.Normalized != got.Request.Normalized)
            {
                divergences.Add(new(step, DivergenceKinds.ToolCall, want?.CallId ?? got!.CallId, want?.Request.Original ?? "(no call)", got?.Request.Original ?? "(no call)"));
                continue;
            }

            Explain(step, want.CallId, want.Request, got.Request, normalized);
            if (want.Policy != got.Policy)
            {
                divergences.Add(new(step, DivergenceKinds.PolicyDecision, want.CallId, want.Policy ?? "(no decision)", got.Policy ?? "(no decision)"));
            }

            if (want.Observation is { } seen && got.Observation is { } replayed)
            {
                Explain(step, want.CallId, seen, replayed, normalized);
                if (seen.Normalized != replayed.Normalized)
                {
                    var offset = FirstDifference(seen.Normalized, replayed.Normalized);
                    divergences.Add(new(
                        step, DivergenceKinds.Observation, want.CallId, seen.Original, replayed.Original,
                        OriginalOffset(seen, offset), OriginalOffset(replayed, offset)));
                }
            }
            else if (want.Observation is not null || got.Observation is not null)
            {
                divergences.Add(new(step, DivergenceKinds.Observation, want.CallId, want.Observation?.Original ?? "(no result)", got.Observation?.Original ?? "(no result)"));
            }
        }
    }

    /// <summary>Where the two sides' texts differ, records what normalising changed on each side that the other side does not share.</summary>
    private static void Explain(int step, string callId, NormalizedText recorded, NormalizedText replayed, List<ReplayNormalization> normalized)
    {
        if (recorded.Original == replayed.Original)
        {
            return;
        }

        foreach (var (side, mine, theirs) in new[] { (ReplayNormalization.Recorded, recorded, replayed), (ReplayNormalization.Replay, replayed, recorded) })
        {
            var shared = theirs.Fragments.ToList();
            foreach (var fragment in mine.Fragments)
            {
                if (!shared.Remove(fragment))
                {
                    normalized.Add(new(step, callId, fragment.Rule, side, fragment.Before, fragment.After));
                }
            }
        }
    }

    private static string DescribeStep(List<CallOutline> calls) =>
        calls.Count == 0 ? "a final answer (no tool calls)" : string.Join("; ", calls.Select(c => c.Request.Original));

    private static int FirstDifference(string a, string b)
    {
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

    /// <summary>
    /// The place in the original text of a place in its normalised text: the same line and column. The built-in rules
    /// never join or split lines, so the line is exact; the column is near.
    /// </summary>
    private static int OriginalOffset(NormalizedText text, int normalizedOffset)
    {
        var line = 0;
        var lineStart = 0;
        for (var i = 0; i < normalizedOffset; i++)
        {
            if (text.Normalized[i] == '\n')
            {
                line++;
                lineStart = i + 1;
            }
        }

        var start = 0;
        for (var i = 0; i < line; i++)
        {
            var next = text.Original.IndexOf('\n', start);
            if (next < 0)
            {
                return text.Original.Length;
            }

            start = next + 1;
        }

        var end = text.Original.IndexOf('\n', start);
        return Math.Min(start + (normalizedOffset - lineStart), end < 0 ? text.Original.Length : end);
    }

    /// <summary>Shortens a text for display: one line (line breaks shown as ⏎), at most <see cref="MaxShownChars"/> characters.</summary>
    /// <param name="text">The text.</param>
    /// <returns>The shortened text.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="text"/> is null.</exception>
    public static string Shorten(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var oneLine = text.Replace("\r", "", StringComparison.Ordinal).Replace("\n", "⏎", StringComparison.Ordinal);
        return oneLine.Length <= MaxShownChars ? oneLine : string.Concat(oneLine.AsSpan(0, MaxShownChars - 1), "…");
    }

    private sealed record StopOutline(int Step, string Reason);

    /// <summary>A text as recorded, as normalised, and the replacements that made the one from the other.</summary>
    private sealed record NormalizedText(string Original, string Normalized, IReadOnlyList<NormalizedFragment> Fragments)
    {
        public static NormalizedText Of(string original, ReplayNormalizer normalizer)
        {
            var fragments = new List<NormalizedFragment>();
            return new(original, normalizer.Apply(original, fragments), fragments);
        }
    }

    private sealed class CallOutline(string callId, NormalizedText request)
    {
        public string CallId { get; } = callId;

        public NormalizedText Request { get; } = request;

        public string? Policy { get; set; }

        public NormalizedText? Observation { get; set; }
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
                        var call = new CallOutline(proposed.CallId, Request(proposed, normalizer));
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
                        // The outcome word is not normalised: a user rule cannot turn an error into a success.
                        var result = NormalizedText.Of(completed.Result, normalizer);
                        var outcome = Outcome(completed.Outcome) + ": ";
                        done.Observation = new(outcome + result.Original, outcome + result.Normalized, result.Fragments);
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

        private static NormalizedText Request(ToolCallProposed proposed, ReplayNormalizer normalizer)
        {
            if (proposed.Arguments is not { } value)
            {
                return new($"{proposed.Name} (unparseable arguments)", $"{proposed.Name} (unparseable arguments)", []);
            }

            var original = new StringBuilder(proposed.Name).Append(' ');
            var normalized = new StringBuilder(proposed.Name).Append(' ');
            var fragments = new List<NormalizedFragment>();
            Write(original, value, ReplayNormalizer.None, null);
            Write(normalized, value, normalizer, fragments);
            return new(original.ToString(), normalized.ToString(), fragments);
        }

        // Keys sorted, so a provider that reorders them does not count as a different call.
        private static void Write(StringBuilder builder, JsonElement value, ReplayNormalizer normalizer, List<NormalizedFragment>? fragments)
        {
            switch (value.ValueKind)
            {
                case JsonValueKind.Object:
                    builder.Append('{');
                    var first = true;
                    foreach (var property in value.EnumerateObject().OrderBy(p => p.Name, StringComparer.Ordinal))
                    {
                        builder.Append(first ? "" : ",").Append(JsonSerializer.Serialize(property.Name, JournalJson.Options.GetTypeInfo(typeof(string)))).Append(':');
                        Write(builder, property.Value, normalizer, fragments);
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
                        Write(builder, item, normalizer, fragments);
                    }

                    builder.Append(']');
                    break;
                case JsonValueKind.String:
                    builder.Append(JsonSerializer.Serialize(normalizer.Apply(value.GetString()!, fragments), JournalJson.Options.GetTypeInfo(typeof(string))));
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

/// <summary>The outcome of comparing a recording with its replay.</summary>
/// <param name="Steps">How many steps (model calls) the recording has.</param>
/// <param name="Divergences">Every difference, by step.</param>
public sealed record ReplayComparison(int Steps, IReadOnlyList<ReplayDivergence> Divergences)
{
    /// <summary>Gets whether the replay matched the recording.</summary>
    public bool Passed => Divergences.Count == 0;

    /// <summary>Gets what normalising changed in texts whose originals differ between the two sides, by step (empty by default).</summary>
    public IReadOnlyList<ReplayNormalization> Normalized { get; init; } = [];
}

/// <summary>One fragment a normalisation rule replaced in a text that differs between the recording and its replay.</summary>
/// <param name="Step">The step (model call number).</param>
/// <param name="CallId">The tool call whose request or observation it is in.</param>
/// <param name="Rule">The rule's name (<c>workspace</c>, <c>session</c>, <c>timestamp</c>, <c>duration</c>, or a user rule's).</param>
/// <param name="Side"><see cref="Recorded"/> or <see cref="Replay"/>.</param>
/// <param name="Before">The original fragment.</param>
/// <param name="After">What it became.</param>
public sealed record ReplayNormalization(int Step, string CallId, string Rule, string Side, string Before, string After)
{
    /// <summary>The side of the recording.</summary>
    public const string Recorded = "recorded";

    /// <summary>The side of the replay.</summary>
    public const string Replay = "replay";
}

/// <summary>One difference between a recording and its replay.</summary>
/// <param name="Step">The step (model call number) it is in.</param>
/// <param name="Kind">One of <see cref="DivergenceKinds"/>.</param>
/// <param name="CallId">The tool call, if it concerns one.</param>
/// <param name="Expected">What the recording has (as recorded, whole).</param>
/// <param name="Actual">What the replay did (as it happened, whole).</param>
/// <param name="Offset">For an observation, where in <paramref name="Expected"/> the two texts first differ once normalised.</param>
/// <param name="ActualOffset">The same place in <paramref name="Actual"/>; <see langword="null"/> for <paramref name="Offset"/>.</param>
public sealed record ReplayDivergence(int Step, string Kind, string? CallId, string Expected, string Actual, int? Offset = null, int? ActualOffset = null)
{
    /// <summary>Gets <see cref="Expected"/> shortened for display, around the first difference when known.</summary>
    public string ExpectedShort => Excerpt(Expected, Offset);

    /// <summary>Gets <see cref="Actual"/> shortened for display, around the first difference when known.</summary>
    public string ActualShort => Excerpt(Actual, ActualOffset ?? Offset);

    private static string Excerpt(string text, int? at)
    {
        // Long observations that differ late show the part where they differ, not a shared head.
        var start = at is { } offset && offset > JournalComparer.MaxShownChars / 2 ? Math.Min(offset - 40, text.Length) : 0;
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
