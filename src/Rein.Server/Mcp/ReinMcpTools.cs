using System.Security.Claims;
using System.Text.Json;
using System.Text.Json.Nodes;
using ModelContextProtocol;
using ModelContextProtocol.Protocol;
using Rein.Engine;
using Rein.Guard.Approvals;
using Rein.Identity;
using Rein.Server.Http;
using Rein.Hosting.Sessions;
using Rein.Journal;

namespace Rein.Server.Mcp;

/// <summary>
/// The tools of <c>rein mcp serve</c>: <c>run_agent</c>, <c>continue_session</c>, <c>get_session</c> and
/// <c>answer_approval</c>, over a session host. Sessions run as the given principal under the same settings, policy,
/// approvals and budgets as <c>rein run</c>.
/// </summary>
/// <remarks>
/// A run that stops to wait for approval returns at once with <c>status: awaiting_approval</c> and the waiting calls;
/// <c>answer_approval</c> resumes it and, like <c>run_agent</c>, returns when it stops again. A client that sends a progress
/// token gets a progress notification for each step. Thread-safe.
/// </remarks>
public sealed class ReinMcpTools
{
    /// <summary>The name of the tool that starts a session.</summary>
    public const string RunAgent = "run_agent";

    /// <summary>The name of the tool that sends a session another message.</summary>
    public const string ContinueSession = "continue_session";

    /// <summary>The name of the tool that reports a session.</summary>
    public const string GetSession = "get_session";

    /// <summary>The name of the tool that answers a call waiting for approval.</summary>
    public const string AnswerApproval = "answer_approval";

    private readonly ISessionHost _host;
    private readonly ISessionStore _store;
    private readonly string _defaultWorkspace;
    private readonly string _ownPrincipal;

    /// <summary>Creates the tools.</summary>
    /// <param name="host">Runs the sessions.</param>
    /// <param name="store">Where the sessions are journaled (for their answers and state).</param>
    /// <param name="defaultWorkspace">Where a session runs when <c>run_agent</c> names no workspace.</param>
    /// <param name="ownPrincipal">The principal the server runs as: who answers approvals when the call names nobody else.</param>
    public ReinMcpTools(ISessionHost host, ISessionStore store, string defaultWorkspace, string ownPrincipal)
    {
        ArgumentNullException.ThrowIfNull(host);
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(defaultWorkspace);
        _host = host;
        _store = store;
        _defaultWorkspace = defaultWorkspace;
        _ownPrincipal = ownPrincipal;
    }

    /// <summary>Gets the tools' definitions, as <c>tools/list</c> returns them.</summary>
    public static IReadOnlyList<Tool> Definitions { get; } =
    [
        Define(RunAgent, "Run Rein's agent on a task in a workspace until it finishes or waits for approval. Returns its final answer and the session id (continue it with continue_session).",
            """{"type":"object","properties":{"message":{"type":"string","description":"The task."},"workspace":{"type":"string","description":"The folder to work in (absolute); the server's default when left out."},"agent":{"type":"string","description":"The agent profile."},"model":{"type":"string","description":"The model, e.g. openai:gpt-5.5."}},"required":["message"]}""",
            readOnly: false),
        Define(ContinueSession, "Send another message to a session that has stopped, and run it until it finishes or waits for approval.",
            """{"type":"object","properties":{"session_id":{"type":"string"},"message":{"type":"string"}},"required":["session_id","message"]}""",
            readOnly: false),
        Define(GetSession, "Report a session: its status, usage, cost, last answer and the calls waiting for approval.",
            """{"type":"object","properties":{"session_id":{"type":"string"}},"required":["session_id"]}""",
            readOnly: true),
        Define(AnswerApproval, "Approve or deny a tool call waiting for approval; the session resumes and this returns when it stops again.",
            """{"type":"object","properties":{"call_id":{"type":"string"},"decision":{"type":"string","enum":["approve","deny"]},"reason":{"type":"string","description":"Why (sent to the agent on a denial)."}},"required":["call_id","decision"]}""",
            readOnly: false),
    ];

    /// <summary>Answers <c>tools/list</c>.</summary>
    /// <returns>The tools.</returns>
    public static ListToolsResult List() => new() { Tools = [.. Definitions] };

    /// <summary>Answers <c>tools/call</c>.</summary>
    /// <param name="request">The call.</param>
    /// <param name="user">
    /// Who calls over HTTP (a bearer token's principal and role), or null on stdio, where the caller is the local user who
    /// owns the machine's store.
    /// </param>
    /// <param name="progress">Sends a progress notification to the client, or null when it asked for none.</param>
    /// <param name="cancellationToken">Cancels the call (a running session is cancelled too).</param>
    /// <returns>The result; failures the caller can act on are results with <c>isError</c>.</returns>
    /// <remarks>Over HTTP the roles of the HTTP API apply: a viewer only reads its own sessions; an operator runs and continues its own and answers the approvals it is an approver of; an owner everything.</remarks>
    public async ValueTask<CallToolResult> CallAsync(CallToolRequestParams request, ClaimsPrincipal? user, Func<ProgressNotificationValue, ValueTask>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var arguments = request.Arguments ?? new Dictionary<string, JsonElement>();
        var caller = user?.Identity?.IsAuthenticated == true ? Caller.From(user) : null;
        if (caller is { Role: PrincipalRole.Viewer } && request.Name is RunAgent or ContinueSession or AnswerApproval)
        {
            return Error($"{caller.Name} is a viewer: it may read sessions (get_session) but not {request.Name}.");
        }

        try
        {
            return request.Name switch
            {
                RunAgent => await RunAsync(arguments, caller, progress, cancellationToken).ConfigureAwait(false),
                ContinueSession => await ContinueAsync(arguments, caller, progress, cancellationToken).ConfigureAwait(false),
                GetSession => await ReportAsync(await VisibleAsync(Required(arguments, "session_id"), caller, cancellationToken).ConfigureAwait(false), cancellationToken).ConfigureAwait(false),
                AnswerApproval => await AnswerAsync(arguments, caller, progress, cancellationToken).ConfigureAwait(false),
                _ => Error($"Unknown tool '{request.Name}'. Tools: {string.Join(", ", Definitions.Select(d => d.Name))}."),
            };
        }
        catch (ArgumentException ex)
        {
            return Error(ex.Message);
        }
        catch (ApprovalException ex)
        {
            return Error(ex.Message);
        }
        catch (Exception ex) when (ex is SessionNotFoundException or Rein.Hosting.Sessions.SessionBusyException or Rein.Journal.SessionBusyException or WorkspaceOutsideRootsException or InvalidOperationException or UnauthorizedAccessException)
        {
            return Error(ex.Message);
        }
    }

    private async Task<CallToolResult> RunAsync(IDictionary<string, JsonElement> arguments, Caller? caller, Func<ProgressNotificationValue, ValueTask>? progress, CancellationToken cancellationToken)
    {
        var request = new StartSessionRequest(Required(arguments, "message"), Optional(arguments, "workspace") ?? _defaultWorkspace)
        {
            Agent = Optional(arguments, "agent"),
            Model = Optional(arguments, "model"),
            Principal = caller?.Name,
            Origin = "mcp",
        };
        var ticket = await _host.StartAsync(request, cancellationToken).ConfigureAwait(false);
        return await FollowAsync(ticket.Id, 0, progress, cancellationToken).ConfigureAwait(false);
    }

    private async Task<CallToolResult> ContinueAsync(IDictionary<string, JsonElement> arguments, Caller? caller, Func<ProgressNotificationValue, ValueTask>? progress, CancellationToken cancellationToken)
    {
        var sessionId = await VisibleAsync(Required(arguments, "session_id"), caller, cancellationToken).ConfigureAwait(false);
        var from = await VersionAsync(sessionId, cancellationToken).ConfigureAwait(false);
        await _host.SendAsync(sessionId, new SendMessageRequest(Required(arguments, "message")) { Principal = caller?.Name }, cancellationToken).ConfigureAwait(false);
        return await FollowAsync(sessionId, from, progress, cancellationToken).ConfigureAwait(false);
    }

    private async Task<CallToolResult> AnswerAsync(IDictionary<string, JsonElement> arguments, Caller? caller, Func<ProgressNotificationValue, ValueTask>? progress, CancellationToken cancellationToken)
    {
        var decision = Required(arguments, "decision");
        if (decision is not ("approve" or "deny"))
        {
            throw new ArgumentException($"decision must be approve or deny, not '{decision}'.");
        }

        var callId = Required(arguments, "call_id");
        var reference = callId;
        if (caller is not null)
        {
            // What the caller may not answer does not exist for it, as in the HTTP API.
            var waiting = await new ApprovalInbox(_store).ListAsync(cancellationToken).ConfigureAwait(false);
            var candidates = new List<PendingApproval>();
            foreach (var pending in waiting)
            {
                var principal = SessionState.Fold(await _store.ReadAsync(pending.SessionId, 0, cancellationToken).ConfigureAwait(false)).Principal;
                if (caller.MayAnswer(pending, principal))
                {
                    candidates.Add(pending);
                }
            }

            var target = ApprovalInbox.Find(candidates, callId, null);
            reference = $"{target.SessionId}:{target.Request.CallId}";
        }

        var outcome = await _host.AnswerApprovalAsync(
            new AnswerApprovalRequest(reference, decision == "approve" ? ApprovalDecisions.ApproveOnce : ApprovalDecisions.Deny, caller?.Name ?? _ownPrincipal)
            {
                Reason = Optional(arguments, "reason"),
                ByOwner = caller?.IsOwner ?? true,
            },
            cancellationToken).ConfigureAwait(false);
        if (!outcome.Resumed)
        {
            return await ReportAsync(outcome.SessionId, cancellationToken).ConfigureAwait(false);
        }

        var from = await VersionAsync(outcome.SessionId, cancellationToken).ConfigureAwait(false);
        return await FollowAsync(outcome.SessionId, from, progress, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Waits for a run to stop, sending a progress notification per step; cancelling the call cancels the run.</summary>
    private async Task<CallToolResult> FollowAsync(string sessionId, long afterSequence, Func<ProgressNotificationValue, ValueTask>? progress, CancellationToken cancellationToken)
    {
        using var watching = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var seen = new ProgressWatch();
        var watcher = progress is null ? Task.CompletedTask : SendProgressAsync(sessionId, afterSequence, progress, seen, watching.Token);
        try
        {
            await _host.WaitAsync(sessionId, cancellationToken).ConfigureAwait(false);
            if (progress is not null)
            {
                // The progress of every step the run journaled goes out before the result.
                seen.Until(await VersionAsync(sessionId, cancellationToken).ConfigureAwait(false));
                await seen.Reached.WaitAsync(TimeSpan.FromSeconds(5), cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            await _host.CancelAsync(sessionId, CancellationToken.None).ConfigureAwait(false);
            throw;
        }
        catch (TimeoutException)
        {
        }
        finally
        {
            await watching.CancelAsync().ConfigureAwait(false);
            try
            {
                await watcher.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }
        }

        return await ReportAsync(sessionId, cancellationToken).ConfigureAwait(false);
    }

    private async Task SendProgressAsync(string sessionId, long afterSequence, Func<ProgressNotificationValue, ValueTask> progress, ProgressWatch seen, CancellationToken cancellationToken)
    {
        var steps = 0;
        await foreach (var update in _host.WatchAsync(sessionId, afterSequence, cancellationToken).ConfigureAwait(false))
        {
            if (update is not EventAppended { Recorded: var recorded })
            {
                continue;
            }

            var line = recorded.Event switch
            {
                ModelCalled => $"step {++steps}: the model answered",
                ToolCompleted done => $"{done.Name}: {(done.Outcome == ToolOutcome.Success ? "done" : done.Outcome.ToString().ToLowerInvariant())}",
                ApprovalRequested asked => $"waiting for approval of {asked.Tool} (call {asked.CallId})",
                _ => null,
            };
            if (line is not null)
            {
                await progress(new ProgressNotificationValue { Progress = steps, Message = line }).ConfigureAwait(false);
            }

            seen.Saw(recorded.Sequence);
        }
    }

    /// <summary>How far the progress of a run has been sent, and whether it has reached the run's last event.</summary>
    private sealed class ProgressWatch
    {
        private readonly TaskCompletionSource _reached = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private long _seen;
        private long _end = long.MaxValue;

        public Task Reached => _reached.Task;

        public void Saw(long sequence)
        {
            Volatile.Write(ref _seen, sequence);
            Check();
        }

        public void Until(long end)
        {
            Volatile.Write(ref _end, end);
            Check();
        }

        private void Check()
        {
            if (Volatile.Read(ref _seen) >= Volatile.Read(ref _end))
            {
                _reached.TrySetResult();
            }
        }
    }

    private async Task<CallToolResult> ReportAsync(string sessionId, CancellationToken cancellationToken)
    {
        var summary = await _store.GetAsync(sessionId, cancellationToken).ConfigureAwait(false) ?? throw new SessionNotFoundException(sessionId);
        var state = SessionState.Fold(await _store.ReadAsync(sessionId, 0, cancellationToken).ConfigureAwait(false));
        var report = new JsonObject
        {
            ["session_id"] = sessionId,
            ["status"] = summary.Status,
            ["answer"] = state.LastAssistantText,
            ["steps"] = state.Steps,
            ["cost_usd"] = state.CostUsd,
            ["awaiting_approval"] = new JsonArray([.. state.OpenApprovals.Select(p => (JsonNode)new JsonObject
            {
                ["call_id"] = p.CallId,
                ["tool"] = p.Tool,
                ["reason"] = p.Reason,
            })]),
        };
        var text = summary.Status == SessionStatus.AwaitingApproval
            ? $"Session {sessionId} is waiting for approval of {string.Join(", ", state.OpenApprovals.Select(p => $"{p.Tool} (call_id {p.CallId})"))}. Answer with answer_approval."
            : state.LastAssistantText ?? $"Session {sessionId} is {summary.Status}.";
        return new CallToolResult
        {
            Content = [new TextContentBlock { Text = text }],
            StructuredContent = JsonDocument.Parse(report.ToJsonString()).RootElement.Clone(),
        };
    }

    /// <summary>The session, when the caller may see it; otherwise it does not exist for the caller.</summary>
    private async Task<string> VisibleAsync(string sessionId, Caller? caller, CancellationToken cancellationToken)
    {
        if (caller is not null && !caller.MaySee(SessionState.Fold(await _store.ReadAsync(sessionId, 0, cancellationToken).ConfigureAwait(false))))
        {
            throw new SessionNotFoundException(sessionId);
        }

        return sessionId;
    }

    private async Task<long> VersionAsync(string sessionId, CancellationToken cancellationToken) =>
        (await _store.GetAsync(sessionId, cancellationToken).ConfigureAwait(false) ?? throw new SessionNotFoundException(sessionId)).Version;

    private static string Required(IDictionary<string, JsonElement> arguments, string name) =>
        Optional(arguments, name) is { Length: > 0 } value ? value : throw new ArgumentException($"'{name}' is required (a non-empty string).");

    private static string? Optional(IDictionary<string, JsonElement> arguments, string name) =>
        arguments.TryGetValue(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static CallToolResult Error(string message) => new() { Content = [new TextContentBlock { Text = message }], IsError = true };

    private static Tool Define(string name, string description, string schema, bool readOnly) => new()
    {
        Name = name,
        Description = description,
        InputSchema = JsonDocument.Parse(schema).RootElement.Clone(),
        Annotations = new ToolAnnotations { ReadOnlyHint = readOnly, OpenWorldHint = !readOnly },
    };
}
