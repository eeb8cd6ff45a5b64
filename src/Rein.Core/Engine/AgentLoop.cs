using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Rein.Journal;
using Rein.Tools;

namespace Rein.Engine;

/// <summary>
/// The agent loop: build the context, ask the model, check and run the tool calls it makes,
/// journal every step, and repeat until a final answer, the step limit or cancellation.
/// </summary>
/// <remarks>One loop may run many sessions, but one session is run by one loop at a time.</remarks>
public sealed partial class AgentLoop
{
    private readonly IChatClient _chatClient;
    private readonly ToolSet _tools;
    private readonly IContextBuilder _context;
    private readonly AgentLoopOptions _options;
    private readonly ToolCallHandler _pipeline;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    /// <summary>Creates a loop.</summary>
    /// <param name="chatClient">The model.</param>
    /// <param name="tools">The tools the model may call.</param>
    /// <param name="context">Builds each step's messages.</param>
    /// <param name="options">Limits and defaults; <see langword="null"/> for the defaults.</param>
    /// <param name="configurePipeline">Adds stages (policy, approvals, budgets, ...) between argument validation and execution.</param>
    /// <param name="timeProvider">The clock; <see langword="null"/> for the system clock.</param>
    /// <param name="loggerFactory">Logging; <see langword="null"/> for none.</param>
    public AgentLoop(
        IChatClient chatClient,
        ToolSet tools,
        IContextBuilder context,
        AgentLoopOptions? options = null,
        Action<ToolCallPipelineBuilder>? configurePipeline = null,
        TimeProvider? timeProvider = null,
        ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(chatClient);
        ArgumentNullException.ThrowIfNull(tools);
        ArgumentNullException.ThrowIfNull(context);
        _chatClient = chatClient;
        _tools = tools;
        _context = context;
        _options = options ?? new AgentLoopOptions();
        _time = timeProvider ?? TimeProvider.System;
        _logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger<AgentLoop>();

        // The cap is outside the configured stages so they see whole observations (a secret is never cut in half before redaction).
        var builder = new ToolCallPipelineBuilder()
            .UseArgumentValidation([.. tools.Tools.Select(t => t.Definition.Name)])
            .UseOutputCap(_options.MaxObservationChars);
        configurePipeline?.Invoke(builder);
        _pipeline = builder.Build(ExecuteAsync);
    }

    /// <summary>Runs the session until the model gives a final answer, a limit is reached, or the run is cancelled.</summary>
    /// <param name="session">The session's writer (the caller holds its writer lease).</param>
    /// <param name="userMessage">A new message from the user, or <see langword="null"/> to continue where the session stopped.</param>
    /// <param name="cancellationToken">Cancelling suspends the session (journaled) so it can be resumed.</param>
    /// <returns>The updates, ending with <see cref="RunStopped"/>.</returns>
    public async IAsyncEnumerable<AgentUpdate> RunAsync(
        SessionWriter session,
        string? userMessage,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(session);
        var updates = Channel.CreateUnbounded<AgentUpdate>(new UnboundedChannelOptions { SingleReader = true });
        void OnAppended(RecordedEvent e) => updates.Writer.TryWrite(new EventAppended(e));
        session.Appended += OnAppended;
        var run = Task.Run(async () =>
        {
            try
            {
                var (reason, detail) = await RunCoreAsync(session, userMessage, updates.Writer, cancellationToken).ConfigureAwait(false);
                updates.Writer.TryWrite(new RunStopped(reason, detail));
                updates.Writer.TryComplete();
            }
            catch (Exception ex)
            {
                updates.Writer.TryComplete(ex);
            }
        }, CancellationToken.None);

        try
        {
            // The reader is not cancelled: after Ctrl-C the run still journals the suspension and reports it.
            await foreach (var update in updates.Reader.ReadAllAsync(CancellationToken.None).ConfigureAwait(false))
            {
                yield return update;
            }

            await run.ConfigureAwait(false);
        }
        finally
        {
            session.Appended -= OnAppended;
        }
    }

    private async Task<(string Reason, string? Detail)> RunCoreAsync(
        SessionWriter session, string? userMessage, ChannelWriter<AgentUpdate> updates, CancellationToken cancellationToken)
    {
        var state = session.State;
        var waiting = await RecoverAsync(session, resuming: userMessage is null, updates, cancellationToken).ConfigureAwait(false);
        if (waiting > 0)
        {
            return await AwaitApprovalAsync(session, waiting).ConfigureAwait(false);
        }

        if (userMessage is not null)
        {
            await session.AppendAsync(new UserMessage(userMessage), CancellationToken.None).ConfigureAwait(false);
        }

        var stepsThisRun = 0;
        var runStartedAt = _time.GetTimestamp();
        try
        {
            while (true)
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (stepsThisRun >= _options.MaxSteps)
                {
                    return await EndAsync(session, StopReason.MaxSteps, $"Stopped after {_options.MaxSteps} {(_options.MaxSteps == 1 ? "step" : "steps")} (--max-steps).").ConfigureAwait(false);
                }

                var step = state.Steps + 1;
                var messages = await _context.BuildAsync(session, cancellationToken).ConfigureAwait(false);
                var chatOptions = CreateChatOptions();
                foreach (var guard in _options.StepGuards)
                {
                    var verdict = await guard.BeforeModelCallAsync(
                        new StepGuardContext(session, step, stepsThisRun, runStartedAt, messages as IReadOnlyList<ChatMessage> ?? [.. messages], [.. chatOptions.Tools ?? []], _options.ModelId, _options.MaxOutputTokens),
                        cancellationToken).ConfigureAwait(false);
                    if (verdict.Stops)
                    {
                        return await EndAsync(session, verdict.StopReason!, verdict.Detail).ConfigureAwait(false);
                    }
                }

                stepsThisRun++;
                updates.TryWrite(new ModelCallStarted(step));
                ModelCalled called;
                try
                {
                    called = await CallModelAsync(messages, chatOptions, step, updates, cancellationToken).ConfigureAwait(false);
                }
                catch (ModelExhaustedException ex)
                {
                    return await EndAsync(session, ex.Reason, ex.Message).ConfigureAwait(false);
                }
                catch (Exception ex) when (cancellationToken.IsCancellationRequested && ex is not OperationCanceledException)
                {
                    // Some SDKs surface a cancelled stream as an I/O error; it is still the user's Ctrl-C.
                    throw new OperationCanceledException("The model call was cancelled.", ex, cancellationToken);
                }
                catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
                {
                    var error = DescribeModelError(ex);
                    Log.ModelCallFailed(_logger, step, ex);
                    await session.AppendAsync(new ModelCallFailed(step, error), CancellationToken.None).ConfigureAwait(false);
                    return await EndAsync(session, StopReason.ModelError, error).ConfigureAwait(false);
                }

                // The answer becomes durable in one commit with what follows from it: the end of the
                // run, or the proposed calls and the first ToolStarted (nothing runs before that commit).
                session.Stage(called);
                if (called.ToolCalls.Count == 0)
                {
                    return await EndAsync(session, StopReason.Completed, null).ConfigureAwait(false);
                }

                waiting = await RunToolCallsAsync(session, step, called.ToolCalls, updates, cancellationToken).ConfigureAwait(false);
                if (waiting > 0)
                {
                    return await AwaitApprovalAsync(session, waiting).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            await session.FlushAsync(CancellationToken.None).ConfigureAwait(false);
            await InterruptPendingAsync(session, "The tool call was cancelled by the user before it finished.").ConfigureAwait(false);
            await session.AppendAsync(new SessionSuspended(StopReason.Cancelled), CancellationToken.None).ConfigureAwait(false);
            return (StopReason.Cancelled, $"Session suspended. Resume it with: rein sessions resume {session.SessionId}");
        }
    }

    /// <summary>
    /// Reports calls that were proposed or started but never completed (the process stopped) as
    /// interrupted, so the model knows, and nothing is silently run twice. Calls that were waiting for an
    /// approval never ran: they go through the pipeline again, which acts on the answer given meanwhile.
    /// </summary>
    /// <returns>How many calls still wait for an approval.</returns>
    private async Task<int> RecoverAsync(SessionWriter session, bool resuming, ChannelWriter<AgentUpdate> updates, CancellationToken cancellationToken)
    {
        var state = session.State;
        var awaiting = state.PendingToolCalls.Where(c => !c.Started && state.ApprovalRequests.ContainsKey(c.CallId)).ToList();
        var lost = state.PendingToolCalls.Where(c => !awaiting.Contains(c)).ToList();
        if (lost.Count > 0)
        {
            await InterruptAsync(session, lost, null).ConfigureAwait(false);
        }

        if (lost.Count > 0 || resuming)
        {
            await session.AppendAsync(new SessionResumed(lost.Count), CancellationToken.None).ConfigureAwait(false);
        }

        if (awaiting.Count == 0)
        {
            return 0;
        }

        var calls = awaiting.Select(c => new ModelToolCall(c.CallId, c.Name, c.Arguments, c.Arguments is null ? "the arguments could not be parsed" : null)).ToList();
        return await RunCallsAsync(session, state.Steps, calls, updates, cancellationToken).ConfigureAwait(false);
    }

    private static async Task<(string, string?)> AwaitApprovalAsync(SessionWriter session, int waiting)
    {
        await session.AppendAsync(new SessionSuspended(StopReason.AwaitingApproval), CancellationToken.None).ConfigureAwait(false);
        // Provider call ids repeat across sessions (call_2_1), so a call is named with its session, as rein approvals lists it.
        var prefix = session.SessionId[..Math.Min(16, session.SessionId.Length)];
        var ids = string.Join(", ", session.State.OpenApprovals.Select(a => $"{prefix}:{a.CallId}"));
        return (StopReason.AwaitingApproval,
            $"{waiting} tool call(s) wait for approval ({ids}). See them with: rein approvals list; answer with: rein approvals approve|deny SESSION:CALL_ID; then continue with: rein sessions resume {session.SessionId}");
    }

    private static Task InterruptPendingAsync(SessionWriter session, string? message) =>
        InterruptAsync(session, session.State.PendingToolCalls, message);

    private static async Task InterruptAsync(SessionWriter session, IReadOnlyList<PendingToolCall> calls, string? message)
    {
        var events = calls.Select(call => (SessionEvent)new ToolCompleted(
            call.CallId,
            call.Name,
            ToolOutcome.Interrupted,
            message ?? (call.Started
                ? "This tool call was interrupted before it completed (the session stopped). It was not re-run: it may have partly run, so check the current state before retrying."
                : "This tool call never ran (the session stopped before it started). It was not run; call it again if it is still needed."))).ToList();
        if (events.Count > 0)
        {
            await session.AppendAsync(events, AppendDurability.Flushed, CancellationToken.None).ConfigureAwait(false);
        }
    }

    private static async Task<(string, string?)> EndAsync(SessionWriter session, string reason, string? detail)
    {
        await session.AppendAsync(new SessionEnded(reason, detail), CancellationToken.None).ConfigureAwait(false);
        return (reason, detail);
    }

    private ChatOptions CreateChatOptions() => new()
    {
        ModelId = _options.ModelId,
        MaxOutputTokens = _options.MaxOutputTokens,
        Tools = [.. _tools.Declarations],
        ToolMode = _tools.Tools.Count > 0 ? ChatToolMode.Auto : null,
        AllowMultipleToolCalls = true,
    };

    private async Task<ModelCalled> CallModelAsync(IEnumerable<ChatMessage> messages, ChatOptions options, int step, ChannelWriter<AgentUpdate> updates, CancellationToken cancellationToken)
    {
        var started = _time.GetTimestamp();
        var contextTokens = _options.TokenCounter is { } counter ? RequestTokens.CountAsync(counter, messages, options.Tools) : null;
        var received = new List<ChatResponseUpdate>();
        using var retries = ModelRetries.Observe(retry => updates.TryWrite(retry));
        await foreach (var update in _chatClient.GetStreamingResponseAsync(messages, options, cancellationToken).ConfigureAwait(false))
        {
            received.Add(update);
            var text = update.Text;
            if (!string.IsNullOrEmpty(text))
            {
                updates.TryWrite(new TextDelta(text));
            }
        }

        var latency = (long)_time.GetElapsedTime(started).TotalMilliseconds;
        var response = received.ToChatResponse();
        var calls = response.Messages.SelectMany(m => m.Contents).OfType<FunctionCallContent>()
            .Select((c, i) => ToModelToolCall(c, step, i)).ToList();
        var usage = ModelUsage.From(response.Usage);
        var responseText = LoneSurrogates.Replace(string.Concat(response.Messages.SelectMany(m => m.Contents).OfType<TextContent>().Select(t => t.Text)));
        return new ModelCalled(
            step,
            response.ModelId,
            responseText.Length == 0 ? null : responseText,
            calls,
            response.FinishReason?.Value,
            usage,
            latency,
            _options.Pricing?.Invoke(response.ModelId ?? _options.ModelId, usage),
            contextTokens is null ? null : await contextTokens.ConfigureAwait(false));
    }

    private static ModelToolCall ToModelToolCall(FunctionCallContent call, int step, int index)
    {
        var id = string.IsNullOrEmpty(call.CallId) ? $"call_{step}_{index}" : call.CallId;
        if (call.Exception is not null)
        {
            return new ModelToolCall(id, call.Name, null, $"the arguments are not valid JSON ({(call.Exception.GetBaseException() is JsonException json ? ErrorText.JsonProblem(json) : "they could not be read")})");
        }

        // Model output enters the journal here: a lone surrogate in the arguments (which JSON cannot carry) becomes U+FFFD
        // rather than failing the step, so the call runs, is journaled and the session can always be resumed.
        var arguments = JsonSerializer.SerializeToElement(
            call.Arguments?.ToDictionary(a => a.Key, a => a.Value is JsonElement element ? LoneSurrogates.ReplaceIn(element) : a.Value) ?? new Dictionary<string, object?>(),
            AIJsonUtilities.DefaultOptions.GetTypeInfo(typeof(IDictionary<string, object?>)));
        return new ModelToolCall(id, LoneSurrogates.Replace(call.Name), arguments);
    }

    /// <returns>How many calls wait for an approval.</returns>
    private async Task<int> RunToolCallsAsync(SessionWriter session, int step, IReadOnlyList<ModelToolCall> calls, ChannelWriter<AgentUpdate> updates, CancellationToken cancellationToken)
    {
        foreach (var call in calls)
        {
            session.Stage(new ToolCallProposed(call.Id, call.Name, call.Arguments));
        }

        return await RunCallsAsync(session, step, calls, updates, cancellationToken).ConfigureAwait(false);
    }

    private async Task<int> RunCallsAsync(SessionWriter session, int step, IReadOnlyList<ModelToolCall> calls, ChannelWriter<AgentUpdate> updates, CancellationToken cancellationToken)
    {
        // Calls run in the order the model gave them. Consecutive read-only calls run together (up to the
        // parallel limit); a call that may change the world runs alone, so two edits of one file in a step
        // apply one after the other and a read after a write sees the write.
        using var gate = new SemaphoreSlim(_options.MaxParallelToolCalls);
        var waiting = 0;
        foreach (var batch in InOrderBatches(calls))
        {
            var tasks = batch.Select(async call =>
            {
                await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
                try
                {
                    return await RunToolCallAsync(session, step, call, updates, cancellationToken).ConfigureAwait(false);
                }
                finally
                {
                    gate.Release();
                }
            }).ToList();
            waiting += (await Task.WhenAll(tasks).ConfigureAwait(false)).Count(w => w);
        }

        // Staged facts (e.g. the answer and proposals of a step whose only call waits) must be durable before suspending.
        await session.FlushAsync(CancellationToken.None).ConfigureAwait(false);
        return waiting;
    }

    private IEnumerable<List<ModelToolCall>> InOrderBatches(IReadOnlyList<ModelToolCall> calls)
    {
        var reads = new List<ModelToolCall>();
        foreach (var call in calls)
        {
            if (_tools.TryGet(call.Name, out var tool) && (tool.Definition.ReadOnly || tool.Definition.Concurrent))
            {
                reads.Add(call);
                continue;
            }

            if (reads.Count > 0)
            {
                yield return reads;
                reads = [];
            }

            yield return [call];
        }

        if (reads.Count > 0)
        {
            yield return reads;
        }
    }

    /// <returns>Whether the call waits for an approval (no result was journaled).</returns>
    private async Task<bool> RunToolCallAsync(SessionWriter session, int step, ModelToolCall request, ChannelWriter<AgentUpdate> updates, CancellationToken cancellationToken)
    {
        _tools.TryGet(request.Name, out var tool);
        var context = new ToolContext(session.SessionId, session.State.Workspace)
        {
            TimeProvider = _time,
            // Reported at once, not posted to the thread pool (Progress<T>): what a call reports just before it returns is not
            // lost or put after its result.
            Progress = new ImmediateProgress(message => updates.TryWrite(new ToolProgress(request.Id, message))),
            Step = step,
            Editor = _options.Editor,
        };
        var call = new ToolCall(request, tool, context, session, step);
        var started = _time.GetTimestamp();
        ToolResult result;
        try
        {
            result = await _pipeline(call, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (ApprovalPendingException)
        {
            return true;
        }
        catch (Exception ex)
        {
            Log.ToolFailed(_logger, request.Name, ex);
            result = ToolResult.Error(_options.IncludeDetailedErrors
                ? $"Tool '{request.Name}' failed: {ex.GetType().Name}: {ex.Message}"
                : $"Tool '{request.Name}' failed unexpectedly ({ex.GetType().Name}).");
        }

        var elapsed = (long)_time.GetElapsedTime(started).TotalMilliseconds;
        // Nothing has acted on this result yet: if a power loss drops it, resume reports the call as interrupted.
        await session.AppendAsync(
            [.. result.Facts, new ToolCompleted(request.Id, request.Name, result.IsError ? ToolOutcome.Error : ToolOutcome.Success, result.Content, elapsed, result.Truncated, result.OriginalLength)],
            AppendDurability.Written,
            CancellationToken.None).ConfigureAwait(false);
        return false;
    }

    private static async ValueTask<ToolResult> ExecuteAsync(ToolCall call, CancellationToken cancellationToken)
    {
        // Before a tool that may change the world runs, its start must survive even a power loss, so a
        // resumed session never runs it twice unknowingly. Re-running a read-only tool is harmless, so
        // its start only needs to survive the process being killed.
        var durability = call.Tool!.Definition.ReadOnly ? AppendDurability.Written : AppendDurability.Flushed;
        await call.Session.AppendAsync(new ToolStarted(call.Request.Id, call.Request.Name), durability, CancellationToken.None).ConfigureAwait(false);
        var invocation = new ToolInvocation(call.Request.Id, call.Arguments, call.Context);
        return await call.Tool!.InvokeAsync(invocation, cancellationToken).ConfigureAwait(false);
    }

    private static string DescribeModelError(Exception ex)
    {
        // A ModelCallException is already written for the user; other clients' messages are shown without their type names.
        var text = new StringBuilder(ex.Message);
        if (ex is not ModelCallException && ex.InnerException is { } inner && inner.Message != ex.Message)
        {
            text.Append(" (").Append(inner.Message).Append(')');
        }

        return text.ToString();
    }

    private static partial class Log
    {
        [LoggerMessage(LogLevel.Warning, "Model call at step {Step} failed")]
        public static partial void ModelCallFailed(ILogger logger, int step, Exception exception);

        [LoggerMessage(LogLevel.Warning, "Tool {ToolName} threw")]
        public static partial void ToolFailed(ILogger logger, string toolName, Exception exception);
    }

    /// <summary>Calls its handler on the reporting thread (the handler must be thread-safe: a channel write is).</summary>
    private sealed class ImmediateProgress(Action<string> handler) : IProgress<string>
    {
        public void Report(string value) => handler(value);
    }
}
