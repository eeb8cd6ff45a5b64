using System.Threading.Channels;
using Rein.Engine;
using Rein.Journal;
using Rein.Hosting.Sessions;

namespace Rein.Hosting.Tests;

public sealed class SessionFeedsTests
{
    [Fact]
    public void Leave_LastWatcherAndRun_RemovesTheFeed()
    {
        var feeds = new SessionFeeds();
        var watcher = Channel.CreateUnbounded<AgentUpdate>();
        var watched = feeds.Join("s1", watcher.Writer);
        var run = feeds.Join("s1");

        feeds.Leave("s1", watched, watcher.Writer);
        Assert.Equal(1, feeds.Count);
        feeds.Leave("s1", run);

        Assert.Equal(0, feeds.Count);
    }

    [Fact]
    public void Join_WatcherArrivesWhileTheLastOneRemovesTheFeed_GetsTheNextRunsUpdates()
    {
        var feeds = new SessionFeeds();
        var first = Channel.CreateUnbounded<AgentUpdate>();
        var late = Channel.CreateUnbounded<AgentUpdate>();
        var feed = feeds.Join("s1", first.Writer);
        var retired = false;
        // The late watcher joins between the feed's retirement and its removal from the map: the window a removal can lose it in.
        feeds.Retiring = id =>
        {
            retired = true;
            feeds.Retiring = null;
            feeds.Join(id, late.Writer);
        };

        feeds.Leave("s1", feed, first.Writer);
        var run = feeds.Join("s1");
        run.Publish(new TextDelta("hello"));

        Assert.True(retired);
        Assert.True(late.Reader.TryRead(out var update));
        Assert.Equal("hello", Assert.IsType<TextDelta>(update).Text);
        Assert.Equal(1, feeds.Count);
    }

    [Fact]
    public async Task WaitForPublishedAsync_RunHasNotHandedOnTheEventYet_WaitsUntilItDoes()
    {
        var feeds = new SessionFeeds();
        var run = feeds.Join("s1");
        var ct = TestContext.Current.CancellationToken;

        var waiting = run.WaitForPublishedAsync(3, ct);
        run.Publish(Appended(2));
        Assert.False(waiting.IsCompleted);
        run.Publish(new TextDelta("text"));
        Assert.False(waiting.IsCompleted);
        run.Publish(Appended(3));

        await waiting.WaitAsync(ct);
        await run.WaitForPublishedAsync(2, ct).WaitAsync(ct);
    }

    [Fact]
    public async Task WaitForPublishedAsync_NoRunOrTheRunLeaves_ReturnsWithoutTheEvent()
    {
        var feeds = new SessionFeeds();
        var watcher = Channel.CreateUnbounded<AgentUpdate>();
        var watched = feeds.Join("s1", watcher.Writer);
        var ct = TestContext.Current.CancellationToken;

        // Events from another process, or written before the feed: nobody here will hand them on.
        Assert.True(watched.WaitForPublishedAsync(5, ct).IsCompleted);

        var run = feeds.Join("s1");
        var waiting = watched.WaitForPublishedAsync(5, ct);
        Assert.False(waiting.IsCompleted);
        feeds.Leave("s1", run);
        await waiting.WaitAsync(ct);
    }

    private static EventAppended Appended(long sequence) =>
        new(new RecordedEvent(sequence, DateTimeOffset.UnixEpoch, new UserMessage("hi")));
}
