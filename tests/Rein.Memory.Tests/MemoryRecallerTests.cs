using Rein.Journal;

namespace Rein.Memory.Tests;

public sealed class MemoryRecallerTests : IDisposable
{
    private readonly StoreFixture _fixture = new();

    public void Dispose() => _fixture.Dispose();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private MemoryRecaller Recaller(MemoryRecallOptions? options = null) => new(_fixture.Store, StoreFixture.Alice, options);

    [Fact]
    public async Task RecallAsync_SessionStart_AllPreferencesThenTopKMatches()
    {
        var terse = await _fixture.AddAsync("Answer tersely", MemoryScope.User, MemoryKind.Preference);
        var british = await _fixture.AddAsync("Write British English", MemoryScope.Agent, MemoryKind.Preference);
        var make = await _fixture.AddAsync("The build uses make; run make test for the test suite");
        var flaky = await _fixture.AddAsync("The network test is flaky on CI", MemoryScope.User);
        await _fixture.AddAsync("The logo is blue");
        await _fixture.AddAsync("Answer in French", MemoryScope.User, MemoryKind.Preference, who: new MemoryVisibility("bob", null, "/x"));

        var recalled = await Recaller(new MemoryRecallOptions { TopK = 2 }).RecallAsync(States.Of(), "Fix the failing build test", Ct);

        Assert.NotNull(recalled);
        Assert.Equal(MemoryRecallReasons.SessionStart, recalled.Reason);
        Assert.Equal(new[] { british.Id, terse.Id }.Order(), recalled.Memories.Take(2).Select(m => m.Id).Order());
        Assert.All(recalled.Memories.Take(2), m => Assert.Equal("preference", m.Kind));
        Assert.Equal([make.Id, flaky.Id], recalled.Memories.Skip(2).Select(m => m.Id));
        Assert.Equal(new RecalledMemory(make.Id, "project", "fact", make.Text), recalled.Memories[2]);
    }

    [Fact]
    public async Task RecallAsync_NothingStored_ReturnsNull()
    {
        Assert.Null(await Recaller().RecallAsync(States.Of(), "Fix the failing build", Ct));
    }

    [Fact]
    public async Task RecallAsync_SameTask_ReturnsNull()
    {
        await _fixture.AddAsync("The build uses make");
        var state = States.Of(
            new MemoriesRecalled(MemoryRecallReasons.SessionStart, [new RecalledMemory("m_1", "project", "fact", "x")]),
            new UserMessage("Fix the failing build in the parser module"));

        Assert.Null(await Recaller().RecallAsync(state, "The parser build still fails, fix it", Ct));
        Assert.Null(await Recaller().RecallAsync(state, "yes", Ct));
    }

    [Fact]
    public async Task RecallAsync_TaskShift_ReturnsOnlyMemoriesNotRecalledBefore()
    {
        var build = await _fixture.AddAsync("The build uses make; deploy after the build");
        var deploy = await _fixture.AddAsync("Deploy with ./deploy.sh to the staging cluster");
        var state = States.Of(
            new MemoriesRecalled(MemoryRecallReasons.SessionStart, [new RecalledMemory(build.Id, "project", "fact", build.Text)]),
            new UserMessage("Fix the failing build in the parser module"));

        var recalled = await Recaller().RecallAsync(state, "Now deploy everything to staging cluster", Ct);

        Assert.NotNull(recalled);
        Assert.Equal(MemoryRecallReasons.TaskShift, recalled.Reason);
        Assert.Equal([deploy.Id], recalled.Memories.Select(m => m.Id));
    }

    [Fact]
    public async Task RecallAsync_LongMemories_CutAndBlockCapped()
    {
        await _fixture.AddAsync("widget " + new string('a', 500));
        await _fixture.AddAsync("widget " + new string('b', 500));
        await _fixture.AddAsync("widget " + new string('c', 500));

        var recalled = await Recaller(new MemoryRecallOptions { MaxMemoryLength = 100, MaxBlockLength = 250 }).RecallAsync(States.Of(), "widget", Ct);

        Assert.NotNull(recalled);
        Assert.Equal(2, recalled.Memories.Count);
        Assert.All(recalled.Memories, m => Assert.Equal(100, m.Text.Length));
        Assert.All(recalled.Memories, m => Assert.EndsWith("…", m.Text, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("fix the parser build", 1.0)]
    [InlineData("the parser tests are failing", 1.0)]
    [InlineData("the parser tests are slow today", 0.5)]
    [InlineData("deploy to staging", 0.0)]
    [InlineData("ok thanks", 1.0)]
    public void TermOverlap_Messages_ShareOfTermsSeenBefore(string message, double expected)
    {
        var earlier = new[] { "Fix the failing build in the parser module", "Also run the testing suite" };

        Assert.Equal(expected, MemoryRecaller.TermOverlap(message, earlier), 3);
    }
}
