using System.Collections.Concurrent;
using System.Threading.Channels;
using Rein.Engine;

namespace Rein.Hosting.Sessions;

/// <summary>
/// The live feeds of a host's sessions: a session has one while it has watchers or a run, and loses it when the last of them leaves,
/// so a long-running host keeps none for the sessions it once watched or ran.
/// </summary>
/// <remarks>
/// Thread-safe. A feed whose last member left is retired before it leaves the map: whoever joins it then takes a new feed instead,
/// so a watcher that arrives during the removal is never attached to a feed that a later run cannot reach.
/// </remarks>
internal sealed class SessionFeeds
{
    private readonly ConcurrentDictionary<string, SessionFeed> _feeds = new(StringComparer.Ordinal);

    /// <summary>The sessions that have a feed.</summary>
    public int Count => _feeds.Count;

    /// <summary>Called between a feed's retirement and its removal from the map, with the session's id (for tests of that window).</summary>
    internal Action<string>? Retiring { get; set; }

    /// <summary>Joins the session's feed, as a watcher (given its writer) or as the session's run (without one).</summary>
    public SessionFeed Join(string sessionId, ChannelWriter<AgentUpdate>? watcher = null)
    {
        while (true)
        {
            var feed = _feeds.GetOrAdd(sessionId, static _ => new SessionFeed());
            if (feed.TryJoin(watcher))
            {
                return feed;
            }

            // Retired by its last member, who is removing it: take it out (only that feed, never a newer one), then make the next.
            _feeds.TryRemove(new KeyValuePair<string, SessionFeed>(sessionId, feed));
        }
    }

    /// <summary>Leaves a feed joined with <see cref="Join"/>; the last to leave removes it.</summary>
    public void Leave(string sessionId, SessionFeed feed, ChannelWriter<AgentUpdate>? watcher = null)
    {
        if (feed.Leave(watcher))
        {
            Retiring?.Invoke(sessionId);
            _feeds.TryRemove(new KeyValuePair<string, SessionFeed>(sessionId, feed));
        }
    }
}

/// <summary>The watchers of a session, which a local run tells of every update.</summary>
/// <remarks>
/// A run hands its updates to the feed a moment after the loop made them, so the store can hold an event whose update (and the
/// streamed text before it) the feed has not passed on yet: <see cref="WaitForPublishedAsync"/> lets a watcher that read the
/// store wait for the feed to catch up before it shows what it read.
/// </remarks>
internal sealed class SessionFeed
{
    private readonly Lock _gate = new();
    private readonly List<ChannelWriter<AgentUpdate>> _watchers = [];
    private int _members;
    private int _runs;
    private bool _retired;
    private long _published;
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Adds a member (a watcher, or the run when <paramref name="watcher"/> is null); false once the feed is retired.</summary>
    public bool TryJoin(ChannelWriter<AgentUpdate>? watcher)
    {
        lock (_gate)
        {
            if (_retired)
            {
                return false;
            }

            _members++;
            if (watcher is not null)
            {
                _watchers.Add(watcher);
            }
            else
            {
                _runs++;
            }

            return true;
        }
    }

    /// <summary>Removes a member; true when it was the last, and the feed is retired.</summary>
    public bool Leave(ChannelWriter<AgentUpdate>? watcher)
    {
        lock (_gate)
        {
            if (watcher is not null)
            {
                _watchers.Remove(watcher);
            }
            else
            {
                _runs--;
                Signal();
            }

            _retired = --_members == 0;
            return _retired;
        }
    }

    public void Publish(AgentUpdate update)
    {
        lock (_gate)
        {
            foreach (var watcher in _watchers)
            {
                watcher.TryWrite(update);
            }

            if (update is EventAppended { Recorded.Sequence: var sequence } && sequence > _published)
            {
                _published = sequence;
                Signal();
            }
        }
    }

    /// <summary>
    /// Waits until a run of this feed has handed on the update of every event up to <paramref name="sequence"/> (and so the text
    /// streamed before them), or no run of this feed is left to do it (the events came from elsewhere, or before the feed).
    /// </summary>
    public async Task WaitForPublishedAsync(long sequence, CancellationToken cancellationToken)
    {
        while (true)
        {
            Task changed;
            lock (_gate)
            {
                if (_runs == 0 || _published >= sequence)
                {
                    return;
                }

                changed = _changed.Task;
            }

            await changed.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    // Called holding the gate: wakes every waiter, which looks again.
    private void Signal()
    {
        _changed.TrySetResult();
        _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
