using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Rein.Journal;
using Rein.Tools;

namespace Rein.Guard.Hooks;

/// <summary>Runs the configured hooks of a lifecycle event and combines what they answered.</summary>
/// <remarks>
/// <para>
/// Each matching hook runs through the given <see cref="ICommandRunner"/> (in production the sandbox runner, so hooks
/// are confined like the <c>shell</c> tool), one after another in configuration order, in the workspace, with the
/// event as a JSON object on standard input (fields as in Claude Code: <c>session_id</c>, <c>cwd</c>,
/// <c>hook_event_name</c>, <c>permission_mode</c>, plus <c>tool_name</c>, <c>tool_input</c>, <c>tool_use_id</c>,
/// <c>tool_response</c>, <c>prompt</c>, <c>source</c>, <c>trigger</c>, <c>stop_reason</c> or <c>reason</c> per event).
/// <c>tool_name</c> is Rein's name and <c>tool_input</c> Rein's arguments. <c>CLAUDE_PROJECT_DIR</c> and
/// <c>REIN_PROJECT_DIR</c> are set to the workspace.
/// </para>
/// <para>
/// Results follow Claude Code: exit code 0 is success, and output that is a JSON object (the whole output, or else its
/// last line) is read for <c>decision</c>/<c>reason</c>, <c>continue</c>/<c>stopReason</c> and <c>hookSpecificOutput</c>;
/// other output of a <c>SessionStart</c> or <c>UserPromptSubmit</c> hook is context for the model. Exit code 2 blocks
/// with the output as the reason. Because command runners interleave standard output and standard error into one
/// text, the reason is that whole text, and a hook that answers in JSON should write nothing else. Any other exit
/// code, a failure to start, or a timeout is a non-blocking error: it is journaled and the agent goes on.
/// </para>
/// <para>Thread-safe.</para>
/// </remarks>
public sealed class HookRunner
{
    /// <summary>The most characters of a failed hook's output kept in its error.</summary>
    private const int ShortenedChars = 2_000;

    private readonly ICommandRunner _commandRunner;
    private readonly HookRunnerOptions _options;
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<string, Func<JsonElement, IReadOnlyList<string>>> _schemas = new(StringComparer.Ordinal);

    /// <summary>Creates a runner.</summary>
    /// <param name="settings">The hooks.</param>
    /// <param name="commandRunner">Runs hook commands, e.g. the sandbox runner.</param>
    /// <param name="options">Options; <see langword="null"/> for the defaults.</param>
    /// <param name="timeProvider">The clock for durations; <see langword="null"/> for the system clock.</param>
    /// <exception cref="ArgumentNullException"><paramref name="settings"/> or <paramref name="commandRunner"/> is null.</exception>
    public HookRunner(HookSettings settings, ICommandRunner commandRunner, HookRunnerOptions? options = null, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(commandRunner);
        Settings = settings;
        _commandRunner = commandRunner;
        _options = options ?? new HookRunnerOptions();
        _time = timeProvider ?? TimeProvider.System;
    }

    /// <summary>Gets the hooks this runner runs.</summary>
    public HookSettings Settings { get; }

    /// <summary>Runs the <c>PreToolUse</c> hooks that match the tool.</summary>
    /// <param name="call">The call.</param>
    /// <param name="cancellationToken">A token to cancel the run; the running hook's process group is killed.</param>
    /// <returns>The combined decision (<c>deny</c>, <c>ask</c>, <c>allow</c> or none), the rewritten arguments if any, and the journal entries.</returns>
    /// <remarks>
    /// A rewrite (<c>hookSpecificOutput.updatedInput</c>) must be a JSON object that matches <see cref="HookToolCall.InputSchema"/>
    /// when one is given; otherwise that hook is journaled as an <c>error</c> and the call is denied, so a hook meant to make a
    /// call safer never lets the original through by mistake. <c>"continue": false</c> denies the call.
    /// </remarks>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public ValueTask<HookOutcome> RunPreToolUseAsync(HookToolCall call, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(call);
        return RunAsync(HookEventNames.PreToolUse, ToolAliases.NamesFor(call.ToolName), call.SessionId, call.Workspace, call, null, null, cancellationToken);
    }

    /// <summary>Runs the <c>PostToolUse</c> hooks that match the tool.</summary>
    /// <param name="call">The call, with the arguments it ran with.</param>
    /// <param name="result">The observation, sent as <c>tool_response</c> (<c>{"content": ..., "is_error": ...}</c>).</param>
    /// <param name="cancellationToken">A token to cancel the run.</param>
    /// <returns>The replacement observation if any (<c>updatedToolOutput</c>), feedback for the model (<c>deny</c> with a reason), added context, and the journal entries.</returns>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public ValueTask<HookOutcome> RunPostToolUseAsync(HookToolCall call, ToolResult result, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(call);
        ArgumentNullException.ThrowIfNull(result);
        return RunAsync(HookEventNames.PostToolUse, ToolAliases.NamesFor(call.ToolName), call.SessionId, call.Workspace, call, result, null, cancellationToken);
    }

    /// <summary>Runs the <c>SessionStart</c> hooks whose matcher matches the source.</summary>
    /// <param name="sessionId">The session.</param>
    /// <param name="workspace">The workspace root.</param>
    /// <param name="source">Why the session starts: <c>startup</c> or <c>resume</c> (sent as <c>source</c>).</param>
    /// <param name="cancellationToken">A token to cancel the run.</param>
    /// <returns>Context for the model (plain output or <c>additionalContext</c>) and the journal entries. These hooks cannot block.</returns>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public ValueTask<HookOutcome> RunSessionStartAsync(string sessionId, string workspace, string source = "startup", CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        return RunAsync(HookEventNames.SessionStart, [source], sessionId, workspace, null, null, w => w.WriteString("source", source), cancellationToken);
    }

    /// <summary>Runs the <c>UserPromptSubmit</c> hooks.</summary>
    /// <param name="sessionId">The session.</param>
    /// <param name="workspace">The workspace root.</param>
    /// <param name="prompt">The user's prompt (sent as <c>prompt</c>).</param>
    /// <param name="cancellationToken">A token to cancel the run.</param>
    /// <returns>Whether the prompt is rejected (<see cref="HookOutcome.Blocked"/>, with the reason to show the user), context to add for the model, and the journal entries.</returns>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public ValueTask<HookOutcome> RunUserPromptSubmitAsync(string sessionId, string workspace, string prompt, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        return RunAsync(HookEventNames.UserPromptSubmit, [], sessionId, workspace, null, null, w => w.WriteString("prompt", prompt), cancellationToken);
    }

    /// <summary>Runs the <c>Stop</c> hooks.</summary>
    /// <param name="sessionId">The session.</param>
    /// <param name="workspace">The workspace root.</param>
    /// <param name="stopReason">Why the run stops, a <see cref="Journal.StopReason"/> value (sent as <c>stop_reason</c>).</param>
    /// <param name="stopHookActive">Whether the run is already continuing because of a <c>Stop</c> hook (sent as <c>stop_hook_active</c>, so hooks can avoid endless loops).</param>
    /// <param name="cancellationToken">A token to cancel the run.</param>
    /// <returns>When <see cref="HookOutcome.Blocked"/>, a hook asks the agent to keep going with <see cref="HookOutcome.Reason"/> as its next instruction; and the journal entries.</returns>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public ValueTask<HookOutcome> RunStopAsync(string sessionId, string workspace, string stopReason, bool stopHookActive = false, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(stopReason);
        return RunAsync(HookEventNames.Stop, [], sessionId, workspace, null, null, w =>
        {
            w.WriteString("stop_reason", stopReason);
            w.WriteBoolean("stop_hook_active", stopHookActive);
        }, cancellationToken);
    }

    /// <summary>Runs the <c>PreCompact</c> hooks whose matcher matches the trigger.</summary>
    /// <param name="sessionId">The session.</param>
    /// <param name="workspace">The workspace root.</param>
    /// <param name="trigger"><c>manual</c> or <c>auto</c> (sent as <c>trigger</c>).</param>
    /// <param name="cancellationToken">A token to cancel the run.</param>
    /// <returns>The journal entries (and any <c>additionalContext</c>). These hooks cannot block.</returns>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public ValueTask<HookOutcome> RunPreCompactAsync(string sessionId, string workspace, string trigger = "auto", CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(trigger);
        return RunAsync(HookEventNames.PreCompact, [trigger], sessionId, workspace, null, null, w => w.WriteString("trigger", trigger), cancellationToken);
    }

    /// <summary>Runs the <c>ApprovalRequested</c> hooks that match the tool, e.g. to notify someone or to answer the request.</summary>
    /// <param name="call">The call waiting for approval.</param>
    /// <param name="reason">Why approval is needed (sent as <c>reason</c>).</param>
    /// <param name="cancellationToken">A token to cancel the run.</param>
    /// <returns>A decision if a hook answered (<c>allow</c> approves, <c>deny</c> refuses, as <c>permissionDecision</c> or <c>decision: block</c>), and the journal entries.</returns>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public ValueTask<HookOutcome> RunApprovalRequestedAsync(HookToolCall call, string reason, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(call);
        ArgumentNullException.ThrowIfNull(reason);
        return RunAsync(HookEventNames.ApprovalRequested, ToolAliases.NamesFor(call.ToolName), call.SessionId, call.Workspace, call, null, w => w.WriteString("reason", reason), cancellationToken);
    }

    private static bool CanBlock(string hookEvent) => hookEvent is not (HookEventNames.SessionStart or HookEventNames.PreCompact);

    private static int Rank(string? decision) => decision switch
    {
        PolicyDecisions.Deny => 3,
        PolicyDecisions.Ask => 2,
        PolicyDecisions.Allow => 1,
        _ => 0,
    };

    private async ValueTask<HookOutcome> RunAsync(
        string hookEvent,
        IReadOnlyList<string> matchValues,
        string sessionId,
        string workspace,
        HookToolCall? call,
        ToolResult? toolResult,
        Action<Utf8JsonWriter>? writeFields,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(sessionId);
        ArgumentNullException.ThrowIfNull(workspace);
        var hooks = Settings.For(hookEvent);
        if (hooks.Count == 0)
        {
            return new HookOutcome { HookEvent = hookEvent };
        }

        var events = new List<HookRan>();
        var input = call?.ToolInput;
        var output = toolResult?.Content;
        var inputRewritten = false;
        var outputRewritten = false;
        string? decision = null;
        var reasons = new List<string>();
        var context = new List<string>();
        string? stopReason = null;
        var keepGoing = true;
        foreach (var hook in hooks)
        {
            if (matchValues.Count > 0 && !hook.Matches(matchValues))
            {
                continue;
            }

            var stdin = Payload(hookEvent, sessionId, workspace, call, input, toolResult, output, writeFields);
            var timeout = hook.Timeout ?? _options.DefaultTimeout;
            var started = _time.GetTimestamp();
            var result = await _commandRunner.RunAsync(
                new CommandRequest(hook.Command, workspace, timeout)
                {
                    StandardInput = stdin,
                    MaxOutputChars = _options.MaxOutputChars,
                    Redactor = _options.Redactor,
                    Environment = new Dictionary<string, string?>(StringComparer.Ordinal)
                    {
                        ["CLAUDE_PROJECT_DIR"] = workspace,
                        ["REIN_PROJECT_DIR"] = workspace,
                    },
                },
                cancellationToken).ConfigureAwait(false);
            var durationMs = (long)_time.GetElapsedTime(started).TotalMilliseconds;
            var verdict = Interpret(hookEvent, hook, result, timeout);
            if (verdict.UpdatedInput is { } rewritten && call is not null)
            {
                var problems = CheckInput(call, rewritten);
                if (problems is not null)
                {
                    verdict = new Verdict
                    {
                        Outcome = "error",
                        Decision = PolicyDecisions.Deny,
                        Reason = $"A PreToolUse hook ({hook.Command}) rewrote the arguments of '{call.ToolName}' into invalid ones ({problems}); the call was not run.",
                    };
                }
                else
                {
                    input = rewritten;
                    inputRewritten = true;
                }
            }

            if (verdict.UpdatedOutput is { } replaced)
            {
                output = replaced;
                outputRewritten = true;
            }

            if (verdict.Decision is { } d && CanBlock(hookEvent))
            {
                if (Rank(d) > Rank(decision))
                {
                    decision = d;
                    reasons.Clear();
                }

                if (d == decision && !string.IsNullOrWhiteSpace(verdict.Reason))
                {
                    reasons.Add(verdict.Reason);
                }
            }

            if (!string.IsNullOrWhiteSpace(verdict.Context))
            {
                context.Add(verdict.Context);
            }

            if (verdict.Stop)
            {
                keepGoing = false;
                stopReason ??= verdict.StopReason;
            }

            events.Add(new HookRan(hookEvent, hook.Command, verdict.Outcome, verdict.Reason, call?.CallId, durationMs));
        }

        return new HookOutcome
        {
            HookEvent = hookEvent,
            Decision = decision,
            Reason = reasons.Count > 0 ? string.Join('\n', reasons) : null,
            UpdatedInput = inputRewritten ? input : null,
            UpdatedOutput = outputRewritten ? output : null,
            AdditionalContext = context.Count > 0 ? string.Join('\n', context) : null,
            Continue = keepGoing,
            StopReason = stopReason,
            Events = events,
        };
    }

    private string Payload(string hookEvent, string sessionId, string workspace, HookToolCall? call, JsonElement? input, ToolResult? toolResult, string? output, Action<Utf8JsonWriter>? writeFields)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("session_id", sessionId);
            w.WriteString("cwd", workspace);
            w.WriteString("permission_mode", _options.PermissionMode);
            w.WriteString("hook_event_name", hookEvent);
            if (call is not null)
            {
                w.WriteString("tool_name", call.ToolName);
                w.WritePropertyName("tool_input");
                if (input is { ValueKind: not JsonValueKind.Undefined } i)
                {
                    i.WriteTo(w);
                }
                else
                {
                    w.WriteNullValue();
                }

                w.WriteString("tool_use_id", call.CallId);
            }

            if (toolResult is not null)
            {
                w.WriteStartObject("tool_response");
                w.WriteString("content", output);
                w.WriteBoolean("is_error", toolResult.IsError);
                w.WriteEndObject();
            }

            writeFields?.Invoke(w);
            w.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    private string? CheckInput(HookToolCall call, JsonElement rewritten)
    {
        if (rewritten.ValueKind != JsonValueKind.Object)
        {
            return "updatedInput must be a JSON object";
        }

        if (call.InputSchema is not { ValueKind: JsonValueKind.Object or JsonValueKind.True or JsonValueKind.False } schema)
        {
            return null;
        }

        var validate = _schemas.GetOrAdd(schema.GetRawText(), InputSchemaCheck.Create);
        var problems = validate(rewritten);
        return problems.Count == 0 ? null : string.Join("; ", problems);
    }

    private Verdict Interpret(string hookEvent, HookDefinition hook, CommandResult result, TimeSpan timeout)
    {
        var text = result.Output.Trim();
        if (result.StartError is not null)
        {
            return Verdict.Error($"the hook could not be started: {result.StartError}");
        }

        if (result.TimedOut)
        {
            return new Verdict { Outcome = "timeout", Reason = string.Create(CultureInfo.InvariantCulture, $"timed out after {timeout.TotalSeconds:0.###} s; the agent went on") };
        }

        switch (result.ExitCode)
        {
            case 0:
                break;
            case 2 when CanBlock(hookEvent):
                return new Verdict
                {
                    Outcome = PolicyDecisions.Deny,
                    Decision = PolicyDecisions.Deny,
                    Reason = text.Length > 0 ? text : $"Blocked by hook: {hook.Command}",
                };
            default:
                return Verdict.Error(text.Length > 0
                    ? string.Create(CultureInfo.InvariantCulture, $"exited with code {result.ExitCode}: {Shorten(text)}")
                    : string.Create(CultureInfo.InvariantCulture, $"exited with code {result.ExitCode}"));
        }

        if (text.Length == 0)
        {
            return new Verdict { Outcome = "ok" };
        }

        if (!TryParseObject(text, out var json))
        {
            // Claude Code adds the plain output of these two events to the model's context.
            return hookEvent is HookEventNames.SessionStart or HookEventNames.UserPromptSubmit
                ? new Verdict { Outcome = "ok", Context = text }
                : new Verdict { Outcome = "ok" };
        }

        return InterpretJson(hookEvent, json);
    }

    private static Verdict InterpretJson(string hookEvent, JsonElement json)
    {
        var verdict = new Verdict { Outcome = "ok" };
        if (json.TryGetProperty("continue", out var cont) && cont.ValueKind == JsonValueKind.False)
        {
            verdict.Stop = true;
            verdict.StopReason = StringOrNull(json, "stopReason") ?? "A hook stopped the agent.";
            if (hookEvent is HookEventNames.PreToolUse or HookEventNames.UserPromptSubmit)
            {
                verdict.Decision = PolicyDecisions.Deny;
                verdict.Reason = verdict.StopReason;
            }
        }

        switch (StringOrNull(json, "decision"))
        {
            case "block":
                verdict.Decision = PolicyDecisions.Deny;
                verdict.Reason = StringOrNull(json, "reason") ?? verdict.Reason;
                break;
            case "approve" when hookEvent is HookEventNames.PreToolUse or HookEventNames.ApprovalRequested:
                verdict.Decision ??= PolicyDecisions.Allow;
                verdict.Reason ??= StringOrNull(json, "reason");
                break;
            case null:
                break;
            case var other:
                return Verdict.Error($"\"decision\" must be \"block\" or \"approve\", not \"{other}\"");
        }

        if (json.TryGetProperty("hookSpecificOutput", out var specific) && specific.ValueKind == JsonValueKind.Object)
        {
            var named = StringOrNull(specific, "hookEventName");
            if (named is not null && named != hookEvent)
            {
                return Verdict.Error($"hookSpecificOutput.hookEventName is \"{named}\" but the event is {hookEvent}");
            }

            switch (StringOrNull(specific, "permissionDecision"))
            {
                case null:
                    break;
                case PolicyDecisions.Allow or PolicyDecisions.Ask or PolicyDecisions.Deny when hookEvent is HookEventNames.PreToolUse or HookEventNames.ApprovalRequested:
                    var permission = StringOrNull(specific, "permissionDecision")!;
                    if (Rank(permission) > Rank(verdict.Decision))
                    {
                        verdict.Decision = permission;
                        verdict.Reason = StringOrNull(specific, "permissionDecisionReason") ?? verdict.Reason;
                    }

                    break;
                case var other:
                    return Verdict.Error($"hookSpecificOutput.permissionDecision \"{other}\" is not allow, ask or deny (or not supported for {hookEvent})");
            }

            if (hookEvent == HookEventNames.PreToolUse && specific.TryGetProperty("updatedInput", out var updated) && updated.ValueKind != JsonValueKind.Null)
            {
                verdict.UpdatedInput = updated.Clone();
            }

            if (hookEvent == HookEventNames.PostToolUse && specific.TryGetProperty("updatedToolOutput", out var replaced) && replaced.ValueKind != JsonValueKind.Null)
            {
                if (replaced.ValueKind != JsonValueKind.String)
                {
                    return Verdict.Error("hookSpecificOutput.updatedToolOutput must be a string");
                }

                verdict.UpdatedOutput = replaced.GetString();
            }

            verdict.Context = StringOrNull(specific, "additionalContext");
        }

        verdict.Outcome = verdict.Decision ?? (verdict.UpdatedInput is not null || verdict.UpdatedOutput is not null ? "rewrite" : "ok");
        return verdict;
    }

    private static bool TryParseObject(string text, out JsonElement json)
    {
        if (TryParse(text, out json))
        {
            return true;
        }

        // Output and error text are interleaved, so diagnostics may precede the JSON answer on its own last line.
        var lastLine = text[(text.LastIndexOf('\n') + 1)..].Trim();
        return lastLine.Length < text.Length && TryParse(lastLine, out json);
    }

    private static bool TryParse(string text, out JsonElement json)
    {
        json = default;
        if (!text.StartsWith('{'))
        {
            return false;
        }

        try
        {
            using var document = JsonDocument.Parse(text);
            json = document.RootElement.Clone();
            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private static string? StringOrNull(JsonElement json, string name) =>
        json.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private string Shorten(string text) =>
        text.Length <= ShortenedChars ? text : string.Concat(text.AsSpan(0, _options.Redactor?.SpanAcross(text, ShortenedChars)?.Start.Value ?? ShortenedChars), " ...");

    private sealed class Verdict
    {
        public required string Outcome { get; set; }

        public string? Decision { get; set; }

        public string? Reason { get; set; }

        public JsonElement? UpdatedInput { get; set; }

        public string? UpdatedOutput { get; set; }

        public string? Context { get; set; }

        public bool Stop { get; set; }

        public string? StopReason { get; set; }

        public static Verdict Error(string reason) => new() { Outcome = "error", Reason = reason };
    }
}
