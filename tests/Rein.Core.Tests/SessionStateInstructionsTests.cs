using Rein.Journal;

namespace Rein.Core.Tests;

public sealed class SessionStateInstructionsTests
{
    [Fact]
    public void Fold_InstructionsLoaded_KeepsTheLatestPerPathInFirstLoadOrder()
    {
        var events = new SessionEvent[]
        {
            new SessionStarted("s1", "/ws", "scripted:a"),
            new InstructionsLoaded("pkg/AGENTS.md", "h1", "old"),
            new InstructionsLoaded("pkg/sub/AGENTS.md", "h2", "sub"),
            new InstructionsLoaded("pkg/AGENTS.md", "h3", "new"),
        };

        var state = SessionState.Fold(events.Select((e, i) => new RecordedEvent(i + 1, DateTimeOffset.UnixEpoch, e)));

        Assert.Equal(["pkg/AGENTS.md", "pkg/sub/AGENTS.md"], state.Instructions.Select(i => i.Path));
        Assert.Equal(["h3", "h2"], state.Instructions.Select(i => i.ContentHash));
        Assert.Equal("new", state.Instructions[0].Text);
        Assert.Empty(state.Messages);
    }
}
