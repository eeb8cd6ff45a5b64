using Microsoft.Extensions.AI;
using Rein.Engine;
using Rein.Hosting.Composition;
using Rein.Journal;

namespace Rein.Hosting.Sessions;

/// <summary>
/// A session a <see cref="SessionHost"/> holds for one runner: its composed loop and, once started, its place in the host's map of
/// runs and the store's writer lease, until disposed. The host's background runs and a caller's foreground runs (the CLI) both go
/// through it, so a session is started and continued in one way.
/// </summary>
/// <remarks>One run at a time; not thread-safe. A new session is journaled only when it starts (<see cref="StartAsync"/> or its first run).</remarks>
internal sealed class SessionHandle : IAsyncDisposable
{
    private readonly SessionHost _owner;
    private readonly IChatClient _chat;
    private readonly IApprovalChannel? _approvals;
    private readonly Action<AgentUpdate>? _onUpdate;
    private readonly IRunInterrupts? _interrupts;
    private SessionWriter? _writer;
    private IAsyncDisposable? _lease;
    private SessionHost.ActiveRun? _run;
    private SessionFeed? _feed;

    internal SessionHandle(SessionHost owner, AgentHost host, IChatClient chat, IApprovalChannel? approvals, ReinSession session, string model, string workspace, SessionRunOptions? options)
    {
        _owner = owner;
        Host = host;
        _chat = chat;
        _approvals = approvals;
        Session = session;
        Model = model;
        Workspace = workspace;
        _onUpdate = options?.OnUpdate;
        _interrupts = options?.Interrupts;
    }

    /// <summary>Gets the composition the session runs in (settings, store, principal).</summary>
    public AgentHost Host { get; }

    /// <summary>Gets the session's composed loop, guards and lifecycle.</summary>
    public ReinSession Session { get; }

    /// <summary>Gets the model specification it runs with.</summary>
    public string Model { get; }

    /// <summary>Gets the folder it works in.</summary>
    public string Workspace { get; }

    /// <summary>Gets the session id; null until a new session starts.</summary>
    public string? SessionId => _writer?.SessionId;

    /// <summary>Gets the session's state as journaled so far.</summary>
    /// <exception cref="InvalidOperationException">The session has not started.</exception>
    public SessionState State => _writer?.State ?? throw new InvalidOperationException("The session has not started.");

    /// <summary>Journals a new session and holds it: this host's run of it and the store's writer lease; the first event goes to the run's update sink.</summary>
    /// <param name="origin">Where the session came from, journaled; null for a terminal.</param>
    /// <param name="cancellationToken">Cancels starting it.</param>
    /// <exception cref="InvalidOperationException">It has started already.</exception>
    public async Task StartAsync(string? origin, CancellationToken cancellationToken)
    {
        if (_writer is not null)
        {
            throw new InvalidOperationException($"Session {_writer.SessionId} has started already.");
        }

        var writer = await Host.StartSessionAsync(Workspace, Model, origin, cancellationToken).ConfigureAwait(false);
        var run = new SessionHost.ActiveRun(writer.SessionId, writer.State.Version);
        _owner.Hold(run);
        try
        {
            _lease = await Host.Store.AcquireWriterAsync(writer.SessionId, cancellationToken).ConfigureAwait(false);
            if (_onUpdate is not null)
            {
                var first = await Host.Store.ReadAsync(writer.SessionId, 0, cancellationToken).ConfigureAwait(false);
                _onUpdate(new EventAppended(first[0]));
            }
        }
        catch
        {
            writer.Dispose();
            if (_lease is not null)
            {
                await _lease.DisposeAsync().ConfigureAwait(false);
                _lease = null;
            }

            _owner.Release(run);
            throw;
        }

        _writer = writer;
        _run = run;
    }

    /// <summary>Takes over a session the host has claimed and opened for this handle.</summary>
    internal void Attach(SessionHost.ActiveRun run, IAsyncDisposable lease, SessionWriter writer)
    {
        _run = run;
        _lease = lease;
        _writer = writer;
    }

    /// <summary>Runs the session (with <paramref name="message"/>, or resuming it) until it stops, starting it first if it is new.</summary>
    /// <param name="message">The user's message, or null to resume.</param>
    /// <param name="cancellationToken">Cancels the run (as the host's <see cref="ISessionHost.CancelAsync"/> does); the loop journals its stop.</param>
    /// <returns>How the run ended.</returns>
    public async Task<SessionRunOutcome> RunAsync(string? message, CancellationToken cancellationToken)
    {
        if (_writer is null)
        {
            await StartAsync(null, cancellationToken).ConfigureAwait(false);
        }

        var writer = _writer!;
        _feed ??= _owner.JoinFeed(writer.SessionId);
        var publish = _feed.Publish;
        var onUpdate = _onUpdate is { } sink
            ? update =>
            {
                sink(update);
                publish(update);
            }
            : publish;
        using var cancellation = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _run!.Token);
        return await Session.RunAsync(writer, message, onUpdate, _interrupts, cancellation.Token).ConfigureAwait(false);
    }

    /// <summary>Summarises older turns of a started session now, to free context (<c>/compact</c>).</summary>
    /// <param name="cancellationToken">Cancels it.</param>
    /// <returns>What was compacted, or null when the conversation is too short; null too for a session not started yet.</returns>
    public async Task<ContextCompacted?> CompactAsync(CancellationToken cancellationToken) =>
        _writer is null ? null : await Session.Context.CompactAsync(_writer, "manual", cancellationToken).ConfigureAwait(false);

    /// <summary>Lets the session go: the writer lease, the model client and the composition, then the host's run of it.</summary>
    /// <returns>A task that completes once another runner may take the session.</returns>
    public async ValueTask DisposeAsync()
    {
        _writer?.Dispose();
        if (_lease is not null)
        {
            await _lease.DisposeAsync().ConfigureAwait(false);
        }

        (_approvals as IDisposable)?.Dispose();
        if (Session.Mcp is { } mcp)
        {
            await mcp.DisposeAsync().ConfigureAwait(false);
        }

        _chat.Dispose();
        Host.Dispose();
        if (_run is { } run)
        {
            // Watchers read what the run journaled last without waiting for their next poll.
            var feed = _feed ?? _owner.JoinFeed(run.SessionId);
            feed.Publish(new RunStopped(StopReason.Cancelled, null));
            _owner.LeaveFeed(run.SessionId, feed);
            _feed = null;
            _owner.Release(run);
        }
    }
}
