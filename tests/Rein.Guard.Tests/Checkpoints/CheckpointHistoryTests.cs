using Rein.Guard.Checkpoints;
using Rein.Journal;

namespace Rein.Guard.Tests.Checkpoints;

public sealed class CheckpointHistoryTests
{
    private static readonly SessionEvent[] Events =
    [
        new SessionStarted("s1", "/ws", "scripted:test"),
        new CheckpointTaken("aaaa1111", "before", "c1", 1),
        new CheckpointTaken("bbbb2222", "after", "c1", 1),
        new CheckpointTaken("bbbb2222", "before", "c2", 3),
        new CheckpointTaken("cccc3333", "after", "c2", 3),
        new WorkspaceRewound("aaaa1111", 1, "dddd4444", 2),
    ];

    [Fact]
    public void BeforeStep_StepWithoutChanges_UsesTheNextChangingStep()
    {
        var history = CheckpointHistory.From(Events);

        Assert.Equal("aaaa1111", history.BeforeStep(1)!.Commit);
        Assert.Equal("bbbb2222", history.BeforeStep(2)!.Commit);
        Assert.Null(history.BeforeStep(4));
    }

    [Fact]
    public void Ranges_SessionAndStep_FirstBeforeToLastAfter()
    {
        var history = CheckpointHistory.From(Events);

        Assert.Equal(("aaaa1111", "cccc3333"), history.SessionRange());
        Assert.Equal(("bbbb2222", "cccc3333"), history.StepRange(3));
        Assert.Null(history.StepRange(2));
        Assert.Null(CheckpointHistory.From([]).SessionRange());
    }

    [Fact]
    public void Find_PrefixOfCheckpointOrBackup_FullCommit()
    {
        var history = CheckpointHistory.From(Events);

        Assert.Equal("dddd4444", history.Find("dddd"));
        Assert.Equal("cccc3333", history.Find("CCCC"));
        Assert.Null(history.Find("eeee"));
        Assert.Null(history.Find("a"));
    }
}
