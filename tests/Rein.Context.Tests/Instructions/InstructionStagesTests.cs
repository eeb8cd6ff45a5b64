using Rein.Context.Instructions;
using Rein.Engine;
using Rein.Journal;
using Rein.Models;
using Rein.Testing;
using Rein.Tools;

namespace Rein.Context.Tests.Instructions;

public sealed class InstructionStagesTests : IDisposable
{
    private const string Secret = "tok_9fK2mQ7xLp4vR8sW1zYb";

    private readonly TempDirectory _workspace = new("rein-ws");
    private readonly TempDirectory _outside = new("rein-outside");
    private readonly InMemorySessionStore _store = new();
    private readonly CancellationToken _ct = TestContext.Current.CancellationToken;

    public void Dispose()
    {
        _workspace.Dispose();
        _outside.Dispose();
    }

    private async Task<(List<SessionEvent> Events, SessionState State)> RunAsync(string script, NestedInstructionsOptions? options = null, int maxObservationChars = 30_000, IOutputRedactor? redactor = null)
    {
        var loop = new AgentLoop(
            new ScriptedChatClient(ScriptedTurn.ParseScript(script)),
            new ToolSet([new ReadFileTool(), new WriteFileTool(), new ListFilesTool()]),
            new AppendOnlyContextBuilder("You are a test agent."),
            new AgentLoopOptions { MaxObservationChars = maxObservationChars },
            configurePipeline: pipeline => pipeline
                .Use(next => (call, ct) => next(redactor is null ? call : call.WithContext(call.Context with { Redactor = redactor }), ct))
                .UseNestedInstructions(options));
        using var session = await SessionWriter.StartAsync(_store, new SessionStarted("s1", _workspace.Path, "scripted:test"), _ct);
        await foreach (var _ in loop.RunAsync(session, "go", _ct))
        {
        }

        return ([.. (await _store.ReadAsync("s1", 0, _ct)).Select(e => e.Event)], session.State);
    }

    private static string Read(string path) => $$$"""{"tool_calls":[{"name":"read_file","arguments":{"path":"{{{path}}}"}}]}""";

    private static string Script(params string[] turns) => $$"""{"turns":[{{string.Join(",", turns)}},{"text":"done"}]}""";

    [Fact]
    public async Task UseNestedInstructions_ReadNestedFile_AddsEachFolderOnTheWayOnceNearestLast()
    {
        _workspace.Write("AGENTS.md", "root rules");
        _workspace.Write("pkg/AGENTS.md", "pkg rules");
        _workspace.Write("pkg/sub/AGENTS.md", "sub rules");
        _workspace.Write("pkg/sub/file.txt", "hello");
        _workspace.Write("other/AGENTS.md", "other rules");

        var (events, state) = await RunAsync(Script(Read("pkg/sub/file.txt"), Read("pkg/sub/file.txt")));

        var results = events.OfType<ToolCompleted>().ToList();
        Assert.Equal(2, results.Count);
        var first = results[0].Result;
        Assert.Contains("hello", first, StringComparison.Ordinal);
        var pkg = first.IndexOf("\n\n<instructions source=\"pkg/AGENTS.md\">\npkg rules\n</instructions>", StringComparison.Ordinal);
        var sub = first.IndexOf("\n\n<instructions source=\"pkg/sub/AGENTS.md\">\nsub rules\n</instructions>", StringComparison.Ordinal);
        Assert.True(pkg > 0 && sub > pkg, first);
        Assert.DoesNotContain("root rules", first, StringComparison.Ordinal);
        Assert.DoesNotContain("other rules", first, StringComparison.Ordinal);
        Assert.DoesNotContain("<instructions", results[1].Result, StringComparison.Ordinal);

        var loaded = events.OfType<InstructionsLoaded>().ToList();
        Assert.Equal(["pkg/AGENTS.md", "pkg/sub/AGENTS.md"], loaded.Select(l => l.Path));
        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData("pkg rules"u8)), loaded[0].ContentHash);
        Assert.All(loaded, l => Assert.Equal(events.OfType<ToolStarted>().First().CallId, l.CallId));
        // Journaled with the result, before it.
        Assert.True(events.IndexOf(loaded[1]) < events.IndexOf(results[0]));
        Assert.Equal(["pkg/AGENTS.md", "pkg/sub/AGENTS.md"], state.Instructions.Select(i => i.Path));
    }

    [Fact]
    public async Task UseNestedInstructions_FileChangedAfterLoad_IsLoadedAgain()
    {
        _workspace.Write("pkg/AGENTS.md", "v1");
        _workspace.Write("pkg/a.txt", "a");

        var (events, state) = await RunAsync(Script(
            Read("pkg/a.txt"),
            """{"tool_calls":[{"name":"write_file","arguments":{"path":"pkg/AGENTS.md","content":"v2"}}]}""",
            Read("pkg/a.txt")));

        var results = events.OfType<ToolCompleted>().Select(r => r.Result).ToList();
        Assert.Contains(">\nv1\n</instructions>", results[0], StringComparison.Ordinal);
        // Writing the file touches its folder: the new text is loaded with the write's result, and not again on the next read.
        Assert.Contains(">\nv2\n</instructions>", results[1], StringComparison.Ordinal);
        Assert.DoesNotContain("<instructions", results[2], StringComparison.Ordinal);
        Assert.Equal(["v1", "v2"], events.OfType<InstructionsLoaded>().Select(l => l.Text));
        Assert.Equal("v2", Assert.Single(state.Instructions).Text);
    }

    [Fact]
    public async Task UseNestedInstructions_FailedCall_LoadsNothing()
    {
        _workspace.Write("pkg/AGENTS.md", "pkg rules");

        var (events, _) = await RunAsync(Script(Read("pkg/missing.txt")));

        Assert.Equal(ToolOutcome.Error, Assert.Single(events.OfType<ToolCompleted>()).Outcome);
        Assert.DoesNotContain(events, e => e is InstructionsLoaded);
    }

    [Fact]
    public async Task UseNestedInstructions_ListFilesOfAFolder_LoadsThatFoldersFile()
    {
        _workspace.Write("pkg/AGENTS.md", "pkg rules");
        _workspace.Write("pkg/a.txt", "a");

        var (events, _) = await RunAsync(Script("""{"tool_calls":[{"name":"list_files","arguments":{"path":"pkg"}}]}"""));

        Assert.Equal("pkg/AGENTS.md", Assert.Single(events.OfType<InstructionsLoaded>()).Path);
    }

    [Fact]
    public async Task UseNestedInstructions_ParallelCallsInOneStep_LoadTheFileOnce()
    {
        _workspace.Write("pkg/AGENTS.md", "pkg rules");
        _workspace.Write("pkg/a.txt", "a");
        _workspace.Write("pkg/b.txt", "b");

        var (events, _) = await RunAsync(Script(
            """{"tool_calls":[{"name":"read_file","arguments":{"path":"pkg/a.txt"}},{"name":"read_file","arguments":{"path":"pkg/b.txt"}}]}"""));

        Assert.Single(events.OfType<InstructionsLoaded>());
        Assert.Single(events.OfType<ToolCompleted>(), r => r.Result.Contains("<instructions", StringComparison.Ordinal));
    }

    [Fact]
    public async Task UseNestedInstructions_SymlinkOutOfTheWorkspace_IsIgnored()
    {
        var secret = _outside.Write("secret.md", "outside text");
        _workspace.Write("pkg/a.txt", "a");
        File.CreateSymbolicLink(_workspace.Combine("pkg", "AGENTS.md"), secret);
        _workspace.Write("pkg/sub/AGENTS.md", "sub rules");
        _workspace.Write("pkg/sub/b.txt", "b");

        var (events, _) = await RunAsync(Script(Read("pkg/sub/b.txt")));

        var result = Assert.Single(events.OfType<ToolCompleted>()).Result;
        Assert.DoesNotContain("outside text", result, StringComparison.Ordinal);
        Assert.Equal("pkg/sub/AGENTS.md", Assert.Single(events.OfType<InstructionsLoaded>()).Path);
    }

    [Fact]
    public async Task UseNestedInstructions_LongFile_IsCappedWithANote()
    {
        _workspace.Write("pkg/AGENTS.md", new string('x', 500));
        _workspace.Write("pkg/a.txt", "a");

        var (events, _) = await RunAsync(Script(Read("pkg/a.txt")), new NestedInstructionsOptions { MaxChars = 300 });

        var loaded = Assert.Single(events.OfType<InstructionsLoaded>());
        Assert.StartsWith(new string('x', 300) + "\n[AGENTS.md truncated: showing 300 of 500 characters", loaded.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UseNestedInstructions_LongToolOutput_IsShortenedSoTheInstructionsSurviveTheCap()
    {
        _workspace.Write("pkg/AGENTS.md", "keep these rules intact");
        _workspace.Write("pkg/big.txt", string.Join('\n', Enumerable.Range(0, 400).Select(i => $"line {i}")));

        var (events, _) = await RunAsync(Script(Read("pkg/big.txt")), new NestedInstructionsOptions { MaxObservationChars = 1_000 }, maxObservationChars: 1_000);

        var completed = Assert.Single(events.OfType<ToolCompleted>());
        Assert.EndsWith("<instructions source=\"pkg/AGENTS.md\">\nkeep these rules intact\n</instructions>", completed.Result, StringComparison.Ordinal);
        Assert.True(completed.Result.Length <= 1_000, completed.Result.Length.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.True(completed.Truncated);
        Assert.Contains("omitted to make room for the instructions", completed.Result, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UseNestedInstructions_CapSplitsSecret_CutsBeforeIt()
    {
        var redactor = new SingleValueRedactor(Secret);
        _workspace.Write("pkg/AGENTS.md", new string('x', 290) + Secret + new string('y', 200));
        _workspace.Write("pkg/a.txt", "a");

        var (events, _) = await RunAsync(Script(Read("pkg/a.txt")), new NestedInstructionsOptions { MaxChars = 300 }, redactor: redactor);

        var loaded = Assert.Single(events.OfType<InstructionsLoaded>());
        Assert.StartsWith(new string('x', 290) + "\n[AGENTS.md truncated: showing 290 of", loaded.Text, StringComparison.Ordinal);
        Assert.DoesNotContain(Secret[..6], Assert.Single(events.OfType<ToolCompleted>()).Result, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UseNestedInstructions_RoomCutSplitsSecret_CutsBeforeIt()
    {
        var redactor = new SingleValueRedactor(Secret);
        _workspace.Write("pkg/AGENTS.md", "keep these rules intact");
        // Where the stage cuts the output (its marker and 12 characters of slack) to fit the instructions in 1,000 characters.
        const string Blocks = "\n\n<instructions source=\"pkg/AGENTS.md\">\nkeep these rules intact\n</instructions>";
        const string Marker = "\n[... {0} characters omitted to make room for the instructions below ...]";
        var keep = 1_000 - Blocks.Length - Marker.Length - 12;
        // read_file's output starts "     1\t": the cut falls 8 characters into the secret.
        var before = keep - 7 - 8;
        _workspace.Write("pkg/big.txt", new string('a', before) + Secret + new string('b', 1_000));

        var (events, _) = await RunAsync(Script(Read("pkg/big.txt")), new NestedInstructionsOptions { MaxObservationChars = 1_000 }, maxObservationChars: 1_000, redactor: redactor);

        var result = redactor.Redact(Assert.Single(events.OfType<ToolCompleted>()).Result);
        Assert.StartsWith($"     1\t{new string('a', before)}\n[... ", result, StringComparison.Ordinal);
        Assert.DoesNotContain(Secret[..6], result, StringComparison.Ordinal);
        Assert.EndsWith(Blocks, result, StringComparison.Ordinal);
    }
}
