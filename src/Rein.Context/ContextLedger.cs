using System.Globalization;
using System.Text;
using Rein.Context.CodeMemory;
using Rein.Context.Shaping;
using Rein.Engine;

namespace Rein.Context;

/// <summary>
/// One session's context as Rein shows it to the model: every message and observation in order, the
/// text the model sees for each, and what is known of the files it read. Observations are shaped once,
/// when they arrive (code memory, truncation), so the prefix stays byte-stable for prompt caches; older
/// ones change only in deliberate batches (<see cref="Mask"/>, <see cref="Compact"/>).
/// </summary>
/// <remarks>Not thread-safe: one writer per session.</remarks>
public sealed class ContextLedger
{
    private readonly ContextOptions _options;
    private readonly ITokenCounter _counter;
    private readonly List<ContextItem> _items = [];
    private readonly List<ContextItem> _observations = [];
    private readonly FileMemory _files = new();
    private readonly Dictionary<string, ContextItem> _outputs = new(StringComparer.Ordinal);
    private long _compactedOriginalTokens;

    /// <summary>Creates an empty ledger.</summary>
    /// <param name="options">How to shape the context.</param>
    /// <param name="counter">Counts tokens.</param>
    /// <param name="systemPrompt">The system prompt (never changed).</param>
    public ContextLedger(ContextOptions options, ITokenCounter counter, string systemPrompt)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(counter);
        ArgumentNullException.ThrowIfNull(systemPrompt);
        _options = options;
        _counter = counter;
        SystemPrompt = systemPrompt;
        SystemTokens = counter.CountTokens(systemPrompt) + MessageOverhead;
    }

    /// <summary>Tokens a message costs beyond its text (role and delimiters).</summary>
    public const int MessageOverhead = 4;

    /// <summary>Gets the system prompt.</summary>
    public string SystemPrompt { get; }

    /// <summary>Gets the tokens of the system prompt.</summary>
    public int SystemTokens { get; }

    /// <summary>Gets the items the model is shown, in order.</summary>
    public IReadOnlyList<ContextItem> Items => _items;

    /// <summary>Gets every observation added, whole, including those no longer shown.</summary>
    public IReadOnlyList<ContextItem> Observations => _observations;

    /// <summary>Gets the size of the context in tokens (system prompt included, tool declarations not).</summary>
    public long Tokens => SystemTokens + _items.Sum(i => (long)i.RenderedTokens);

    /// <summary>Gets the number of conversation messages added so far.</summary>
    public int MessageCount { get; private set; }

    /// <summary>Gets the last step added.</summary>
    public int LastStep { get; private set; }

    /// <summary>Adds a user message.</summary>
    public ContextItem AddUser(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return Add(new ContextItem(ContextItemKind.User, LastStep, MessageCount++, text));
    }

    /// <summary>Adds a model turn.</summary>
    /// <param name="step">The step (model call) number.</param>
    /// <param name="text">What the model is shown of the turn: its text and its calls.</param>
    /// <param name="message">The original message, for real sessions.</param>
    /// <param name="elidedText">What the turn becomes when masked (large payloads elided), if it has any.</param>
    /// <param name="elidedMessage">The message matching <paramref name="elidedText"/>.</param>
    public ContextItem AddAssistant(int step, string text, Microsoft.Extensions.AI.ChatMessage? message = null, string? elidedText = null, Microsoft.Extensions.AI.ChatMessage? elidedMessage = null)
    {
        ArgumentNullException.ThrowIfNull(text);
        LastStep = Math.Max(LastStep, step);
        return Add(new ContextItem(ContextItemKind.Assistant, step, MessageCount++, text) { Message = message, ElidedText = elidedText, ElidedMessage = elidedMessage });
    }

    /// <summary>Adds a tool observation, shaping it: code memory, repeated outputs, truncation.</summary>
    /// <param name="step">The step whose call made it.</param>
    /// <param name="callId">The call identifier.</param>
    /// <param name="tool">The tool name.</param>
    /// <param name="callSummary">A short description of the call (e.g. <c>shell `pytest -x`</c>).</param>
    /// <param name="text">The whole observation.</param>
    /// <param name="isError">Whether the call failed.</param>
    /// <param name="view">The file lines the observation shows, when it is a read.</param>
    /// <param name="newMessage">Whether the observation starts a new message (false: it shares the previous tool message).</param>
    public ContextItem AddObservation(int step, string callId, string tool, string callSummary, string text, bool isError, FileView? view, bool newMessage = true)
    {
        ArgumentNullException.ThrowIfNull(text);
        var item = new ContextItem(ContextItemKind.Observation, step, newMessage ? MessageCount++ : Math.Max(0, MessageCount - 1), text)
        {
            CallId = callId,
            Tool = tool,
            CallSummary = callSummary,
            IsError = isError,
            View = view,
        };
        item.OriginalTokens = Count(text);
        Shape(item);
        item.RenderedTokens = item.Rendered.Equals(text, StringComparison.Ordinal) ? item.OriginalTokens : Count(item.Rendered);
        _items.Add(item);
        _observations.Add(item);
        return item;
    }

    /// <summary>Finds an observation's whole text, by step and (when a step made several) call identifier.</summary>
    public ContextItem? FindObservation(int step, string? callId = null) =>
        _observations.FirstOrDefault(o => o.Step == step && (callId is null || o.CallId == callId))
        ?? (callId is null ? null : _observations.FirstOrDefault(o => o.CallId == callId));

    /// <summary>Finds an observation by call identifier.</summary>
    public ContextItem? FindObservation(string callId) => _observations.FirstOrDefault(o => o.CallId == callId);

    /// <summary>Tokens the context currently saves, by mechanism, against showing every original whole.</summary>
    public IReadOnlyDictionary<ContextSaving, long> Savings()
    {
        var savings = new Dictionary<ContextSaving, long>();
        foreach (var item in _items)
        {
            if (item.Saving is not ContextSaving.None and not ContextSaving.Compaction)
            {
                savings[item.Saving] = savings.GetValueOrDefault(item.Saving) + item.OriginalTokens - item.RenderedTokens;
            }
        }

        var summaries = _items.Where(i => i.Kind == ContextItemKind.Summary).Sum(i => (long)i.RenderedTokens);
        savings[ContextSaving.Compaction] = Math.Max(0, _compactedOriginalTokens - summaries);
        return savings;
    }

    /// <summary>Decides whether masking old observations pays off now, by cost with prompt caching.</summary>
    /// <param name="nextStep">The step about to be made.</param>
    /// <param name="maxRemainingSteps">The most steps left (a step limit), if known.</param>
    /// <returns>The masking to do, or <see langword="null"/> when it would not pay off.</returns>
    public MaskPlan? PlanMasking(int nextStep, int? maxRemainingSteps = null)
    {
        if (!_options.Masking)
        {
            return null;
        }

        var eligible = MaskCandidates(out var throughStep);
        if (eligible.Count == 0)
        {
            return null;
        }

        var saved = eligible.Sum(e => (long)(e.Item.RenderedTokens - e.StubTokens));
        if (saved < _options.MinMaskTokens)
        {
            return null;
        }

        var firstIndex = _items.IndexOf(eligible[0].Item);
        long prefix = SystemTokens + _items.Take(firstIndex).Sum(i => (long)i.RenderedTokens);
        var total = Tokens;

        // Masking rewrites the cache from the first masked item on; it pays off when the cache reads it
        // saves over the steps still to come outweigh that rewrite. The steps still to come are unknown:
        // a session that has run k steps is expected to run about k more (capped by its step limit).
        var expected = Math.Max(1, nextStep - 1);
        if (maxRemainingSteps is { } cap)
        {
            expected = Math.Min(expected, Math.Max(0, cap));
        }

        var rewrite = (total - saved - prefix) * (_options.CacheWritePrice - _options.CacheReadPrice);
        var gain = saved * _options.CacheReadPrice * expected;
        if (gain < _options.MaskMargin * rewrite || expected == 0)
        {
            return null;
        }

        var reason = string.Create(CultureInfo.InvariantCulture,
            $"saves {saved} tokens a step; over ~{expected} more steps that is worth {gain:0} token-prices of cache reads against {rewrite:0} to rewrite the cache");
        return new MaskPlan(throughStep, eligible.Count, saved, reason);
    }

    /// <summary>Replaces eligible observations up to a step with stubs (see <see cref="PlanMasking"/>).</summary>
    /// <returns>How many observations were masked.</returns>
    public int Mask(int throughStep)
    {
        var eligible = MaskCandidates(out _).Where(e => e.Item.Step <= throughStep).ToList();
        foreach (var (item, stub, stubTokens) in eligible)
        {
            item.Rendered = stub;
            item.RenderedTokens = stubTokens;
            item.Saving = ContextSaving.Masking;
            if (item.CallId is not null)
            {
                _outputs.Remove(OutputKey(item));
            }
        }

        _files.Forget(eligible.Where(e => e.Item.Kind == ContextItemKind.Observation).Select(e => e.Item.Step).ToHashSet());
        foreach (var path in eligible.Where(e => e.Item.View is not null).Select(e => e.Item.View!.Path).Distinct())
        {
            _files.Forget(path);
        }

        return eligible.Count;
    }

    /// <summary>Whether the context has grown past the compaction threshold of the window.</summary>
    public bool NeedsCompaction => Tokens > _options.CompactionThreshold * _options.ContextWindow;

    /// <summary>The point compaction would cut at: how many messages it replaces, and the last step among them; null when nothing can be cut.</summary>
    public (int ReplacedMessages, int ThroughStep)? CompactionCut()
    {
        var turns = _items.Where(i => i.Kind == ContextItemKind.Assistant).ToList();
        var keep = turns.Skip(Math.Max(0, turns.Count - _options.CompactionKeepTurns)).FirstOrDefault();
        var cutMessage = keep?.MessageIndex ?? MessageCount;
        var replaced = _items.Where(i => i.Kind != ContextItemKind.Summary && i.MessageIndex < cutMessage).ToList();
        if (replaced.Count == 0)
        {
            return null;
        }

        return (cutMessage, replaced.Max(i => i.Step));
    }

    /// <summary>Replaces every message before <paramref name="replacedMessages"/> (and earlier summaries) with a summary.</summary>
    public ContextItem Compact(string summary, int replacedMessages)
    {
        ArgumentNullException.ThrowIfNull(summary);
        var removed = _items.Where(i => i.Kind == ContextItemKind.Summary || i.MessageIndex < replacedMessages).ToList();
        foreach (var item in removed)
        {
            _items.Remove(item);
            if (item.Kind != ContextItemKind.Summary)
            {
                _compactedOriginalTokens += item.OriginalTokens;
            }
        }

        var summaryItem = new ContextItem(ContextItemKind.Summary, LastStep, replacedMessages, summary) { };
        summaryItem.OriginalTokens = summaryItem.RenderedTokens = Count(summary);
        _items.Insert(0, summaryItem);
        _files.Clear();
        _outputs.Clear();
        return summaryItem;
    }

    private ContextItem Add(ContextItem item)
    {
        item.OriginalTokens = item.RenderedTokens = Count(item.Original);
        _items.Add(item);
        return item;
    }

    private int Count(string text) => _counter.CountTokens(text) + MessageOverhead;

    private void Shape(ContextItem item)
    {
        var text = item.Original;
        if (text.Length > _options.MaxObservationChars)
        {
            item.Rendered = ObservationShaper.Cut(text, _options.MaxObservationChars, item.Step, StepReference(item));
            item.Saving = ContextSaving.Truncation;
            if (item.View is not null)
            {
                // Only part of the file is shown: what the context held of it is no longer complete.
                _files.Forget(item.View.Path);
            }

            return;
        }

        if (_options.CodeMemory && item.View is { } view && !item.IsError)
        {
            var recalled = _files.Recall(view);
            if (recalled.Kind == RecallKind.Same)
            {
                item.Rendered = string.Create(CultureInfo.InvariantCulture,
                    $"[{view.Path} lines {view.StartLine}-{view.EndLine} are unchanged since step {recalled.Holders.Max()}: that content is already in your context.]");
                item.Saving = ContextSaving.CodeMemory;
                item.DependsOn = recalled.Holders;
            }
            else if (recalled.Kind == RecallKind.Changed)
            {
                var diff = UnifiedDiff.Create(recalled.OldLines, view.Lines, view.StartLine);
                var rendered = string.Create(CultureInfo.InvariantCulture,
                    $"[{view.Path} changed since step {recalled.Holders.Max()}; its lines as your context shows them differ as follows (unified diff, new line numbers on the + side):]\n{diff}");
                if (rendered.Length * 10 < text.Length * 7)
                {
                    item.Rendered = rendered;
                    item.Saving = ContextSaving.CodeMemory;
                    item.DependsOn = recalled.Holders;
                }
                else
                {
                    recalled = Recollection.Unknown;
                }
            }

            _files.Record(view, item.Step, recalled);
            return;
        }

        if (item.View is not null)
        {
            _files.Forget(item.View.Path);
        }

        if (text.Length >= _options.MinRepeatedOutputChars && item.Tool is not null)
        {
            var key = OutputKey(item);
            if (_outputs.TryGetValue(key, out var first) && !first.Masked)
            {
                item.Rendered = string.Create(CultureInfo.InvariantCulture,
                    $"[Same output as step {first.Step} ({first.CallSummary}); it is already in your context.]");
                item.Saving = ContextSaving.CodeMemory;
                item.DependsOn = new HashSet<int> { first.Step };
                return;
            }

            _outputs[key] = item;
        }
    }

    private static string OutputKey(ContextItem item) => item.Tool + "\n" + item.Original;

    private string StepReference(ContextItem item) =>
        _observations.Any(o => o.Step == item.Step && o.CallId != item.CallId)
            ? string.Create(CultureInfo.InvariantCulture, $"step={item.Step}, call_id=\"{item.CallId}\"")
            : string.Create(CultureInfo.InvariantCulture, $"step={item.Step}");

    private List<(ContextItem Item, string Stub, int StubTokens)> MaskCandidates(out int throughStep)
    {
        throughStep = 0;
        var visible = _items.Where(i => i.Kind == ContextItemKind.Observation).ToList();
        if (visible.Count <= _options.KeepRecentObservations)
        {
            return [];
        }

        // Everything made before the oldest of the observations that stay whole.
        var keepFrom = visible[visible.Count - _options.KeepRecentObservations];
        var old = _items.Take(_items.IndexOf(keepFrom))
            .Where(i => !i.Masked && (i.Kind == ContextItemKind.Observation || (i.Kind == ContextItemKind.Assistant && i.ElidedText is not null)))
            .ToList();
        if (old.Count == 0)
        {
            return [];
        }

        var oldSet = old.ToHashSet();
        var needed = _items.Where(i => !i.Masked && !oldSet.Contains(i)).SelectMany(i => i.DependsOn).ToHashSet();
        var result = new List<(ContextItem, string, int)>();
        foreach (var item in old)
        {
            if (item.Kind == ContextItemKind.Observation && needed.Contains(item.Step))
            {
                continue;
            }

            var stub = item.Kind == ContextItemKind.Assistant ? item.ElidedText! : Stub(item);
            var stubTokens = Count(stub);
            if (item.RenderedTokens - stubTokens >= 10)
            {
                result.Add((item, stub, stubTokens));
                throughStep = Math.Max(throughStep, item.Step);
            }
        }

        return result;
    }

    private string Stub(ContextItem item)
    {
        var lines = item.Original.Count(c => c == '\n') + 1;
        var what = item.View is { } view
            ? string.Create(CultureInfo.InvariantCulture, $"{item.CallSummary}: {view.Path} lines {view.StartLine}-{view.EndLine}")
            : item.CallSummary;
        var text = new StringBuilder().Append(CultureInfo.InvariantCulture, $"[Output of step {item.Step} elided to save context ({what}; {lines} lines");
        if (item.IsError)
        {
            text.Append(", failed");
        }

        return text.Append(CultureInfo.InvariantCulture, $"). read_output({StepReference(item)}) shows it again.]").ToString();
    }
}

/// <summary>A masking batch that pays off.</summary>
/// <param name="ThroughStep">Observations of this step and earlier are masked.</param>
/// <param name="Observations">How many.</param>
/// <param name="TokensSaved">Tokens the context loses.</param>
/// <param name="Reason">The cost estimate behind the decision.</param>
public sealed record MaskPlan(int ThroughStep, int Observations, long TokensSaved, string Reason);
