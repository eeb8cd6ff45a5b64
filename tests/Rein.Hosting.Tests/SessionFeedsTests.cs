using System.Threading.Channels;
using Rein.Engine;
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
}
