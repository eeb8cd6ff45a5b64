using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.AI;
using Rein.Context.CodeMemory;
using Rein.Context.Compaction;
using Rein.Context.Masking;
using Rein.Engine;
using Rein.Journal;
using Rein.Tools;

namespace Rein.Context;

/// <summary>
/// Rein's context builder: shapes observations as they arrive (code memory, repeated outputs, truncation),
/// masks old observations in batches when that is cheaper with prompt caching, and compacts older turns
/// when the context nears the model's window. What it changes is journaled
/// (<see cref="ObservationsMasked"/>, <see cref="ContextCompacted"/>), so a resumed session is shown
/// exactly what it was shown before.
/// </summary>
/// <remarks>Thread-safe across sessions; one session is built by one caller at a time.</remarks>
public sealed class ContextEngine : IContextBuilder
{
    private readonly string _systemPrompt;
    private readonly ITokenCounter _counter;
    private readonly ContextOptions _options;
    private readonly Compactor? _compactor;
    private readonly ConcurrentDictionary<string, SessionContext> _sessions = new(StringComparer.Ordinal);

    /// <summary>Creates the engine.</summary>
    /// <param name="systemPrompt">The system prompt (a stable prefix: it never changes during a session).</param>
    /// <param name="counter">Counts tokens for the model.</param>
    /// <param name="options">How to shape the context; <see langword="null"/> for the defaults.</param>
    /// <param name="compactor">Writes compaction summaries; <see langword="null"/> for a summary without a model.</param>
    public ContextEngine(string systemPrompt, ITokenCounter counter, ContextOptions? options = null, Compactor? compactor = null)
    {
        ArgumentNullException.ThrowIfNull(systemPrompt);
        ArgumentNullException.ThrowIfNull(counter);
        _systemPrompt = systemPrompt;
        _counter = counter;
        _options = options ?? new ContextOptions();
        _compactor = compactor;
    }

    /// <summary>Gets the options.</summary>
    public ContextOptions Options => _options;

    /// <summary>Gets or sets what runs just before a compaction (e.g. <c>PreCompact</c> hooks), given the session and the trigger.</summary>
    public Func<SessionWriter, string, CancellationToken, Task>? BeforeCompaction { get; set; }

    /// <summary>Gets or sets the most steps a run may make, used to bound the steps masking expects to come. Default: none.</summary>
    public int? MaxSteps { get; set; }

    /// <inheritdoc />
    public ValueTask<IList<ChatMessage>> BuildAsync(SessionState state, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(state);
        var context = Fold(state);
        lock (context)
        {
            return ValueTask.FromResult<IList<ChatMessage>>(Render(context.Ledger));
        }
    }

    /// <inheritdoc />
    public async ValueTask<IList<ChatMessage>> BuildAsync(SessionWriter session, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(session);
        var context = Fold(session.State);
        if (context.Ledger.NeedsCompaction)
        {
            await CompactAsync(session, "auto", cancellationToken).ConfigureAwait(false);
            context = Fold(session.State);
        }

        MaskPlan? plan;
        lock (context)
        {
            var remaining = MaxSteps is { } max ? max - session.State.Steps : (int?)null;
            plan = context.Ledger.PlanMasking(session.State.Steps + 1, remaining);
        }

        if (plan is not null)
        {
            await session.AppendAsync(new ObservationsMasked(plan.ThroughStep, plan.Observations, plan.TokensSaved, plan.Reason), cancellationToken).ConfigureAwait(false);
            context = Fold(session.State);
        }

        lock (context)
        {
            return Render(context.Ledger);
        }
    }

    /// <summary>Replaces older turns with a summary now (<c>/compact</c>, or the window filling up).</summary>
    /// <param name="session">The session's writer.</param>
    /// <param name="trigger"><c>manual</c> or <c>auto</c>.</param>
    /// <param name="cancellationToken">A token to cancel the operation.</param>
    /// <returns>The journaled event, or <see langword="null"/> when there is nothing to compact.</returns>
    public async Task<ContextCompacted?> CompactAsync(SessionWriter session, string trigger, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(session);
        var context = Fold(session.State);
        (int ReplacedMessages, int ThroughStep)? cut;
        long before;
        CarryOver carry;
        string transcript;
        lock (context)
        {
            cut = context.Ledger.CompactionCut();
            if (cut is null)
            {
                return null;
            }

            before = context.Ledger.Tokens;
            carry = CarryOver.From(session.State, cut.Value.ReplacedMessages);
            transcript = Transcript(context.Ledger, cut.Value.ReplacedMessages);
        }

        if (BeforeCompaction is { } hook)
        {
            await hook(session, trigger, cancellationToken).ConfigureAwait(false);
        }

        string? modelSummary = null;
        if (_compactor is not null)
        {
            modelSummary = await _compactor.SummarizeAsync(transcript, cancellationToken).ConfigureAwait(false);
        }

        string summary;
        lock (context)
        {
            modelSummary ??= ExtractiveSummary.Steps(context.Ledger, cut.Value.ReplacedMessages);
            summary = carry.Format(cut.Value.ThroughStep, modelSummary);
        }

        var after = before - context.Ledger.Items.Where(i => i.Kind == ContextItemKind.Summary || i.MessageIndex < cut.Value.ReplacedMessages).Sum(i => (long)i.RenderedTokens)
            + _counter.CountTokens(summary) + ContextLedger.MessageOverhead;
        var compacted = new ContextCompacted(trigger, cut.Value.ReplacedMessages, cut.Value.ThroughStep, summary, before, after);
        await session.AppendAsync(compacted, cancellationToken).ConfigureAwait(false);
        Fold(session.State);
        return compacted;
    }

    /// <summary>Gets the whole text of an observation the session's context holds or held.</summary>
    /// <param name="sessionId">The session.</param>
    /// <param name="step">The step that made it.</param>
    /// <param name="callId">The call, when the step made several.</param>
    /// <returns>The observation and the call identifiers of the step, or <see langword="null"/> when there is none.</returns>
    public (ContextItem Observation, IReadOnlyList<string> StepCalls)? FindOutput(string sessionId, int? step, string? callId)
    {
        if (!_sessions.TryGetValue(sessionId, out var context))
        {
            return null;
        }

        lock (context)
        {
            var item = step is { } s ? context.Ledger.FindObservation(s, callId) : callId is null ? null : context.Ledger.FindObservation(callId);
            if (item is null)
            {
                return null;
            }

            var calls = context.Ledger.Observations.Where(o => o.Step == item.Step).Select(o => o.CallId!).ToList();
            return (item, calls);
        }
    }

    /// <summary>Gets the size, in tokens, of the session's context as last built (system prompt and messages).</summary>
    public long? ContextTokens(string sessionId) =>
        _sessions.TryGetValue(sessionId, out var context) ? context.Ledger.Tokens : null;

    private SessionContext Fold(SessionState state)
    {
        var context = _sessions.AddOrUpdate(
            state.SessionId,
            _ => new SessionContext(new ContextLedger(_options, _counter, _systemPrompt), state),
            (_, existing) => ReferenceEquals(existing.State, state) ? existing : new SessionContext(new ContextLedger(_options, _counter, _systemPrompt), state));
        lock (context)
        {
            context.CatchUp();
        }

        return context;
    }

    private List<ChatMessage> Render(ContextLedger ledger)
    {
        var messages = new List<ChatMessage>(ledger.Items.Count + 1) { new(ChatRole.System, _systemPrompt) };
        ChatMessage? tool = null;
        var toolIndex = -1;
        foreach (var item in ledger.Items)
        {
            switch (item.Kind)
            {
                case ContextItemKind.Observation:
                    if (tool is null || toolIndex != item.MessageIndex)
                    {
                        tool = new ChatMessage(ChatRole.Tool, []);
                        toolIndex = item.MessageIndex;
                        messages.Add(tool);
                    }

                    tool.Contents.Add(new FunctionResultContent(item.CallId!, item.Rendered));
                    continue;
                case ContextItemKind.Assistant:
                    messages.Add((item.Masked ? item.ElidedMessage : null) ?? item.Message ?? new ChatMessage(ChatRole.Assistant, item.Rendered));
                    break;
                default:
                    messages.Add(new ChatMessage(ChatRole.User, item.Rendered));
                    break;
            }

            tool = null;
        }

        return messages;
    }

    private static string Transcript(ContextLedger ledger, int replacedMessages)
    {
        var text = new StringBuilder();
        foreach (var item in ledger.Items.Where(i => i.Kind == ContextItemKind.Summary || i.MessageIndex < replacedMessages))
        {
            var role = item.Kind switch
            {
                ContextItemKind.Assistant => "assistant",
                ContextItemKind.Observation => "tool " + item.CallSummary,
                ContextItemKind.Summary => "earlier summary",
                _ => "user",
            };
            var body = item.Rendered.Length > 4_000 ? string.Concat(item.Rendered.AsSpan(0, 4_000), " […]") : item.Rendered;
            text.Append(CultureInfo.InvariantCulture, $"### {role} (step {item.Step})\n{body}\n\n");
        }

        return text.ToString();
    }

    /// <summary>One session's ledger and how far into its state it has read.</summary>
    private sealed class SessionContext(ContextLedger ledger, SessionState state)
    {
        private readonly Dictionary<string, (string Name, JsonElement? Arguments)> _calls = new(StringComparer.Ordinal);
        private int _messages;
        private int _contentsOfLast;
        private int _marks;
        private int _step;

        public ContextLedger Ledger { get; } = ledger;

        public SessionState State { get; } = state;

        public void CatchUp()
        {
            var messages = State.Messages;

            // Results added to the last tool message after it was read (calls that finished later).
            if (_messages > 0 && messages[_messages - 1].Role == ChatRole.Tool && messages[_messages - 1].Contents.Count > _contentsOfLast)
            {
                var last = messages[_messages - 1];
                for (var k = _contentsOfLast; k < last.Contents.Count; k++)
                {
                    AddResult(last.Contents[k], newMessage: false);
                }

                _contentsOfLast = last.Contents.Count;
            }

            for (; _messages < messages.Count; _messages++)
            {
                ApplyMarks(_messages);
                var message = messages[_messages];
                if (message.Role == ChatRole.Assistant)
                {
                    AddAssistant(message);
                }
                else if (message.Role == ChatRole.Tool)
                {
                    var first = true;
                    foreach (var content in message.Contents)
                    {
                        AddResult(content, first);
                        first = false;
                    }

                    _contentsOfLast = message.Contents.Count;
                }
                else
                {
                    Ledger.AddUser(message.Text);
                }
            }

            ApplyMarks(messages.Count);
        }

        private void ApplyMarks(int messageIndex)
        {
            var marks = State.ContextMarks;
            while (_marks < marks.Count && marks[_marks].MessageIndex <= messageIndex)
            {
                switch (marks[_marks].Event)
                {
                    case ObservationsMasked masked:
                        Ledger.Mask(masked.ThroughStep);
                        break;
                    case ContextCompacted compacted:
                        Ledger.Compact(compacted.Summary, compacted.ReplacedMessages);
                        break;
                }

                _marks++;
            }
        }

        private void AddAssistant(ChatMessage message)
        {
            _step++;
            var text = new StringBuilder(message.Text);
            var elided = false;
            var elidedContents = new List<AIContent>();
            foreach (var content in message.Contents)
            {
                if (content is FunctionCallContent call)
                {
                    var arguments = call.Arguments is null ? (JsonElement?)null : JsonSerializer.SerializeToElement(call.Arguments, AIJsonUtilities.DefaultOptions.GetTypeInfo(typeof(IDictionary<string, object?>)));
                    _calls[call.CallId] = (call.Name, arguments);
                    text.Append('\n').Append(call.Name).Append(arguments?.GetRawText() ?? "{}");
                    var payloadKey = call.Name switch { "write_file" => "content", "edit_file" => "new_string", _ => null };
                    if (payloadKey is not null && call.Arguments?.TryGetValue(payloadKey, out var payload) == true
                        && payload?.ToString() is { Length: >= PayloadElision.MinChars } payloadText)
                    {
                        var shortened = new Dictionary<string, object?>(call.Arguments, StringComparer.Ordinal)
                        {
                            [payloadKey] = PayloadElision.Note(call.Name, call.Arguments.TryGetValue("path", out var path) ? path?.ToString() ?? "" : "", payloadText),
                        };
                        elidedContents.Add(new FunctionCallContent(call.CallId, call.Name, shortened));
                        elided = true;
                        continue;
                    }
                }

                elidedContents.Add(content);
            }

            ChatMessage? elidedMessage = elided ? new ChatMessage(ChatRole.Assistant, elidedContents) : null;
            Ledger.AddAssistant(_step, text.ToString(), message, elidedMessage is null ? null : Describe(elidedMessage), elidedMessage);
        }

        private static string Describe(ChatMessage message)
        {
            var text = new StringBuilder(message.Text);
            foreach (var call in message.Contents.OfType<FunctionCallContent>())
            {
                text.Append('\n').Append(call.Name).Append(JsonSerializer.Serialize(call.Arguments, AIJsonUtilities.DefaultOptions.GetTypeInfo(typeof(IDictionary<string, object?>))));
            }

            return text.ToString();
        }

        private void AddResult(AIContent content, bool newMessage)
        {
            if (content is not FunctionResultContent result)
            {
                return;
            }

            var text = result.Result?.ToString() ?? "";
            var (name, arguments) = _calls.TryGetValue(result.CallId, out var call) ? call : ("tool", null);
            var view = name == "read_file" ? ReadFileOutput.Parse(arguments, text) : null;
            Ledger.AddObservation(_step, result.CallId, name, Summarize(name, arguments), text, isError: false, view, newMessage);
        }

        private static string Summarize(string name, JsonElement? arguments) =>
            ToolCallText.MainArgument(arguments) is { } main ? $"{name} `{main}`" : name;
    }
}
