using System.Text.Json;
using Rein.Tools;

namespace Rein.Memory.Tests;

public sealed class MemoryToolsTests : IDisposable
{
    private readonly StoreFixture _fixture = new();

    public void Dispose() => _fixture.Dispose();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private ITool Tool(string name, MemoryVisibility? who = null) =>
        MemoryTools.Create(_fixture.Store, who ?? StoreFixture.Alice).Single(t => t.Definition.Name == name);

    private static ToolInvocation Call(string json, int step = 4) =>
        new("call-1", JsonDocument.Parse(json).RootElement.Clone(), new ToolContext("session-9", "/work/app") { Step = step });

    [Fact]
    public void Create_Definitions_AreShortAndOnlyRecallIsASearch()
    {
        var tools = MemoryTools.Create(_fixture.Store, StoreFixture.Alice);

        Assert.Equal(["remember", "recall", "forget"], tools.Select(t => t.Definition.Name));
        Assert.All(tools, t => Assert.True(t.Definition.Description.Length <= 160, t.Definition.Name));
        Assert.All(tools, t => Assert.True(t.Definition.ReadOnly, t.Definition.Name));
        Assert.All(tools, t => Assert.True(t.Definition.ParametersSchema.GetRawText().Length <= 260, t.Definition.Name));
    }

    [Fact]
    public async Task Remember_Defaults_ProjectFactWithSessionAndStep()
    {
        var result = await Tool("remember").InvokeAsync(Call("""{"text":"The API lives in src/api"}"""), Ct);

        Assert.False(result.IsError, result.Content);
        var entry = Assert.Single(await _fixture.Store.ListAsync(cancellationToken: Ct));
        Assert.Equal((MemoryScope.Project, "/work/app", MemoryKind.Fact), (entry.Scope, entry.ScopeKey, entry.Kind));
        Assert.Equal(new MemoryProvenance("tool", "session-9", 4), entry.Provenance);
        Assert.Contains($"[{entry.Id}] (project) The API lives in src/api", result.Content, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Remember_UserPreferenceTwice_UpdatesTheFirst()
    {
        var first = await Tool("remember").InvokeAsync(Call("""{"text":"Answer tersely","scope":"user","kind":"preference"}"""), Ct);
        var second = await Tool("remember").InvokeAsync(Call("""{"text":"answer tersely.","scope":"user","kind":"preference"}"""), Ct);

        var entry = Assert.Single(await _fixture.Store.ListAsync(cancellationToken: Ct));
        Assert.Equal((MemoryScope.User, "alice", MemoryKind.Preference), (entry.Scope, entry.ScopeKey, entry.Kind));
        Assert.StartsWith("Remembered", first.Content, StringComparison.Ordinal);
        Assert.StartsWith("Already remembered", second.Content, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Remember_AgentScopeWithoutProfile_IsAnError()
    {
        var result = await Tool("remember", StoreFixture.Alice with { Agent = null }).InvokeAsync(Call("""{"text":"x y","scope":"agent"}"""), Ct);

        Assert.True(result.IsError);
        Assert.Contains("no agent scope", result.Content, StringComparison.Ordinal);
        Assert.Empty(await _fixture.Store.ListAsync(cancellationToken: Ct));
    }

    [Theory]
    [InlineData("""{"text":"x","scope":"team"}""", "Unknown scope")]
    [InlineData("""{"text":"x","kind":"rule"}""", "Unknown kind")]
    [InlineData("""{"text":"   "}""", "must not be empty")]
    [InlineData("""{"text":7}""", "must be a string")]
    public async Task Remember_BadArguments_AreErrorsTheModelCanRead(string arguments, string message)
    {
        var result = await Tool("remember").InvokeAsync(Call(arguments), Ct);

        Assert.True(result.IsError);
        Assert.Contains(message, result.Content, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Recall_Query_ListsVisibleMatchesBestFirst()
    {
        var best = await _fixture.AddAsync("Release: tag the release, then run the release workflow");
        var other = await _fixture.AddAsync("Release notes are in CHANGES.md", MemoryScope.User);
        await _fixture.AddAsync("Release secrets are in the vault", who: new MemoryVisibility("bob", null, "/elsewhere"));

        var result = await Tool("recall").InvokeAsync(Call("""{"query":"how to release?","limit":5}"""), Ct);

        Assert.False(result.IsError, result.Content);
        var lines = result.Content.Split('\n');
        Assert.Equal("2 memories, best first:", lines[0]);
        Assert.StartsWith($"[{best.Id}] (project)", lines[1], StringComparison.Ordinal);
        Assert.StartsWith($"[{other.Id}] (user)", lines[2], StringComparison.Ordinal);
        Assert.DoesNotContain("vault", result.Content, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Recall_NoMatch_SaysSo()
    {
        await _fixture.AddAsync("something else entirely");

        var result = await Tool("recall").InvokeAsync(Call("""{"query":"kubernetes"}"""), Ct);

        Assert.False(result.IsError);
        Assert.Equal("No memories match.", result.Content);
    }

    [Fact]
    public async Task Forget_VisibleMemory_RemovesIt()
    {
        var entry = await _fixture.AddAsync("stale fact");

        var result = await Tool("forget").InvokeAsync(Call($$"""{"id":"[{{entry.Id}}]"}"""), Ct);

        Assert.False(result.IsError, result.Content);
        Assert.Null(await _fixture.Store.GetAsync(entry.Id, Ct));
    }

    [Fact]
    public async Task Forget_OtherProjectsMemoryOrUnknownId_IsRefusedAndKept()
    {
        var theirs = await _fixture.AddAsync("their fact", who: new MemoryVisibility("alice", "coder", "/work/other"));

        var refused = await Tool("forget").InvokeAsync(Call($$"""{"id":"{{theirs.Id}}"}"""), Ct);
        var unknown = await Tool("forget").InvokeAsync(Call("""{"id":"m_nothere000"}"""), Ct);

        Assert.True(refused.IsError);
        Assert.True(unknown.IsError);
        Assert.Equal($"No memory {theirs.Id}. Use recall to find memory ids.", refused.Content);
        Assert.NotNull(await _fixture.Store.GetAsync(theirs.Id, Ct));
    }
}
