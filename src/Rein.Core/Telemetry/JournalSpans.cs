using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Rein.Journal;

namespace Rein.Telemetry;

/// <summary>Maps journal events, in order, to spans and metrics. One instance follows every session of a store.</summary>
/// <remarks>Thread-safe: events are observed under one lock.</remarks>
internal sealed class JournalSpans(TelemetryOptions options)
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, SessionSpans> _sessions = new(StringComparer.Ordinal);

    public bool Knows(string sessionId)
    {
        lock (_gate)
        {
            return _sessions.ContainsKey(sessionId);
        }
    }

    public void Observe(string sessionId, RecordedEvent? recorded)
    {
        lock (_gate)
        {
            if (!_sessions.TryGetValue(sessionId, out var session))
            {
                session = new SessionSpans(sessionId);
                _sessions[sessionId] = session;
            }

            if (recorded is not null)
            {
                Observe(session, recorded.Event, recorded.Timestamp);
                if (recorded.Event is SessionEnded or SessionSuspended && session.Turn is null && session.Tools.Count == 0)
                {
                    // Nothing is open: forget the session, so a long-lived host does not grow. A later turn
                    // reads the journal's first event again for the agent and the model.
                    _sessions.Remove(sessionId);
                }
            }
        }
    }

    public void EndAll()
    {
        lock (_gate)
        {
            var now = options.TimeProvider.GetUtcNow();
            foreach (var session in _sessions.Values)
            {
                foreach (var tool in session.Tools.Values)
                {
                    if (tool.Activity is { } running)
                    {
                        running.SetTag(GenAi.Rein.Incomplete, true);
                        End(running, now);
                        tool.Activity = null;
                    }
                }

                if (session.Turn is { } turn)
                {
                    turn.SetTag(GenAi.Rein.Incomplete, true);
                    End(turn, now);
                    session.Turn = null;
                }
            }
        }
    }

    private void Observe(SessionSpans session, SessionEvent e, DateTimeOffset at)
    {
        switch (e)
        {
            case SessionStarted started:
                session.Agent = started.Agent;
                session.Principal = started.Principal;
                session.Origin = started.Origin;
                (session.Provider, session.RequestModel) = SplitModel(started.Model);
                if (started.ParentSessionId is { } parentId && started.ParentCallId is { } callId
                    && _sessions.TryGetValue(parentId, out var parent) && parent.Tools.TryGetValue(callId, out var task) && task.Activity is { } taskSpan)
                {
                    session.ParentSpan = taskSpan.Context;
                    session.ParentSessionId = parentId;
                }

                break;
            case UserMessage message:
                if (session.Turn is null || session.TurnHasModelCalls)
                {
                    EndTurn(session, at, null, null);
                    StartTurn(session, at);
                }

                if (options.CaptureMessageContent)
                {
                    session.Turn?.SetTag(GenAi.InputMessages, ContentJson.Messages("user", Cut(message.Text), null, null));
                }

                break;
            case SessionResumed:
                if (session.Turn is null)
                {
                    StartTurn(session, at);
                }

                break;
            case ModelCalled called:
                session.TurnHasModelCalls = true;
                OnModelCalled(session, called, at);
                break;
            case ModelCallFailed failed:
                session.TurnHasModelCalls = true;
                OnModelCallFailed(session, failed, at);
                break;
            case ToolCallProposed proposed:
                session.Tool(proposed.CallId, proposed.Name).Arguments ??= proposed.Arguments;
                break;
            case PolicyDecided decided:
                var judged = session.Tool(decided.CallId, decided.Tool);
                (judged.Decision, judged.Rule, judged.RuleSource, judged.Mode) = (decided.Decision, decided.Rule, decided.Source, decided.Mode);
                break;
            case ApprovalRequested requested:
                session.Tool(requested.CallId, requested.Tool).Approval ??= "requested";
                break;
            case ApprovalDecided answered:
                if (session.Tools.TryGetValue(answered.CallId, out var approved))
                {
                    (approved.Approval, approved.ApprovedBy) = (answered.Decision, answered.By);
                }

                break;
            case EgressRefused refused when refused.CallId is { } refusedCall && session.Tools.TryGetValue(refusedCall, out var egress):
                egress.EgressRefused.Add(refused.Port > 0 ? $"{refused.Host}:{refused.Port.ToString(CultureInfo.InvariantCulture)}" : refused.Host);
                break;
            case SandboxDisabled:
                session.SandboxDisabled = true;
                session.Turn?.SetTag(GenAi.Rein.Sandbox, "disabled");
                break;
            case ToolStarted toolStarted:
                var pending = session.Tool(toolStarted.CallId, toolStarted.Name);
                pending.Activity ??= StartTool(session, pending, at);
                break;
            case ToolCompleted completed:
                OnToolCompleted(session, completed, at);
                break;
            case SessionSuspended suspended:
                EndTurn(session, at, suspended.Reason, null);
                break;
            case SessionEnded ended:
                EndTurn(session, at, ended.Reason, ended.Detail);
                break;
            default:
                break;
        }
    }

    private static void StartTurn(SessionSpans session, DateTimeOffset at)
    {
        session.TurnHasModelCalls = false;
        session.LastOutput = null;
        var tags = new ActivityTagsCollection
        {
            [GenAi.OperationName] = GenAi.InvokeAgent,
            [GenAi.ConversationId] = session.SessionId,
        };
        Add(tags, GenAi.AgentName, session.Agent);
        Add(tags, GenAi.ProviderName, session.Provider);
        Add(tags, GenAi.RequestModel, session.RequestModel);
        Add(tags, GenAi.Rein.Principal, session.Principal);
        Add(tags, GenAi.Rein.Origin, session.Origin);
        Add(tags, GenAi.Rein.ParentSessionId, session.ParentSessionId);
        Add(tags, GenAi.Rein.Sandbox, session.SandboxDisabled ? "disabled" : null);
        var name = session.Agent is { Length: > 0 } agent ? $"{GenAi.InvokeAgent} {agent}" : GenAi.InvokeAgent;
        session.Turn = Start(name, ActivityKind.Internal, session.ParentSpan, at, tags);
    }

    private void EndTurn(SessionSpans session, DateTimeOffset at, string? reason, string? detail)
    {
        if (session.Turn is not { } turn)
        {
            return;
        }

        if (reason is not null)
        {
            turn.SetTag(GenAi.Rein.StopReason, reason);
        }

        if (detail is not null)
        {
            turn.SetTag(GenAi.Rein.StopDetail, Cut(detail));
        }

        if (options.CaptureMessageContent && session.LastOutput is { } output)
        {
            turn.SetTag(GenAi.OutputMessages, ContentJson.Messages("assistant", Cut(output), null, null));
        }

        if (reason is StopReason.ModelError)
        {
            turn.SetTag(GenAi.ErrorType, reason);
            turn.SetStatus(ActivityStatusCode.Error, detail);
        }

        End(turn, at);
        session.Turn = null;
    }

    private void OnModelCalled(SessionSpans session, ModelCalled called, DateTimeOffset at)
    {
        var start = at.AddMilliseconds(-Math.Max(0, called.LatencyMs));
        var requestModel = session.RequestModel ?? called.Model;
        var tags = new ActivityTagsCollection { [GenAi.OperationName] = GenAi.Chat };
        Add(tags, GenAi.ProviderName, session.Provider);
        Add(tags, GenAi.RequestModel, requestModel);
        Add(tags, GenAi.ResponseModel, called.Model);
        Add(tags, GenAi.ConversationId, session.SessionId);
        tags[GenAi.InputTokens] = called.Usage.InputTokens;
        tags[GenAi.OutputTokens] = called.Usage.OutputTokens;
        if (called.Usage.CachedInputTokens > 0)
        {
            tags[GenAi.CacheReadInputTokens] = called.Usage.CachedInputTokens;
        }

        if (called.Usage.CacheWriteInputTokens > 0)
        {
            tags[GenAi.CacheCreationInputTokens] = called.Usage.CacheWriteInputTokens;
        }

        if (called.FinishReason is { Length: > 0 } finish)
        {
            tags[GenAi.FinishReasons] = new[] { finish };
        }

        tags[GenAi.Rein.Step] = called.Step;
        if (called.CostUsd is { } cost)
        {
            tags[GenAi.Rein.CostUsd] = (double)cost;
        }

        if (called.ContextTokens is { } context)
        {
            tags[GenAi.Rein.ContextTokens] = context;
        }

        if (options.CaptureMessageContent)
        {
            tags[GenAi.OutputMessages] = ContentJson.Messages("assistant", called.Text is null ? null : Cut(called.Text), called.ToolCalls, called.FinishReason);
        }

        var name = requestModel is { Length: > 0 } model ? $"{GenAi.Chat} {model}" : GenAi.Chat;
        if (Start(name, ActivityKind.Client, Parent(session), start, tags) is { } chat)
        {
            End(chat, at);
        }

        if (called.Text is { Length: > 0 } text)
        {
            session.LastOutput = text;
        }

        foreach (var call in called.ToolCalls)
        {
            session.Tool(call.Id, call.Name).Arguments ??= call.Arguments;
        }

        var metricTags = new TagList { { GenAi.OperationName, GenAi.Chat } };
        Add(ref metricTags, GenAi.ProviderName, session.Provider);
        Add(ref metricTags, GenAi.RequestModel, requestModel);
        Add(ref metricTags, GenAi.ResponseModel, called.Model);
        ReinTelemetry.OperationDuration.Record(Math.Max(0, called.LatencyMs) / 1000.0, metricTags);
        if (ReinTelemetry.TokenUsage.Enabled)
        {
            var input = metricTags;
            input.Add(GenAi.TokenType, "input");
            ReinTelemetry.TokenUsage.Record(called.Usage.InputTokens, input);
            var output = metricTags;
            output.Add(GenAi.TokenType, "output");
            ReinTelemetry.TokenUsage.Record(called.Usage.OutputTokens, output);
        }
    }

    private void OnModelCallFailed(SessionSpans session, ModelCallFailed failed, DateTimeOffset at)
    {
        var tags = new ActivityTagsCollection
        {
            [GenAi.OperationName] = GenAi.Chat,
            [GenAi.ConversationId] = session.SessionId,
            [GenAi.ErrorType] = StopReason.ModelError,
            [GenAi.Rein.Step] = failed.Step,
        };
        Add(tags, GenAi.ProviderName, session.Provider);
        Add(tags, GenAi.RequestModel, session.RequestModel);
        var name = session.RequestModel is { Length: > 0 } model ? $"{GenAi.Chat} {model}" : GenAi.Chat;
        if (Start(name, ActivityKind.Client, Parent(session), at, tags) is { } chat)
        {
            chat.SetStatus(ActivityStatusCode.Error, Cut(failed.Error));
            End(chat, at);
        }

        var metricTags = new TagList { { GenAi.OperationName, GenAi.Chat }, { GenAi.ErrorType, StopReason.ModelError } };
        Add(ref metricTags, GenAi.ProviderName, session.Provider);
        Add(ref metricTags, GenAi.RequestModel, session.RequestModel);
        ReinTelemetry.OperationDuration.Record(0, metricTags);
    }

    private Activity? StartTool(SessionSpans session, PendingTool tool, DateTimeOffset at)
    {
        var tags = new ActivityTagsCollection
        {
            [GenAi.OperationName] = GenAi.ExecuteTool,
            [GenAi.ToolName] = tool.Name,
            [GenAi.ToolCallId] = tool.CallId,
            [GenAi.ToolType] = "function",
            [GenAi.ConversationId] = session.SessionId,
            [GenAi.Rein.Sandbox] = session.SandboxDisabled ? "disabled" : "enabled",
        };
        Add(tags, GenAi.Rein.PolicyDecision, tool.Decision);
        Add(tags, GenAi.Rein.PolicyRule, tool.Rule);
        Add(tags, GenAi.Rein.PolicySource, tool.RuleSource);
        Add(tags, GenAi.Rein.PolicyMode, tool.Mode);
        if (options.CaptureMessageContent && tool.Arguments is { } arguments)
        {
            tags[GenAi.ToolCallArguments] = Cut(arguments.GetRawText());
        }

        return Start($"{GenAi.ExecuteTool} {tool.Name}", ActivityKind.Internal, Parent(session), at, tags);
    }

    private void OnToolCompleted(SessionSpans session, ToolCompleted completed, DateTimeOffset at)
    {
        var tool = session.Tool(completed.CallId, completed.Name);
        session.Tools.Remove(completed.CallId);

        // A call refused before it ran has no ToolStarted: its span covers the checks (policy, approval).
        var activity = tool.Activity ?? StartTool(session, tool, at.AddMilliseconds(-Math.Max(0, completed.DurationMs)));
        var errorType = completed.Outcome switch
        {
            ToolOutcome.Success => null,
            ToolOutcome.Interrupted => "interrupted",
            ToolOutcome.Error when tool.Decision is PolicyDecisions.Deny => "policy_denied",
            ToolOutcome.Error when tool.Approval is ApprovalDecisions.Deny or ApprovalDecisions.Timeout => "approval_denied",
            ToolOutcome.Error => "tool_error",
            _ => "tool_error",
        };
        if (activity is not null)
        {
            // Decisions journaled after the span started (an approval answered while it waited) belong on it too.
            SetIfMissing(activity, GenAi.Rein.PolicyDecision, tool.Decision);
            SetIfMissing(activity, GenAi.Rein.PolicyRule, tool.Rule);
            if (tool.Approval is { } approval)
            {
                activity.SetTag(GenAi.Rein.Approval, approval);
                activity.SetTag(GenAi.Rein.ApprovalBy, tool.ApprovedBy);
            }

            if (tool.EgressRefused.Count > 0)
            {
                activity.SetTag(GenAi.Rein.EgressRefused, tool.EgressRefused.ToArray());
            }

            activity.SetTag(GenAi.Rein.ToolOutcome, completed.Outcome switch
            {
                ToolOutcome.Success => "success",
                ToolOutcome.Error => "error",
                ToolOutcome.Interrupted => "interrupted",
                _ => "error",
            });
            if (completed.Truncated)
            {
                activity.SetTag(GenAi.Rein.ToolTruncated, true);
            }

            if (options.CaptureMessageContent)
            {
                activity.SetTag(GenAi.ToolCallResult, Cut(completed.Result));
            }

            if (errorType is not null)
            {
                activity.SetTag(GenAi.ErrorType, errorType);
                activity.SetStatus(ActivityStatusCode.Error);
            }

            End(activity, at);
        }

        var metricTags = new TagList { { GenAi.OperationName, GenAi.ExecuteTool }, { GenAi.ToolName, completed.Name } };
        Add(ref metricTags, GenAi.ErrorType, errorType);
        ReinTelemetry.ToolDuration.Record(Math.Max(0, completed.DurationMs) / 1000.0, metricTags);
    }

    private static ActivityContext Parent(SessionSpans session) => session.Turn?.Context ?? session.ParentSpan;

    private static Activity? Start(string name, ActivityKind kind, ActivityContext parent, DateTimeOffset start, ActivityTagsCollection tags)
    {
        // Spans are built after the fact from the journal: they must not become the ambient Activity.Current of the
        // code that appended the event.
        var ambient = Activity.Current;
        var activity = ReinTelemetry.ActivitySource.StartActivity(name, kind, parent, tags, links: null, startTime: start);
        Activity.Current = ambient;
        return activity;
    }

    private static void End(Activity activity, DateTimeOffset end)
    {
        // Activity.Stop stamps "now" on a span whose duration is still zero; keep the journal's time.
        var endTime = end.UtcDateTime;
        activity.SetEndTime(endTime > activity.StartTimeUtc ? endTime : activity.StartTimeUtc.AddTicks(1));
        var ambient = Activity.Current;
        activity.Stop();
        Activity.Current = ambient;
    }

    private static void Add(ActivityTagsCollection tags, string key, string? value)
    {
        if (!string.IsNullOrEmpty(value))
        {
            tags[key] = value;
        }
    }

    private static void Add(ref TagList tags, string key, string? value)
    {
        if (!string.IsNullOrEmpty(value))
        {
            tags.Add(key, value);
        }
    }

    private static void SetIfMissing(Activity activity, string key, string? value)
    {
        if (value is not null && activity.GetTagItem(key) is null)
        {
            activity.SetTag(key, value);
        }
    }

    private string Cut(string text) =>
        text.Length <= options.MaxContentLength ? text : string.Concat(text.AsSpan(0, options.MaxContentLength), "…[truncated]");

    /// <summary>Splits a model specification (<c>openai:gpt-5.5</c>) into the provider and the requested model.</summary>
    internal static (string? Provider, string? Model) SplitModel(string? spec)
    {
        if (string.IsNullOrWhiteSpace(spec))
        {
            return (null, null);
        }

        var colon = spec.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0)
        {
            return (null, spec.Trim());
        }

        var provider = spec[..colon].Trim().ToLowerInvariant();
        var model = spec[(colon + 1)..].Trim();

        // An offline model's "name" is a file path or a session id; the file name is enough to tell runs apart.
        return (provider, provider is "scripted" ? Path.GetFileName(model) : model);
    }

    private sealed class SessionSpans(string sessionId)
    {
        public string SessionId { get; } = sessionId;

        public string? Agent { get; set; }

        public string? Principal { get; set; }

        public string? Origin { get; set; }

        public string? Provider { get; set; }

        public string? RequestModel { get; set; }

        public string? ParentSessionId { get; set; }

        public ActivityContext ParentSpan { get; set; }

        public bool SandboxDisabled { get; set; }

        public Activity? Turn { get; set; }

        public bool TurnHasModelCalls { get; set; }

        public string? LastOutput { get; set; }

        public Dictionary<string, PendingTool> Tools { get; } = new(StringComparer.Ordinal);

        public PendingTool Tool(string callId, string name)
        {
            if (!Tools.TryGetValue(callId, out var tool))
            {
                tool = new PendingTool(callId, name);
                Tools[callId] = tool;
            }

            return tool;
        }
    }

    private sealed class PendingTool(string callId, string name)
    {
        public string CallId { get; } = callId;

        public string Name { get; } = name;

        public JsonElement? Arguments { get; set; }

        public string? Decision { get; set; }

        public string? Rule { get; set; }

        public string? RuleSource { get; set; }

        public string? Mode { get; set; }

        public string? Approval { get; set; }

        public string? ApprovedBy { get; set; }

        public List<string> EgressRefused { get; } = [];

        public Activity? Activity { get; set; }
    }
}
