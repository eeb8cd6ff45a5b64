using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Rein.Engine;
using Rein.Guard.Approvals;
using Rein.Guard.Checkpoints;
using Rein.Hosting.Composition;
using Rein.Hosting.Configuration;
using Rein.Journal;
using Rein.Storage.Sqlite;
using StoreBusyException = Rein.Journal.SessionBusyException;

namespace Rein.Hosting.Sessions;

/// <summary>
/// Runs sessions in the background of this process, at most one runner per session (an in-process map, and the store's writer
/// lease across processes). Nobody answers at a terminal: an <c>ask</c> suspends the session as awaiting approval, and it resumes
/// here once its approvals are answered, through <see cref="AnswerApprovalAsync"/> or by another process (<see cref="ResumeAnsweredAsync"/>).
/// </summary>
/// <remarks>Thread-safe. Each run composes its own <see cref="AgentHost"/> from the settings of its workspace, with <see cref="ReinOptions"/> as flags.</remarks>
internal sealed partial class SessionHost : ISessionHost, IDisposable, IAsyncDisposable
{
    /// <summary>How many of the newest sessions recovery looks at.</summary>
    private const int RecoveryScanLimit = 1000;

    /// <summary>How long a new message waits for a run whose end is journaled to finish closing, before the session counts as busy.</summary>
    private static readonly TimeSpan FinishingGrace = TimeSpan.FromSeconds(5);

    // How long a watcher that read the store waits for a run here to hand on the updates of what it read.
    private static readonly TimeSpan FeedCatchUp = TimeSpan.FromSeconds(5);

    private readonly ReinOptions _options;
    private readonly ILoggerFactory _loggerFactory;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly Func<string, string?> _environment;
    private readonly string _storePath;
    private readonly SqliteSessionStore _store;
    private readonly IReadOnlyList<string> _roots;
    private readonly ConcurrentDictionary<string, ActiveRun> _runs = new(StringComparer.Ordinal);
    private readonly SessionFeeds _feeds = new();
    /// <summary>The sessions that stopped awaiting approval here, with their journal's version when last looked at.</summary>
    private readonly ConcurrentDictionary<string, long> _awaiting = new(StringComparer.Ordinal);
    /// <summary>What every run's model client sends through: one pool of connections for all sessions, not one per run.</summary>
    private readonly SocketsHttpHandler _modelHttp = new() { PooledConnectionLifetime = TimeSpan.FromMinutes(5) };

    /// <summary>Creates the host.</summary>
    /// <param name="options">What sessions run with.</param>
    /// <param name="loggerFactory">Where the host and its runs log; none when null.</param>
    /// <param name="timeProvider">The clock of polling; the system's when null.</param>
    /// <param name="environment">Reads environment variables (where the user's settings are); the process's when null.</param>
    public SessionHost(IOptions<ReinOptions> options, ILoggerFactory? loggerFactory = null, TimeProvider? timeProvider = null, Func<string, string?>? environment = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options.Value;
        _loggerFactory = loggerFactory ?? NullLoggerFactory.Instance;
        _logger = _loggerFactory.CreateLogger<SessionHost>();
        _time = timeProvider ?? TimeProvider.System;
        _environment = environment ?? Environment.GetEnvironmentVariable;
        _storePath = Path.GetFullPath(_options.StorePath is { Length: > 0 } path ? path
            : _environment("REIN_STORE") is { Length: > 0 } fromEnvironment ? fromEnvironment
            : ReinPaths.DefaultStore(_environment));
        _roots = [.. _options.WorkspaceRoots.Select(r => Rein.Tools.RealPath.Resolve(Path.GetFullPath(r)) ?? Path.GetFullPath(r))];
        _store = new SqliteSessionStore(new SqliteSessionStoreOptions { Path = _storePath, TimeProvider = _time });
    }

    /// <summary>The live feeds of the sessions watched or run here.</summary>
    internal SessionFeeds Feeds => _feeds;

    /// <summary>The store every session of this host is journaled in.</summary>
    public string StorePath => _storePath;

    /// <inheritdoc />
    public async ValueTask<SessionTicket> StartAsync(StartSessionRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentException.ThrowIfNullOrWhiteSpace(request.Message);
        var workspace = AllowedWorkspace(request.Workspace);
        var flags = Flags() with
        {
            Model = request.Model ?? _options.Model,
            Mode = request.Mode ?? _options.Mode,
            Agent = request.Agent ?? _options.Agent,
        };
        var settings = SettingsResolver.Resolve(flags, workspace, _environment);
        var handle = await ComposeAsync(settings, workspace, model: null, request.Principal, options: null, cancellationToken).ConfigureAwait(false);
        try
        {
            await handle.StartAsync(request.Origin, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await handle.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        return Launch(handle, request.Message);
    }

    /// <inheritdoc />
    public async ValueTask<SessionTicket> SendAsync(string sessionId, SendMessageRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentException.ThrowIfNullOrWhiteSpace(request.Message);
        return await ContinueAsync(sessionId, request.Message, request.Principal, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask<bool> CancelAsync(string sessionId, CancellationToken cancellationToken = default)
    {
        if (_runs.TryGetValue(sessionId, out var run))
        {
            run.Cancel();
            return true;
        }

        _ = await _store.GetAsync(sessionId, cancellationToken).ConfigureAwait(false) ?? throw new SessionNotFoundException(sessionId);
        return false;
    }

    /// <inheritdoc />
    public async ValueTask<ApprovalOutcome> AnswerApprovalAsync(AnswerApprovalRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Decision is not (ApprovalDecisions.ApproveOnce or ApprovalDecisions.ApproveSession or ApprovalDecisions.Deny))
        {
            throw new ArgumentException(
                $"'{request.Decision}' is not a decision: use {ApprovalDecisions.ApproveOnce}, {ApprovalDecisions.ApproveSession} or {ApprovalDecisions.Deny}.", nameof(request));
        }

        var inbox = new ApprovalInbox(_store, _time);
        var target = ApprovalInbox.Find(await inbox.ListAsync(cancellationToken).ConfigureAwait(false), request.Reference, request.SessionId);
        // Sessions journal their approvers when they start; these only judge older journals.
        var options = new ApprovalOptions { Principal = _options.Principal ?? Principal.Current(_environment) };
        (PendingApproval Request, ApprovalDecided Decided) answered;
        try
        {
            answered = await inbox.AnswerAsync(target, new ApprovalAnswer(request.Decision, request.By, request.Reason) { ByOwner = request.ByOwner }, options, cancellationToken).ConfigureAwait(false);
        }
        catch (StoreBusyException)
        {
            throw new SessionBusyException(target.SessionId);
        }

        var resumed = false;
        var state = SessionState.Fold(await _store.ReadAsync(target.SessionId, 0, cancellationToken).ConfigureAwait(false));
        if (state.OpenApprovals.Count == 0 && !_runs.ContainsKey(target.SessionId))
        {
            try
            {
                await ContinueAsync(target.SessionId, null, null, cancellationToken).ConfigureAwait(false);
                resumed = true;
            }
            catch (SessionBusyException)
            {
                // Another runner took it: it continues there.
            }
        }

        return new ApprovalOutcome(target.SessionId, answered.Decided.CallId, answered.Decided.Decision, answered.Decided.By, resumed);
    }

    /// <inheritdoc />
    public async ValueTask<RewindOutcome> RewindAsync(string sessionId, RewindRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (_runs.ContainsKey(sessionId))
        {
            throw new SessionBusyException(sessionId);
        }

        var summary = await _store.GetAsync(sessionId, cancellationToken).ConfigureAwait(false) ?? throw new SessionNotFoundException(sessionId);
        var events = await _store.ReadAsync(summary.Id, 0, cancellationToken).ConfigureAwait(false);
        var state = SessionState.Fold(events);
        var history = CheckpointHistory.From(events.Select(e => e.Event));
        var step = request.ToStep ?? 1;
        if (history.Checkpoints.Count == 0)
        {
            throw new InvalidOperationException($"Session {summary.Id} has no checkpoints: it changed no files, or it ran without checkpoints (git missing?).");
        }

        if (step < 1 || step > state.Steps)
        {
            throw new ArgumentOutOfRangeException(nameof(request), step, $"Step {step} is out of range: session {summary.Id} has steps 1 to {state.Steps}.");
        }

        if (history.BeforeStep(step) is not { } before)
        {
            return new RewindOutcome(summary.Id, request.ToStep, 0);
        }

        var workspace = state.Workspace.Length > 0 ? state.Workspace : summary.Workspace;
        IAsyncDisposable lease;
        try
        {
            lease = await _store.AcquireWriterAsync(summary.Id, cancellationToken).ConfigureAwait(false);
        }
        catch (StoreBusyException)
        {
            throw new SessionBusyException(summary.Id);
        }

        await using (lease.ConfigureAwait(false))
        {
            var repository = new ShadowRepository(workspace, AgentHost.CheckpointOptionsFor(_storePath));
            var result = await repository.RestoreAsync(before.Commit, summary.Id, cancellationToken).ConfigureAwait(false);
            using var writer = await SessionWriter.OpenAsync(_store, summary.Id, cancellationToken).ConfigureAwait(false);
            await writer.AppendAsync(new WorkspaceRewound(result.Commit, step, result.Backup.Commit, result.Changes.Count), CancellationToken.None).ConfigureAwait(false);
            return new RewindOutcome(summary.Id, request.ToStep, result.Changes.Count);
        }
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<AgentUpdate> WatchAsync(string sessionId, long afterSequence = 0, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        _ = await _store.GetAsync(sessionId, cancellationToken).ConfigureAwait(false) ?? throw new SessionNotFoundException(sessionId);
        var channel = Channel.CreateUnbounded<AgentUpdate>(new UnboundedChannelOptions { SingleReader = true });
        var feed = _feeds.Join(sessionId, channel.Writer);
        try
        {
            var last = afterSequence;
            var live = new List<AgentUpdate>();
            while (!cancellationToken.IsCancellationRequested)
            {
                IReadOnlyList<RecordedEvent> stored;
                try
                {
                    stored = await _store.ReadAsync(sessionId, last, cancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                {
                    break;
                }

                // A run here hands on its streamed text before the update of the model call that journals it, but a moment after
                // the loop made them: once the feed has handed on what was read above, that text is queued, and it goes out first
                // (a watcher that stops at the session's end must not lose it). Bounded, so a stuck run cannot hold the watch.
                var readTo = stored.Count > 0 ? stored[^1].Sequence : last;
                try
                {
                    await feed.WaitForPublishedAsync(readTo, cancellationToken).WaitAsync(FeedCatchUp, cancellationToken).ConfigureAwait(false);
                }
                catch (TimeoutException)
                {
                    // Shown without the text the run did not hand on in time.
                }
                catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                {
                    break;
                }

                var readAgain = false;
                while (channel.Reader.TryRead(out var queued))
                {
                    if (queued is TextDelta or ToolProgress)
                    {
                        yield return queued;
                    }
                    else if (queued is not EventAppended { Recorded.Sequence: var sequence } || sequence > readTo)
                    {
                        readAgain = true;
                    }
                }

                foreach (var recorded in stored)
                {
                    last = recorded.Sequence;
                    yield return new EventAppended(recorded);
                }

                if (readAgain)
                {
                    continue;
                }

                live.Clear();
                if (!await WaitForLiveAsync(channel.Reader, live, last, cancellationToken).ConfigureAwait(false))
                {
                    break;
                }

                foreach (var update in live)
                {
                    yield return update;
                }
            }
        }
        finally
        {
            _feeds.Leave(sessionId, feed, channel.Writer);
        }
    }

    /// <inheritdoc />
    public async ValueTask<SessionTicket> WaitAsync(string sessionId, CancellationToken cancellationToken = default)
    {
        if (_runs.TryGetValue(sessionId, out var run))
        {
            await run.Completion.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }

        var summary = await _store.GetAsync(sessionId, cancellationToken).ConfigureAwait(false) ?? throw new SessionNotFoundException(sessionId);
        return new SessionTicket(summary.Id, summary.Status);
    }

    /// <summary>
    /// Resumes the sessions a killed process left running (the store reports them interrupted): the loop reports calls that started
    /// and never finished as interrupted, never runs them again. Sessions a host started that await approval keep waiting, and are
    /// resumed once answered, as if this host had run them (<see cref="ResumeAnsweredAsync"/>); sub-agent sessions are settled by
    /// their parent's resume. Call it once when the host starts.
    /// </summary>
    /// <param name="cancellationToken">Cancels the scan (not the runs).</param>
    /// <returns>The sessions resumed.</returns>
    public async Task<IReadOnlyList<string>> RecoverAsync(CancellationToken cancellationToken = default)
    {
        var resumed = new List<string>();
        foreach (var summary in await _store.ListAsync(RecoveryScanLimit, cancellationToken).ConfigureAwait(false))
        {
            if (summary.Status is not (SessionStatus.Interrupted or SessionStatus.AwaitingApproval)
                || await SubAgentSessions.ParentOfAsync(_store, summary.Id, cancellationToken).ConfigureAwait(false) is not null)
            {
                continue;
            }

            if (summary.Status == SessionStatus.AwaitingApproval)
            {
                // A host's earlier process started it (a terminal's session has no origin and stays the terminal's to resume):
                // watch it, so an answer given elsewhere (rein approvals approve) resumes it here as if this process had run it.
                var events = await _store.ReadAsync(summary.Id, 0, cancellationToken).ConfigureAwait(false);
                if (events.Count > 0 && events[0].Event is SessionStarted { Origin: not null })
                {
                    _awaiting[summary.Id] = 0;
                }

                continue;
            }

            if (await TryResumeAsync(summary.Id, cancellationToken).ConfigureAwait(false))
            {
                resumed.Add(summary.Id);
            }
        }

        return resumed;
    }

    /// <summary>
    /// Resumes the sessions this host ran that stopped awaiting approval and whose approvals have all been answered since
    /// (e.g. with <c>rein approvals approve</c> in another terminal). <see cref="SessionHostWatcher"/> calls it every poll interval.
    /// </summary>
    /// <param name="cancellationToken">Cancels the scan (not the runs).</param>
    /// <returns>The sessions resumed.</returns>
    public async Task<IReadOnlyList<string>> ResumeAnsweredAsync(CancellationToken cancellationToken = default)
    {
        var resumed = new List<string>();
        foreach (var (sessionId, seen) in _awaiting)
        {
            if (_runs.ContainsKey(sessionId))
            {
                continue;
            }

            var summary = await _store.GetAsync(sessionId, cancellationToken).ConfigureAwait(false);
            if (summary?.Status != SessionStatus.AwaitingApproval)
            {
                // Continued or removed elsewhere.
                _awaiting.TryRemove(sessionId, out _);
                continue;
            }

            // An answer is an append: a journal that has not grown since it was last read has none (many sessions may wait for days).
            if (summary.Version == seen || !_awaiting.TryUpdate(sessionId, summary.Version, seen))
            {
                continue;
            }

            var state = SessionState.Fold(await _store.ReadAsync(sessionId, 0, cancellationToken).ConfigureAwait(false));
            if (state.OpenApprovals.Count == 0)
            {
                if (await TryResumeAsync(sessionId, cancellationToken).ConfigureAwait(false))
                {
                    resumed.Add(sessionId);
                }
                else
                {
                    // Busy (e.g. the process that answered still holds the session): look again next time although the journal did not grow.
                    _awaiting.TryUpdate(sessionId, seen, summary.Version);
                }
            }
        }

        return resumed;
    }

    /// <summary>Cancels the runs going on without waiting for them to journal their stop; prefer <see cref="DisposeAsync"/>.</summary>
    public void Dispose()
    {
        foreach (var run in _runs.Values)
        {
            run.Cancel();
        }

        _store.Dispose();
        _modelHttp.Dispose();
    }

    /// <summary>Cancels the runs going on and waits until each has journaled its stop (suspended), so none is left running.</summary>
    public async ValueTask DisposeAsync()
    {
        var runs = _runs.Values.ToList();
        foreach (var run in runs)
        {
            run.Cancel();
        }

        await Task.WhenAll(runs.Select(r => r.Completion.Task)).ConfigureAwait(false);
        _store.Dispose();
        _modelHttp.Dispose();
    }

    private async Task<bool> TryResumeAsync(string sessionId, CancellationToken cancellationToken)
    {
        try
        {
            await ContinueAsync(sessionId, null, null, cancellationToken).ConfigureAwait(false);
            _awaiting.TryRemove(sessionId, out _);
            return true;
        }
        catch (SessionBusyException)
        {
            return false;
        }
        catch (Exception ex) when (ex is SettingsException or WorkspaceOutsideRootsException or DirectoryNotFoundException or InvalidOperationException or IOException)
        {
            Log.ResumeFailed(_logger, sessionId, ex.Message);
            _awaiting.TryRemove(sessionId, out _);
            return false;
        }
    }

    /// <summary>
    /// Composes a new session for a caller that runs it in its own foreground (the CLI's terminal), with the caller's settings,
    /// approvals, update sink and interrupts. Nothing is journaled until the handle starts the session (or its first run does);
    /// from then on the host holds it as it holds its own runs, until the handle is disposed.
    /// </summary>
    /// <param name="options">The run's settings and its terminal.</param>
    /// <param name="cancellationToken">Cancels composing it.</param>
    /// <returns>The session, to start and run; dispose it.</returns>
    /// <exception cref="WorkspaceOutsideRootsException">The settings' workspace is outside every allowed root.</exception>
    /// <exception cref="SettingsException">No model is configured, or a setting is invalid.</exception>
    internal async Task<SessionHandle> OpenAsync(SessionRunOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var workspace = InsideRoots(options.Settings.Workspace);
        return await ComposeAsync(options.Settings, workspace, options.Model, options.Principal, options, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Claims a session for a caller that continues it in its own foreground, as a background continue does (this host's run of it,
    /// then the store's writer lease), composed with the caller's settings; the flags that change what the session recorded are
    /// journaled (<see cref="RunSettingsChanged"/>).
    /// </summary>
    /// <param name="sessionId">The session id or a unique prefix of it.</param>
    /// <param name="options">The run's settings and its terminal.</param>
    /// <param name="cancellationToken">Cancels claiming it.</param>
    /// <returns>The session, held until the handle is disposed.</returns>
    /// <exception cref="SessionNotFoundException">No such session.</exception>
    /// <exception cref="SessionBusyException">This host runs it.</exception>
    /// <exception cref="StoreBusyException">Another process runs it (the message names that writer).</exception>
    internal Task<SessionHandle> ContinueAsync(string sessionId, SessionRunOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        return ClaimAsync(sessionId, (_, started, _) => (options, InsideRoots(started.Workspace)), storeBusyAsIs: true, cancellationToken);
    }

    /// <summary>Continues a session with a message, or resumes it (null), in the background.</summary>
    private async Task<SessionTicket> ContinueAsync(string sessionId, string? message, string? principal, CancellationToken cancellationToken)
    {
        var handle = await ClaimAsync(
            sessionId,
            (summary, started, recorded) =>
            {
                var workspace = AllowedWorkspace(started.Workspace);
                // What the session was started with wins over the host's defaults; the store stays the host's.
                var settings = SettingsResolver.Resolve(Flags().Overlay(recorded ?? new SettingsValues { Model = summary.Model, Agent = started.Agent }) with { Store = _storePath }, workspace, _environment);
                return (new SessionRunOptions { Settings = settings, Model = recorded?.Model ?? summary.Model, Principal = principal ?? started.Principal }, workspace);
            },
            storeBusyAsIs: false,
            cancellationToken).ConfigureAwait(false);
        return Launch(handle, message);
    }

    /// <summary>
    /// Takes a session for one runner (this host's map of runs, then the store's writer lease) and composes its run with what
    /// <paramref name="setup"/> makes of the session's start and recorded settings.
    /// </summary>
    private async Task<SessionHandle> ClaimAsync(
        string sessionId,
        Func<SessionSummary, SessionStarted, SettingsValues?, (SessionRunOptions Options, string Workspace)> setup,
        bool storeBusyAsIs,
        CancellationToken cancellationToken)
    {
        var summary = await _store.GetAsync(sessionId, cancellationToken).ConfigureAwait(false) ?? throw new SessionNotFoundException(sessionId);
        if (_runs.TryGetValue(summary.Id, out var finishing) && summary.Status != SessionStatus.Running && summary.Version > finishing.StartVersion)
        {
            // The run journaled its end, so a client sees it stopped; its runner is only closing (Stop hooks, the lease).
            // (A run that has journaled nothing yet has only just been launched: the session is busy.)
            try
            {
                await finishing.Completion.Task.WaitAsync(FinishingGrace, _time, cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                throw new SessionBusyException(summary.Id);
            }
        }

        var run = new ActiveRun(summary.Id, summary.Version);
        if (!_runs.TryAdd(summary.Id, run))
        {
            throw new SessionBusyException(summary.Id);
        }

        AgentHost? host = null;
        Microsoft.Extensions.AI.IChatClient? chat = null;
        IAsyncDisposable? lease = null;
        SessionWriter? writer = null;
        IApprovalChannel? approvals = null;
        Rein.Mcp.Client.McpToolbox? mcp = null;
        try
        {
            var events = await _store.ReadAsync(summary.Id, 0, cancellationToken).ConfigureAwait(false);
            var (options, workspace) = setup(summary, (SessionStarted)events[0].Event, RecordedRunSettings.Latest(events));
            host = OpenHost(options.Settings, options.Principal, options.Notice);
            var model = options.Model ?? summary.Model;
            chat = await host.CreateChatClientAsync(model, cancellationToken).ConfigureAwait(false);
            try
            {
                lease = await host.Store.AcquireWriterAsync(summary.Id, cancellationToken).ConfigureAwait(false);
            }
            catch (StoreBusyException) when (!storeBusyAsIs)
            {
                throw new SessionBusyException(summary.Id);
            }

            writer = await SessionWriter.OpenAsync(host.Store, summary.Id, cancellationToken).ConfigureAwait(false);
            if (options.Flags is { } flags
                && RecordedRunSettings.Changed(options.Recorded ?? new SettingsValues { Model = summary.Model, Agent = writer.State.Agent }, flags) is { Count: > 0 } changed)
            {
                await writer.AppendAsync(new RunSettingsChanged(model, host.Settings.Profile?.Name, RecordedRunSettings.From(host.Settings.Values), changed), CancellationToken.None).ConfigureAwait(false);
            }

            approvals = options.Approvals?.Invoke(host);
            var resumed = SubAgentRunner.ForResume(host, writer.State);
            mcp = resumed is null ? await host.StartMcpAsync(workspace, options.McpServers, cancellationToken).ConfigureAwait(false) : null;
            var reinSession = host.CreateSession(chat, workspace, model, approvals, subAgent: resumed, mcp: mcp, editor: options.Editor);
            var handle = new SessionHandle(this, host, chat, approvals, reinSession, model, workspace, options);
            handle.Attach(run, lease, writer);
            return handle;
        }
        catch
        {
            writer?.Dispose();
            if (lease is not null)
            {
                await lease.DisposeAsync().ConfigureAwait(false);
            }

            (approvals as IDisposable)?.Dispose();
            if (mcp is not null)
            {
                await mcp.DisposeAsync().ConfigureAwait(false);
            }

            chat?.Dispose();
            host?.Dispose();
            Release(run);
            throw;
        }
    }

    /// <summary>Composes the run of a new session (nothing journaled yet).</summary>
    private async Task<SessionHandle> ComposeAsync(ResolvedSettings settings, string workspace, string? model, string? principal, SessionRunOptions? options, CancellationToken cancellationToken)
    {
        var host = OpenHost(settings, principal, options?.Notice);
        Microsoft.Extensions.AI.IChatClient? chat = null;
        IApprovalChannel? approvals = null;
        Rein.Mcp.Client.McpToolbox? mcp = null;
        try
        {
            model ??= host.RequireModel();
            chat = await host.CreateChatClientAsync(model, cancellationToken).ConfigureAwait(false);
            approvals = options?.Approvals?.Invoke(host);
            mcp = await host.StartMcpAsync(workspace, options?.McpServers, cancellationToken).ConfigureAwait(false);
            var reinSession = host.CreateSession(chat, workspace, model, approvals, mcp: mcp, editor: options?.Editor);
            return new SessionHandle(this, host, chat, approvals, reinSession, model, workspace, options);
        }
        catch
        {
            (approvals as IDisposable)?.Dispose();
            if (mcp is not null)
            {
                await mcp.DisposeAsync().ConfigureAwait(false);
            }

            chat?.Dispose();
            host.Dispose();
            throw;
        }
    }

    /// <summary>Runs a held session in the background; the run lets the session go when it ends.</summary>
    private SessionTicket Launch(SessionHandle handle, string? message)
    {
        var sessionId = handle.SessionId!;
        _ = Task.Run(
            async () =>
            {
                try
                {
                    var outcome = await handle.RunAsync(message, CancellationToken.None).ConfigureAwait(false);
                    if (outcome.BlockedReason is { } blocked)
                    {
                        Log.MessageBlocked(_logger, sessionId, blocked);
                    }
                    else if (outcome.Stopped?.Reason == StopReason.AwaitingApproval)
                    {
                        _awaiting[sessionId] = 0;
                    }
                }
                catch (Exception ex)
                {
                    Log.RunFailed(_logger, sessionId, ex);
                }
                finally
                {
                    await handle.DisposeAsync().ConfigureAwait(false);
                }
            },
            CancellationToken.None);
        return new SessionTicket(sessionId, SessionStatus.Running);
    }

    /// <summary>Records a run of a new session, which no other runner can have.</summary>
    internal void Hold(ActiveRun run) => _runs[run.SessionId] = run;

    /// <summary>Ends a run: another runner may take its session, and <see cref="WaitAsync"/> returns.</summary>
    internal void Release(ActiveRun run)
    {
        _runs.TryRemove(new KeyValuePair<string, ActiveRun>(run.SessionId, run));
        run.Completion.TrySetResult();
        run.Dispose();
    }

    /// <summary>The feed through which a run tells the session's watchers in this process of its updates; the run leaves it when it ends.</summary>
    internal SessionFeed JoinFeed(string sessionId) => _feeds.Join(sessionId);

    /// <summary>A run's end: the feed is removed once neither a run nor a watcher is on it.</summary>
    internal void LeaveFeed(string sessionId, SessionFeed feed) => _feeds.Leave(sessionId, feed);

    /// <summary>
    /// Collects the live text and progress of a local run until the run journals an event after <paramref name="last"/> (then the
    /// store is read again), a poll interval passes, or the watch is cancelled (false).
    /// </summary>
    private async Task<bool> WaitForLiveAsync(ChannelReader<AgentUpdate> reader, List<AgentUpdate> live, long last, CancellationToken cancellationToken)
    {
        using var poll = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        poll.CancelAfter(_options.PollInterval);
        try
        {
            while (await reader.WaitToReadAsync(poll.Token).ConfigureAwait(false))
            {
                while (reader.TryRead(out var update))
                {
                    switch (update)
                    {
                        case TextDelta or ToolProgress:
                            live.Add(update);
                            break;
                        case EventAppended appended when appended.Recorded.Sequence <= last:
                            break;
                        default:
                            // Journaled (or the run ended): what came before it goes out first, then the store is read.
                            return true;
                    }
                }

                if (live.Count > 0)
                {
                    return true;
                }
            }

            return !cancellationToken.IsCancellationRequested;
        }
        catch (OperationCanceledException)
        {
            return !cancellationToken.IsCancellationRequested;
        }
    }

    private SettingsValues Flags() => new()
    {
        Model = _options.Model,
        BaseUrl = _options.BaseUrl,
        Store = _storePath,
        MaxSteps = _options.MaxSteps,
        Mode = _options.Mode,
        Agent = _options.Agent,
        MaxTokens = _options.MaxTokens,
        MaxCostUsd = _options.MaxCostUsd,
        MaxTime = _options.MaxTime,
    };

    private AgentHost OpenHost(ResolvedSettings settings, string? principal, Action<string>? notice)
    {
        // The context and memory options are read where the settings files' sections are, as the last (strongest) of them.
        var context = new System.Text.Json.Nodes.JsonObject();
        if (_options.Context.Window is { } window)
        {
            context["window"] = window;
        }

        if (_options.Context.CompactionThreshold is { } threshold)
        {
            context["compaction_threshold"] = threshold;
        }

        if (_options.Context.KeepRecentObservations is { } keep)
        {
            context["keep_recent_observations"] = keep;
        }

        var sections = new System.Text.Json.Nodes.JsonObject();
        if (context.Count > 0)
        {
            sections["context"] = context;
        }

        if (_options.Memory.Enabled is { } memory)
        {
            sections["memory"] = new System.Text.Json.Nodes.JsonObject { ["enabled"] = memory };
        }

        if (sections.Count > 0)
        {
            using var document = System.Text.Json.JsonDocument.Parse(sections.ToJsonString());
            settings = settings with { Documents = [.. settings.Documents, new SettingsDocument("host", "Rein options", document.RootElement.Clone())] };
        }

        var logger = _logger;
        return AgentHost.Open(settings, new AgentHostOptions
        {
            LoggerFactory = _loggerFactory,
            Principal = principal ?? _options.Principal,
            Notice = notice ?? (line => Log.Notice(logger, line)),
            // One store for every run: a store of its own per run would open its own connections, and closing it empties
            // the connection pool that all runs share.
            SharedStore = _store,
            ModelHttpHandler = _modelHttp,
        });
    }

    /// <summary>The workspace's real path (after <c>..</c> and links), when it is a folder inside an allowed root.</summary>
    /// <exception cref="WorkspaceOutsideRootsException">It is outside every root.</exception>
    /// <exception cref="DirectoryNotFoundException">It is not a folder.</exception>
    private string AllowedWorkspace(string workspace)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(workspace);
        var real = Rein.Tools.RealPath.Resolve(Path.GetFullPath(workspace)) ?? throw new DirectoryNotFoundException($"The workspace {workspace} is not a folder.");
        if (_roots.Count > 0 && !_roots.Any(root => real == root || real.StartsWith(root.EndsWith('/') ? root : root + "/", StringComparison.Ordinal)))
        {
            throw new WorkspaceOutsideRootsException(workspace, _roots);
        }

        return Directory.Exists(real) ? real : throw new DirectoryNotFoundException($"The workspace {workspace} is not a folder.");
    }

    /// <summary>
    /// The workspace as given, when no roots are set (a terminal's sessions run where its user says), else its real path inside a
    /// root (<see cref="AllowedWorkspace"/>).
    /// </summary>
    private string InsideRoots(string workspace) => _roots.Count == 0 ? workspace : AllowedWorkspace(workspace);

    /// <summary>One run going on in this host.</summary>
    internal sealed class ActiveRun(string sessionId, long startVersion) : IDisposable
    {
        private readonly CancellationTokenSource _cancellation = new();

        public string SessionId { get; } = sessionId;

        /// <summary>The session's journal version when the run was launched.</summary>
        public long StartVersion { get; } = startVersion;

        public CancellationToken Token => _cancellation.Token;

        public TaskCompletionSource Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Cancel()
        {
            try
            {
                _cancellation.Cancel();
            }
            catch (ObjectDisposedException)
            {
                // Already over.
            }
        }

        public void Dispose() => _cancellation.Dispose();
    }

    private static partial class Log
    {
        [LoggerMessage(LogLevel.Warning, "{Notice}")]
        public static partial void Notice(ILogger logger, string notice);

        [LoggerMessage(LogLevel.Error, "The run of session {SessionId} failed")]
        public static partial void RunFailed(ILogger logger, string sessionId, Exception exception);

        [LoggerMessage(LogLevel.Warning, "Session {SessionId} could not be resumed: {Reason}")]
        public static partial void ResumeFailed(ILogger logger, string sessionId, string reason);

        [LoggerMessage(LogLevel.Information, "A UserPromptSubmit hook blocked the message of session {SessionId}: {Reason}")]
        public static partial void MessageBlocked(ILogger logger, string sessionId, string reason);
    }
}
