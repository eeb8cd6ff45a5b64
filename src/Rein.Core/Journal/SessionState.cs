using System.Text.Json;
using Microsoft.Extensions.AI;

namespace Rein.Journal;

/// <summary>
/// A session's state: the fold of its journal. Build one with <see cref="Fold"/> and keep it
/// current with <see cref="Apply(RecordedEvent)"/>.
/// </summary>
/// <remarks>Not thread-safe; the single writer of a session owns its state.</remarks>
public sealed class SessionState
{
    private readonly List<ChatMessage> _messages = [];
    private readonly Dictionary<string, PendingToolCall> _pending = new(StringComparer.Ordinal);
    private readonly List<string> _pendingOrder = [];
    private readonly Dictionary<string, ApprovalRequested> _approvalRequests = new(StringComparer.Ordinal);
    private readonly Dictionary<string, ApprovalDecided> _approvalDecisions = new(StringComparer.Ordinal);
    private readonly List<string> _sessionRules = [];
    private readonly List<ContextMark> _contextMarks = [];
    private InstructionsLoaded[] _instructions = [];

    /// <summary>Gets the session identifier.</summary>
    public string SessionId { get; private set; } = "";

    /// <summary>Gets the workspace path.</summary>
    public string Workspace { get; private set; } = "";

    /// <summary>Gets the model specification the session started with, or the one a resume changed it to (<see cref="RunSettingsChanged"/>).</summary>
    public string Model { get; private set; } = "";

    /// <summary>Gets the agent profile name, if any (as started, or as a resume changed it).</summary>
    public string? Agent { get; private set; }

    /// <summary>Gets who started the session, if recorded.</summary>
    public string? Principal { get; private set; }

    /// <summary>Gets where the session came from (<see cref="SessionStarted.Origin"/>, e.g. <c>slack:T1/C1/1700000000.000100</c>); <see langword="null"/> for a terminal's.</summary>
    public string? Origin { get; private set; }

    /// <summary>Gets who may answer this session's approval requests, as journaled at its start; <see langword="null"/> in older journals.</summary>
    public SessionApprovals? Approvals { get; private set; }

    /// <summary>Gets the run settings the session runs with (<see cref="SessionStarted.RunSettings"/>, then <see cref="RunSettingsChanged"/>); <see langword="null"/> in older journals.</summary>
    public SessionRunSettings? RunSettings { get; private set; }

    /// <summary>Gets the session that started this one as a sub-agent, if any.</summary>
    public string? ParentSessionId { get; private set; }

    /// <summary>Gets the parent's <c>task</c> call that started this session, if any.</summary>
    public string? ParentCallId { get; private set; }

    /// <summary>Gets when the session started (the time of its first event).</summary>
    public DateTimeOffset StartedAt { get; private set; }

    /// <summary>Gets the total price of the model calls, in US dollars, of calls with a known price, including finished sub-agents' (<see cref="SubAgentFinished"/>).</summary>
    public decimal CostUsd { get; private set; }

    /// <summary>Gets the approval requests of calls that have no result yet, by call identifier.</summary>
    public IReadOnlyDictionary<string, ApprovalRequested> ApprovalRequests => _approvalRequests;

    /// <summary>Gets the answers to <see cref="ApprovalRequests"/> given so far, by call identifier.</summary>
    public IReadOnlyDictionary<string, ApprovalDecided> ApprovalAnswers => _approvalDecisions;

    /// <summary>Gets the approval requests nobody has answered yet, in the order they were made.</summary>
    public IReadOnlyList<ApprovalRequested> OpenApprovals =>
        [.. _pendingOrder.Where(id => _approvalRequests.ContainsKey(id) && !_approvalDecisions.ContainsKey(id)).Select(id => _approvalRequests[id])];

    /// <summary>Gets the allow rules approved for the rest of this session (from <see cref="ApprovalDecisions.ApproveSession"/>).</summary>
    public IReadOnlyList<string> SessionRules => _sessionRules;

    /// <summary>Gets the nested <c>AGENTS.md</c> files in the context, the latest load of each path, in the order first loaded.</summary>
    /// <remarks>A snapshot: safe to read while parallel tool calls append.</remarks>
    public IReadOnlyList<InstructionsLoaded> Instructions => _instructions;

    /// <summary>Gets the status (see <see cref="SessionStatus"/>).</summary>
    public string Status { get; private set; } = SessionStatus.Running;

    /// <summary>Gets the sequence number of the last applied event (the journal version).</summary>
    public long Version { get; private set; }

    /// <summary>Gets the number of model calls made (steps).</summary>
    public int Steps { get; private set; }

    /// <summary>Gets the total token usage, including finished sub-agents' (<see cref="SubAgentFinished"/>), so session budgets count what delegated work spent.</summary>
    public TokenUsage Usage { get; private set; } = TokenUsage.Zero;

    /// <summary>Gets the conversation as the model sees it (user, assistant and tool messages).</summary>
    public IReadOnlyList<ChatMessage> Messages => _messages;

    /// <summary>Gets the changes to what the model is shown (compactions, masking), each with the number of messages there were when it happened.</summary>
    public IReadOnlyList<ContextMark> ContextMarks => _contextMarks;

    /// <summary>Gets the last assistant text, if any.</summary>
    public string? LastAssistantText { get; private set; }

    /// <summary>Gets why the session last stopped, if it did.</summary>
    public string? StopReason { get; private set; }

    /// <summary>Gets the tool calls that were proposed but have no result yet, in proposal order.</summary>
    public IReadOnlyList<PendingToolCall> PendingToolCalls => [.. _pendingOrder.Select(id => _pending[id])];

    /// <summary>Gets the number of tool calls that completed, by outcome.</summary>
    public int ToolCalls { get; private set; }

    /// <summary>Gets the model calls of finished sub-agents (<see cref="SubAgentFinished"/>); session step budgets count them with <see cref="Steps"/>.</summary>
    public int SubAgentSteps { get; private set; }

    /// <summary>Gets the tool calls of finished sub-agents (<see cref="SubAgentFinished"/>); session tool-call budgets count them with <see cref="ToolCalls"/>.</summary>
    public int SubAgentToolCalls { get; private set; }

    /// <summary>Folds a journal into a state.</summary>
    /// <param name="events">The events in sequence order.</param>
    /// <returns>The state.</returns>
    public static SessionState Fold(IEnumerable<RecordedEvent> events)
    {
        ArgumentNullException.ThrowIfNull(events);
        var state = new SessionState();
        foreach (var e in events)
        {
            state.Apply(e);
        }

        return state;
    }

    /// <summary>Applies the next recorded event.</summary>
    /// <param name="recorded">The event; its sequence must follow <see cref="Version"/>.</param>
    /// <exception cref="InvalidOperationException">The event is out of order.</exception>
    public void Apply(RecordedEvent recorded)
    {
        ArgumentNullException.ThrowIfNull(recorded);
        if (recorded.Sequence != Version + 1)
        {
            throw new InvalidOperationException($"Event {recorded.Sequence} cannot follow version {Version}.");
        }

        if (recorded.Sequence == 1)
        {
            StartedAt = recorded.Timestamp;
        }

        Apply(recorded.Event);
        Version = recorded.Sequence;
    }

    private void Apply(SessionEvent e)
    {
        // Rein.Server's session list folds Agent, Principal, Origin, ParentSessionId, Usage and CostUsd on its own (SessionListFold): change both.
        Status = SessionStatus.After(Status, e);
        switch (e)
        {
            case SessionStarted s:
                SessionId = s.SessionId;
                Workspace = s.Workspace;
                Model = s.Model;
                Agent = s.Agent;
                Principal = s.Principal;
                Origin = s.Origin;
                Approvals = s.Approvals;
                RunSettings = s.RunSettings;
                ParentSessionId = s.ParentSessionId;
                ParentCallId = s.ParentCallId;
                break;
            case UserMessage u:
                _messages.Add(new ChatMessage(ChatRole.User, u.Text));
                StopReason = null;
                break;
            case ModelCalled m:
                Steps = Math.Max(Steps, m.Step);
                Usage += m.Usage;
                CostUsd += m.CostUsd ?? 0m;
                _messages.Add(ToAssistantMessage(m));
                if (!string.IsNullOrEmpty(m.Text))
                {
                    LastAssistantText = m.Text;
                }

                break;
            case ModelCallFailed:
                break;
            case ToolCallProposed p:
                _pending[p.CallId] = new PendingToolCall(p.CallId, p.Name, p.Arguments, Started: false);
                _pendingOrder.Add(p.CallId);
                break;
            case ToolStarted t:
                if (_pending.TryGetValue(t.CallId, out var call))
                {
                    _pending[t.CallId] = call with { Started = true };
                }

                break;
            case ToolCompleted c:
                _approvalRequests.Remove(c.CallId);
                _approvalDecisions.Remove(c.CallId);
                _pending.Remove(c.CallId);
                _pendingOrder.Remove(c.CallId);
                ToolCalls++;
                AddToolResult(c);
                break;
            case ApprovalRequested request:
                _approvalRequests[request.CallId] = request;
                break;
            case ApprovalDecided decided:
                _approvalDecisions[decided.CallId] = decided;
                if (decided is { Decision: ApprovalDecisions.ApproveSession, SessionRule: { Length: > 0 } rule } && !_sessionRules.Contains(rule))
                {
                    _sessionRules.Add(rule);
                }

                break;
            case RunSettingsChanged changed:
                Model = changed.Model;
                Agent = changed.Agent;
                RunSettings = changed.Settings;
                break;
            case InstructionsLoaded loaded:
                var index = Array.FindIndex(_instructions, i => string.Equals(i.Path, loaded.Path, StringComparison.Ordinal));
                _instructions = index < 0 ? [.. _instructions, loaded] : [.. _instructions[..index], loaded, .. _instructions[(index + 1)..]];
                break;
            case SessionSuspended s:
                StopReason = s.Reason;
                break;
            case SessionResumed:
                break;
            case SubAgentFinished child:
                Usage += child.Usage;
                CostUsd += child.CostUsd;
                SubAgentSteps += child.Steps;
                SubAgentToolCalls += child.ToolCalls;
                break;
            case SessionEnded end:
                StopReason = end.Reason;
                break;
            case ContextCompacted or ObservationsMasked:
                _contextMarks.Add(new ContextMark(_messages.Count, e));
                break;
            case MemoriesRecalled recalled:
                // RawRepresentation marks the block so recall can tell it from the user's own messages.
                _messages.Add(new ChatMessage(ChatRole.User, recalled.ToPromptText()) { RawRepresentation = recalled });
                break;
            default:
                // Events added by later layers (policy, budgets, ...) do not change the conversation.
                break;
        }
    }

    private void AddToolResult(ToolCompleted c)
    {
        var content = new FunctionResultContent(c.CallId, c.Result);
        if (_messages.Count > 0 && _messages[^1].Role == ChatRole.Tool)
        {
            _messages[^1].Contents.Add(content);
        }
        else
        {
            _messages.Add(new ChatMessage(ChatRole.Tool, [content]));
        }
    }

    private static ChatMessage ToAssistantMessage(ModelCalled m)
    {
        var contents = new List<AIContent>();
        if (!string.IsNullOrEmpty(m.Text))
        {
            contents.Add(new TextContent(m.Text));
        }

        foreach (var call in m.ToolCalls)
        {
            contents.Add(new FunctionCallContent(call.Id, call.Name, ToDictionary(call.Arguments)));
        }

        return new ChatMessage(ChatRole.Assistant, contents);
    }

    private static Dictionary<string, object?>? ToDictionary(JsonElement? arguments)
    {
        if (arguments is not { ValueKind: JsonValueKind.Object } obj)
        {
            return null;
        }

        var result = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var property in obj.EnumerateObject())
        {
            result[property.Name] = property.Value.Clone();
        }

        return result;
    }
}

/// <summary>A tool call that was proposed and has no result yet.</summary>
/// <param name="CallId">The call identifier.</param>
/// <param name="Name">The tool name.</param>
/// <param name="Arguments">The arguments, if they parsed.</param>
/// <param name="Started">Whether <see cref="ToolStarted"/> was journaled (the tool may have run, in part).</param>
public sealed record PendingToolCall(string CallId, string Name, JsonElement? Arguments, bool Started);

/// <summary>A change to what the model is shown, at a point of the conversation.</summary>
/// <param name="MessageIndex">How many messages the conversation had when it happened.</param>
/// <param name="Event">The <see cref="ContextCompacted"/> or <see cref="ObservationsMasked"/> event.</param>
public sealed record ContextMark(int MessageIndex, SessionEvent Event);
