using System.Collections.Concurrent;
using System.Security.Cryptography;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Rein.Chat;
using Rein.Journal;
using Rein.Server.Views;

namespace Rein.Server.Chat;

/// <summary>
/// Sends what happens in the sessions started from a chat back to the conversation that started them: approval requests
/// (with buttons), how they were answered, and each run's final answer. It reads the journal, not a run, so the answer
/// goes back to its thread wherever the session was continued or approved (HTTP API, web console, CLI, another chat).
/// </summary>
/// <remarks>
/// How far each session was relayed is stored (<see cref="IChatStore.AdvanceAsync"/>), so a restarted server neither repeats
/// nor loses a message. Every <see cref="ChatOptions.RelayInterval"/> the most recently updated sessions are looked at; a
/// chat that just started or answered something asks for a look at once (<see cref="Nudge"/>).
/// </remarks>
internal sealed partial class ChatRelay : BackgroundService
{
    /// <summary>How many of the most recently updated sessions one look covers.</summary>
    private const int ScanLimit = 200;

    /// <summary>How many times an update that fails (the network, an answer the client cannot read) is tried before it is given up.</summary>
    private const int MaxAttempts = 8;

    /// <summary>The longest wait between two tries of a failing update.</summary>
    private static readonly TimeSpan MaxRetryDelay = TimeSpan.FromMinutes(1);

    private readonly ISessionStore _store;
    private readonly IChatStore _chats;
    private readonly Dictionary<string, IChatSurface> _surfaces;
    private readonly Func<string, string>? _redact;
    private readonly TimeSpan _interval;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    /// <summary>The sessions whose next update failed: which event, how often, and when to try again.</summary>
    private readonly ConcurrentDictionary<string, (long Sequence, int Attempts, DateTimeOffset Next)> _retries = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, ChatFollow> _follows = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _nudge = new(0, 1);
    /// <summary>Whether each followed session is a sub-agent's, once looked up (it never changes).</summary>
    private readonly ConcurrentDictionary<string, bool> _children = new(StringComparer.Ordinal);
    /// <summary>The progress message of each run going on, by session (kept in memory: after a restart a run gets a new one).</summary>
    private readonly ConcurrentDictionary<string, string> _progress = new(StringComparer.Ordinal);

    public ChatRelay(
        ISessionStore store, IChatStore chats, IEnumerable<IChatSurface> surfaces, IOptions<ChatOptions> options, IOptions<ReinServerOptions> server, ILogger<ChatRelay> logger,
        TimeProvider? timeProvider = null)
    {
        _time = timeProvider ?? TimeProvider.System;
        _store = store;
        _chats = chats;
        _surfaces = surfaces.ToDictionary(s => s.Name, StringComparer.Ordinal);
        _redact = server.Value.Redact;
        _interval = options.Value.RelayInterval;
        _logger = logger;
    }

    /// <summary>Starts relaying a session that a chat started, from its first event.</summary>
    public async Task FollowAsync(string sessionId, string origin, CancellationToken cancellationToken)
    {
        await _chats.FollowAsync(sessionId, origin, 0, cancellationToken).ConfigureAwait(false);
        _follows.TryAdd(sessionId, new ChatFollow(sessionId, origin, 0));
        Nudge();
    }

    /// <summary>Asks for a look at the sessions now rather than at the next interval.</summary>
    public void Nudge()
    {
        if (_nudge.CurrentCount == 0)
        {
            try
            {
                _nudge.Release();
            }
            catch (SemaphoreFullException)
            {
            }
        }
    }

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (_surfaces.Count == 0)
        {
            return;
        }

        var first = true;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (first)
                {
                    foreach (var follow in await _chats.ListFollowedAsync(stoppingToken).ConfigureAwait(false))
                    {
                        _follows[follow.SessionId] = follow;
                    }
                }

                await LookAsync(everyFollowed: first, stoppingToken).ConfigureAwait(false);
                first = false;
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                // The store may be busy for a moment; the next look tries again.
                Log.LookFailed(_logger, ex);
            }

            try
            {
                await _nudge.WaitAsync(_interval, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>Relays what the followed sessions journaled since they were last relayed.</summary>
    /// <param name="everyFollowed">Look at every followed session (at start), not only the most recently updated ones.</param>
    internal async Task LookAsync(bool everyFollowed, CancellationToken cancellationToken)
    {
        if (_follows.IsEmpty)
        {
            // No chat has started a session yet: nothing to ask the store.
            return;
        }

        IEnumerable<SessionSummary> candidates;
        if (everyFollowed)
        {
            var found = new List<SessionSummary>();
            foreach (var id in _follows.Keys)
            {
                if (await _store.GetAsync(id, cancellationToken).ConfigureAwait(false) is { } summary)
                {
                    found.Add(summary);
                }
            }

            candidates = found;
        }
        else
        {
            candidates = await _store.ListAsync(ScanLimit, cancellationToken).ConfigureAwait(false);
        }

        // A failing session is tried again when its wait is over, even if nothing new was journaled since.
        var now = _time.GetUtcNow();
        var due = new List<SessionSummary>();
        foreach (var (id, retry) in _retries)
        {
            if (retry.Next <= now && !everyFollowed && await _store.GetAsync(id, cancellationToken).ConfigureAwait(false) is { } summary)
            {
                due.Add(summary);
            }
        }

        foreach (var summary in candidates.Concat(due).DistinctBy(s => s.Id))
        {
            if (_retries.TryGetValue(summary.Id, out var waiting) && waiting.Next > now)
            {
                continue;
            }

            if (_follows.TryGetValue(summary.Id, out var follow) && summary.Version > follow.RelayedThrough)
            {
                await RelayAsync(follow, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private async Task RelayAsync(ChatFollow follow, CancellationToken cancellationToken)
    {
        var (surfaceName, address) = SplitOrigin(follow.Origin);
        if (surfaceName is null || !_surfaces.TryGetValue(surfaceName, out var surface))
        {
            // The surface is not configured on this server (any more): its sessions wait until it is.
            return;
        }

        var events = await _store.ReadAsync(follow.SessionId, follow.RelayedThrough, cancellationToken).ConfigureAwait(false);
        IReadOnlyList<RecordedEvent>? journal = null;
        async Task<IReadOnlyList<RecordedEvent>> JournalAsync() =>
            journal ??= await _store.ReadAsync(follow.SessionId, 0, cancellationToken).ConfigureAwait(false);

        var decidedLater = events.Select(e => e.Event).OfType<ApprovalDecided>().Select(d => d.CallId).ToHashSet(StringComparer.Ordinal);
        // A sub-agent's approval requests go to its parent's conversation; its answer goes to the parent, not the chat.
        if (!_children.TryGetValue(follow.SessionId, out var child))
        {
            child = (follow.RelayedThrough == 0 && events.Count > 0 ? events : await JournalAsync().ConfigureAwait(false)) is [{ Event: SessionStarted { ParentSessionId: not null } }, ..];
            _children[follow.SessionId] = child;
        }

        var relayed = follow.RelayedThrough;
        foreach (var recorded in events)
        {
            try
            {
                switch (recorded.Event)
                {
                    case ApprovalRequested asked when !decidedLater.Contains(asked.CallId):
                        await AskAsync(surface, address, follow.SessionId, asked, await JournalAsync().ConfigureAwait(false), cancellationToken).ConfigureAwait(false);
                        break;
                    case ApprovalDecided decided:
                        await MarkAsync(surface, follow.SessionId, decided, await JournalAsync().ConfigureAwait(false), cancellationToken).ConfigureAwait(false);
                        break;
                    case SubAgentStarted started:
                        await _chats.FollowAsync(started.ChildSessionId, follow.Origin, 0, cancellationToken).ConfigureAwait(false);
                        _follows.TryAdd(started.ChildSessionId, new ChatFollow(started.ChildSessionId, follow.Origin, 0));
                        break;
                    case SessionEnded ended when !child:
                        await EndProgressAsync(surface, address, follow.SessionId, "Finished.", cancellationToken).ConfigureAwait(false);
                        await surface.SendAnswerAsync(address, Answer(ended, SessionState.Fold(await JournalAsync().ConfigureAwait(false))), cancellationToken).ConfigureAwait(false);
                        break;
                    case SessionSuspended suspended when !child:
                        await EndProgressAsync(surface, address, follow.SessionId,
                            suspended.Reason == StopReason.AwaitingApproval ? "Waiting for approval." : "Stopped.", cancellationToken).ConfigureAwait(false);
                        if (suspended.Reason == StopReason.Cancelled)
                        {
                            await surface.SendNoticeAsync(address, "Cancelled.", cancellationToken).ConfigureAwait(false);
                        }

                        break;
                }
            }
            catch (ChatDeliveryException ex)
            {
                // Refused for good: sending it again would fail again. The next event still goes out.
                Log.Refused(_logger, surface.Name, follow.SessionId, recorded.Sequence, ex.Message);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // Perhaps the network: what was relayed so far is recorded, and the rest is tried again later, a few times.
                var attempts = _retries.TryGetValue(follow.SessionId, out var retry) && retry.Sequence == recorded.Sequence ? retry.Attempts + 1 : 1;
                if (attempts < MaxAttempts)
                {
                    var delay = TimeSpan.FromSeconds(Math.Min(MaxRetryDelay.TotalSeconds, Math.Pow(2, attempts - 1)));
                    _retries[follow.SessionId] = (recorded.Sequence, attempts, _time.GetUtcNow() + delay);
                    Log.DeliveryFailed(_logger, ex, surface.Name, follow.SessionId, recorded.Sequence, attempts, delay);
                    break;
                }

                // One update that never goes through must not hold back the session's later ones (its answer).
                Log.GaveUp(_logger, ex, surface.Name, follow.SessionId, recorded.Sequence, attempts);
            }

            _retries.TryRemove(follow.SessionId, out _);
            relayed = recorded.Sequence;
        }

        if (!child && events.Count > 0 && relayed == events[^1].Sequence)
        {
            await ShowProgressAsync(surface, address, follow.SessionId, events, cancellationToken).ConfigureAwait(false);
        }

        if (relayed > follow.RelayedThrough)
        {
            await _chats.AdvanceAsync(follow.SessionId, relayed, CancellationToken.None).ConfigureAwait(false);
            _follows[follow.SessionId] = follow with { RelayedThrough = relayed };
        }
    }

    /// <summary>Shows the step a run is at, when the run went on after its last stop in these events.</summary>
    private async Task ShowProgressAsync(IChatSurface surface, string address, string sessionId, IReadOnlyList<RecordedEvent> events, CancellationToken cancellationToken)
    {
        var step = 0;
        string? tool = null;
        // From the newest event back to the run's last stop, if any.
        for (var i = events.Count - 1; i >= 0 && events[i].Event is not (SessionEnded or SessionSuspended); i--)
        {
            switch (events[i].Event)
            {
                case ModelCalled called when step == 0:
                    step = called.Step;
                    tool ??= called.ToolCalls.Count > 0 ? string.Join(", ", called.ToolCalls.Select(c => c.Name).Distinct(StringComparer.Ordinal)) : null;
                    break;
                case ToolStarted started when step == 0:
                    tool ??= started.Name;
                    break;
            }
        }

        if (step == 0)
        {
            return;
        }

        try
        {
            var text = $"Working… step {step}{(tool is null ? "" : $": {tool}")}";
            if (await surface.ShowProgressAsync(address, _progress.GetValueOrDefault(sessionId), text, cancellationToken).ConfigureAwait(false) is { } progressRef)
            {
                _progress[sessionId] = progressRef;
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // Progress is a courtesy: the answer still goes out.
            Log.ProgressFailed(_logger, ex, surface.Name, sessionId);
        }
    }

    /// <summary>Says in the run's progress message that it stopped, and forgets the message.</summary>
    private async Task EndProgressAsync(IChatSurface surface, string address, string sessionId, string text, CancellationToken cancellationToken)
    {
        if (!_progress.TryRemove(sessionId, out var progressRef))
        {
            return;
        }

        try
        {
            await surface.ShowProgressAsync(address, progressRef, text, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            Log.ProgressFailed(_logger, ex, surface.Name, sessionId);
        }
    }

    private async Task AskAsync(IChatSurface surface, string address, string sessionId, ApprovalRequested asked, IReadOnlyList<RecordedEvent> journal, CancellationToken cancellationToken)
    {
        var known = await _chats.FindApprovalMessageAsync(sessionId, asked.CallId, cancellationToken).ConfigureAwait(false);
        if (known is { MessageRef.Length: > 0 })
        {
            return;
        }

        // The token is stored before the message goes out, so its buttons answer as soon as anyone can see them; a send
        // that failed is tried again with the same token.
        var approval = Approval(sessionId, asked, journal);
        var token = known?.Token ?? NewToken();
        var origin = $"{surface.Name}:{address}";
        await _chats.SaveApprovalMessageAsync(new ChatApprovalMessage(token, sessionId, asked.CallId, origin, ""), CancellationToken.None).ConfigureAwait(false);
        var messageRef = await surface.SendApprovalAsync(address, approval, token, cancellationToken).ConfigureAwait(false);
        await _chats.SaveApprovalMessageAsync(new ChatApprovalMessage(token, sessionId, asked.CallId, origin, messageRef), CancellationToken.None).ConfigureAwait(false);
    }

    private async Task MarkAsync(IChatSurface surface, string sessionId, ApprovalDecided decided, IReadOnlyList<RecordedEvent> journal, CancellationToken cancellationToken)
    {
        if (await _chats.FindApprovalMessageAsync(sessionId, decided.CallId, cancellationToken).ConfigureAwait(false) is not { MessageRef.Length: > 0 } message
            || journal.Select(e => e.Event).OfType<ApprovalRequested>().LastOrDefault(r => r.CallId == decided.CallId) is not { } asked)
        {
            return;
        }

        await surface.MarkApprovalAsync(message.MessageRef, Approval(sessionId, asked, journal), Outcome(decided), cancellationToken).ConfigureAwait(false);
    }

    private ChatApproval Approval(string sessionId, ApprovalRequested asked, IReadOnlyList<RecordedEvent> journal)
    {
        var workspace = journal.Count > 0 && journal[0].Event is SessionStarted started ? started.Workspace : null;
        var preview = ApprovalPreview.Create(asked.Tool, asked.Arguments, workspace, _redact);
        return new ChatApproval(sessionId, asked.CallId, asked.Tool, asked.Reason, preview.Lines);
    }

    /// <summary>How an approval was answered, naming who answered.</summary>
    internal static string Outcome(ApprovalDecided decided) => decided.Decision switch
    {
        ApprovalDecisions.ApproveOnce => $"Approved by {decided.By}",
        ApprovalDecisions.ApproveSession => $"Approved for the rest of the session by {decided.By}",
        ApprovalDecisions.Deny => $"Denied by {decided.By}{(decided.Reason is { Length: > 0 } reason ? $": {reason}" : "")}",
        _ => $"{decided.Decision.Replace('_', ' ')} ({decided.By})",
    };

    /// <summary>What a run's end says in the chat: the model's last answer, or why the run stopped.</summary>
    internal static string Answer(SessionEnded ended, SessionState state)
    {
        var text = state.LastAssistantText is { Length: > 0 } last ? last : null;
        if (ended.Reason == StopReason.Completed)
        {
            return text ?? "Done (the agent wrote no answer).";
        }

        var why = $"Stopped: {ended.Reason.Replace('_', ' ')}{(ended.Detail is { Length: > 0 } detail ? $" ({detail})" : "")}.";
        return text is null ? why : $"{text}\n\n{why}";
    }

    /// <summary>Splits an origin (<c>slack:T1/C1/1700000000.000100</c>) into its surface and address.</summary>
    internal static (string? Surface, string Address) SplitOrigin(string origin)
    {
        var colon = origin.IndexOf(':', StringComparison.Ordinal);
        return colon > 0 ? (origin[..colon], origin[(colon + 1)..]) : (null, origin);
    }

    /// <summary>A token for an approval's buttons: unguessable, and short enough for Telegram's 64-byte callback data.</summary>
    private static string NewToken() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12));

    public override void Dispose()
    {
        _nudge.Dispose();
        base.Dispose();
    }

    private static partial class Log
    {
        [LoggerMessage(LogLevel.Warning, "Looking at the sessions started from chats failed")]
        public static partial void LookFailed(ILogger logger, Exception exception);

        [LoggerMessage(LogLevel.Warning, "{Surface} refused an update of session {SessionId} (event {Sequence}): {Error}")]
        public static partial void Refused(ILogger logger, string surface, string sessionId, long sequence, string error);

        [LoggerMessage(LogLevel.Debug, "Showing the progress of session {SessionId} on {Surface} failed")]
        public static partial void ProgressFailed(ILogger logger, Exception exception, string surface, string sessionId);

        [LoggerMessage(LogLevel.Warning, "Sending an update of session {SessionId} (event {Sequence}) to {Surface} failed (try {Attempts}); it is tried again in {Delay}")]
        public static partial void DeliveryFailed(ILogger logger, Exception exception, string surface, string sessionId, long sequence, int attempts, TimeSpan delay);

        [LoggerMessage(LogLevel.Error, "Sending an update of session {SessionId} (event {Sequence}) to {Surface} failed {Attempts} times; it is given up")]
        public static partial void GaveUp(ILogger logger, Exception exception, string surface, string sessionId, long sequence, int attempts);
    }
}
