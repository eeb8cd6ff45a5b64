using Rein.Journal;
using Rein.Tools;

namespace Rein.Reports;

/// <summary>One node of a session's trace: the session, a turn, a model call, a tool call, or a decision or event within them.</summary>
/// <param name="Kind"><c>session</c>, <c>turn</c>, <c>chat</c>, <c>tool</c>, <c>policy</c>, <c>approval</c> or <c>event</c>.</param>
/// <param name="Name">What it is, e.g. <c>chat gpt-5.5</c> or <c>execute_tool shell</c>.</param>
/// <param name="Start">When it started.</param>
/// <param name="DurationMs">How long it took, in milliseconds.</param>
/// <param name="Usage">Tokens used by it and everything below it.</param>
/// <param name="CostUsd">What it and everything below it cost, in US dollars.</param>
/// <param name="Detail">A short description (a decision's reason, a tool's outcome, …).</param>
/// <param name="Children">The nodes below it, in order.</param>
public sealed record TraceNode(string Kind, string Name, DateTimeOffset Start, long DurationMs, TokenUsage Usage, decimal CostUsd, string? Detail, IReadOnlyList<TraceNode> Children);

/// <summary>Builds a session's trace tree from its journal.</summary>
public static class SessionTrace
{
    /// <summary>Builds the tree: session → turns → model calls → tool calls → decisions.</summary>
    /// <param name="events">The session's journal, in order.</param>
    public static TraceNode Build(IReadOnlyList<RecordedEvent> events)
    {
        ArgumentNullException.ThrowIfNull(events);
        var root = new Node("session", "session", events.Count > 0 ? events[0].Timestamp : default);
        Node? turn = null;
        var tools = new Dictionary<string, Node>(StringComparer.Ordinal);
        string? model = null;
        Node Turn(DateTimeOffset at, string name)
        {
            turn = new Node("turn", name, at);
            root.Children.Add(turn);
            return turn;
        }

        foreach (var recorded in events)
        {
            var at = recorded.Timestamp;
            root.End = Max(root.End, at);
            if (turn is not null)
            {
                turn.End = Max(turn.End, at);
            }

            switch (recorded.Event)
            {
                case SessionStarted started:
                    model = started.Model;
                    root.Name = $"session {started.SessionId}";
                    root.Detail = string.Join(" · ", new[] { started.Agent, started.Model, started.Principal, started.Origin }.Where(s => !string.IsNullOrEmpty(s)));
                    break;
                case UserMessage message:
                    Turn(at, "turn: " + ToolCallText.Shorten(message.Text, 60));
                    break;
                case SessionResumed:
                    Turn(at, "turn: resumed");
                    break;
                case ModelCalled called:
                    var chat = new Node("chat", $"chat {(model is null ? called.Model ?? "model" : ModelNames.Of(model, called.Model))}", at.AddMilliseconds(-called.LatencyMs))
                    {
                        End = at,
                        Usage = called.Usage,
                        CostUsd = called.CostUsd ?? 0,
                        Detail = $"step {called.Step}{(called.ContextTokens is { } context ? $" · context {context:N0} tokens" : "")}{(called.FinishReason is { } finish ? $" · {finish}" : "")}",
                    };
                    (turn ?? Turn(chat.Start, "turn")).Children.Add(chat);
                    foreach (var call in called.ToolCalls)
                    {
                        var tool = new Node("tool", $"execute_tool {call.Name}", at) { End = at, Detail = ToolCallText.MainArgument(call.Arguments) };
                        tools[call.Id] = tool;
                        chat.Children.Add(tool);
                    }

                    break;
                case ModelCallFailed failed:
                    (turn ?? Turn(at, "turn")).Children.Add(new Node("chat", "chat (failed)", at) { End = at, Detail = failed.Error });
                    break;
                case PolicyDecided decided when tools.TryGetValue(decided.CallId, out var tool):
                    tool.Children.Add(new Node("policy", $"policy {decided.Decision}", at) { End = at, Detail = decided.Reason });
                    break;
                case ApprovalRequested requested when tools.TryGetValue(requested.CallId, out var tool):
                    tool.Children.Add(new Node("approval", "approval requested", at) { End = at, Detail = requested.Reason });
                    break;
                case ApprovalDecided answered when tools.TryGetValue(answered.CallId, out var tool):
                    tool.Children.Add(new Node("approval", $"approval {answered.Decision}", at) { End = at, Detail = answered.By });
                    break;
                case ToolStarted started when tools.TryGetValue(started.CallId, out var tool):
                    tool.Start = at;
                    break;
                case ToolCompleted completed when tools.TryGetValue(completed.CallId, out var tool):
                    tool.End = at;
                    tool.DurationMs = completed.DurationMs;
                    tool.Detail = $"{completed.Outcome}{(tool.Detail is { Length: > 0 } args ? " · " + args : "")}";
                    break;
                case SubAgentFinished finished when tools.TryGetValue(finished.CallId, out var tool):
                    tool.Usage = finished.Usage;
                    tool.CostUsd = finished.CostUsd;
                    tool.Children.Add(new Node("event", "subagent_finished", at) { End = at, Detail = $"session {finished.ChildSessionId}: {finished.StopReason}, {finished.Steps} steps" });
                    break;
                case BudgetWarning or BudgetExceeded or ContextCompacted or ObservationsMasked or MemoriesRecalled or SessionSuspended or SessionEnded or EgressRefused or SandboxDisabled or ProjectSettingsIgnored:
                    var node = new Node("event", EventName(recorded.Event), at) { End = at, Detail = Describe(recorded.Event) };
                    (turn ?? root).Children.Add(node);
                    break;
            }
        }

        return root.ToRecord();
    }

    private static DateTimeOffset Max(DateTimeOffset a, DateTimeOffset b) => a > b ? a : b;

    private static string EventName(SessionEvent e) => EventTypeNames.Of(e.GetType());

    private static string? Describe(SessionEvent e) => e switch
    {
        BudgetWarning w => $"{w.Budget} {w.Scope}: {w.Used:0.####} of {w.Limit:0.####}",
        BudgetExceeded x => x.Detail,
        ContextCompacted c => $"{c.Trigger}: steps 1-{c.ThroughStep}, {c.TokensBefore:N0} → {c.TokensAfter:N0} tokens",
        ObservationsMasked m => $"{m.Observations} observations through step {m.ThroughStep}, {m.TokensSaved:N0} tokens",
        MemoriesRecalled r => $"{r.Reason}: {r.Memories.Count} memories",
        SessionSuspended s => s.Reason,
        SessionEnded end => end.Detail is null ? end.Reason : $"{end.Reason}: {end.Detail}",
        EgressRefused n => $"{n.Host}:{n.Port}",
        SandboxDisabled d => d.Detail,
        ProjectSettingsIgnored i => $"{i.File}: {string.Join(", ", i.Keys)}",
        _ => null,
    };

    private sealed class Node(string kind, string name, DateTimeOffset start)
    {
        public string Kind { get; } = kind;

        public string Name { get; set; } = name;

        public DateTimeOffset Start { get; set; } = start;

        public DateTimeOffset End { get; set; } = start;

        public long? DurationMs { get; set; }

        public TokenUsage Usage { get; set; } = TokenUsage.Zero;

        public decimal CostUsd { get; set; }

        public string? Detail { get; set; }

        public List<Node> Children { get; } = [];

        public TraceNode ToRecord()
        {
            var children = Children.Select(c => c.ToRecord()).ToList();
            var usage = Kind is "chat" or "tool" && (Usage.InputTokens > 0 || Usage.OutputTokens > 0) ? Usage : children.Aggregate(Usage, (sum, c) => sum + c.Usage);
            var cost = Kind is "chat" || (Kind == "tool" && CostUsd > 0) ? CostUsd : CostUsd + children.Sum(c => c.CostUsd);
            var duration = DurationMs ?? (long)Math.Max(0, (End - Start).TotalMilliseconds);
            return new TraceNode(Kind, Name, Start, duration, usage, cost, Detail, children);
        }
    }
}
