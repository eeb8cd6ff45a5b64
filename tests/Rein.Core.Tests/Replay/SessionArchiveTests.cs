using System.Text;
using System.Text.Json;
using Rein.Journal;
using Rein.Replay;
using Rein.Testing;

namespace Rein.Core.Tests.Replay;

public sealed class SessionArchiveTests
{
    private static readonly DateTimeOffset T0 = new(2026, 3, 1, 12, 0, 0, 123, TimeSpan.Zero);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static List<RecordedEvent> Events(string id = "s1") =>
    [
        new(1, T0.AddTicks(1234567), new SessionStarted(id, "/home/u/ws", "scripted:t.json", "coder")),
        new(2, T0.AddSeconds(1), new UserMessage("write a file, é ⏎ \"quoted\"")),
        new(3, T0.AddSeconds(2), new ModelCalled(1, "m", null, [new ModelToolCall("c1", "write_file", JsonDocument.Parse("""{"path":"a.txt","content":"x"}""").RootElement.Clone())], "tool_calls", new TokenUsage(10, 2), 5)),
        new(4, T0.AddSeconds(3), new ToolCompleted("c1", "write_file", ToolOutcome.Success, "wrote a.txt", 3)),
        new(5, T0.AddSeconds(4), new SessionEnded(StopReason.Completed)),
    ];

    private static SessionArchive Archive(string id = "s1") => new(
        id,
        T0.AddMinutes(5),
        new StartingWorkspace(
            StartingWorkspace.FromCheckpoint,
            "0f54956dca41941253b05a244fd5ee6b60ac04cb",
            [
                new WorkspaceFile("input.txt", WorkspaceFile.RegularMode, Encoding.UTF8.GetBytes("hello\n")),
                new WorkspaceFile("bin/run.sh", WorkspaceFile.ExecutableMode, Encoding.UTF8.GetBytes("#!/bin/sh\necho hi\n")),
                new WorkspaceFile("data.bin", WorkspaceFile.RegularMode, [0, 1, 2, 13, 10, 255]),
                new WorkspaceFile("link", WorkspaceFile.SymbolicLinkMode, Encoding.UTF8.GetBytes("input.txt")),
            ],
            ["big.iso"]),
        Events(id));

    [Fact]
    public void Parse_WrittenArchive_RoundTripsEventsTimestampsAndFiles()
    {
        var json = Archive().ToJson();

        var read = SessionArchive.Parse(json, "test");

        Assert.Equal("s1", read.SessionId);
        Assert.Equal(T0.AddMinutes(5), read.ExportedAt);
        Assert.Equal(Events().Select(e => (e.Sequence, e.Timestamp, JournalJson.Serialize(e.Event))), read.Events.Select(e => (e.Sequence, e.Timestamp, JournalJson.Serialize(e.Event))));
        Assert.Equal(StartingWorkspace.FromCheckpoint, read.Workspace.Snapshot);
        Assert.Equal(["big.iso"], read.Workspace.SkippedFiles);
        Assert.Equal(
            Archive().Workspace.Files.Select(f => (f.Path, f.Mode, Convert.ToBase64String(f.Content))),
            read.Workspace.Files.Select(f => (f.Path, f.Mode, Convert.ToBase64String(f.Content))));
    }

    [Theory]
    [InlineData("not json at all", "not valid JSON")]
    [InlineData("""{"format":"something-else","version":1}""", "not a Rein session file")]
    [InlineData("""{"format":"rein-session","version":99}""", "version 99 is not supported")]
    [InlineData("""{"format":"rein-session","version":1,"session_id":"s1","workspace":{"snapshot":"none","files":[]},"events":[{"seq":1,"at":"2026-03-01T12:00:00Z","event":{"type":"no_such_event"}}]}""", "event 1")]
    [InlineData("""{"format":"rein-session","version":1,"session_id":"s1","workspace":{"snapshot":"none","files":[{"path":"../evil","mode":"file","content_base64":""}]},"events":[]}""", "../evil")]
    [InlineData("""{"format":"rein-session","version":1,"session_id":"s1","workspace":{"snapshot":"none","files":[]},"events":[]}""", "at least its SessionStarted")]
    public void Parse_DamagedOrUnsupportedFile_RefusesWithClearMessage(string json, string expected)
    {
        var ex = Assert.Throws<FormatException>(() => SessionArchive.Parse(json, "bad.rein.json"));

        Assert.Contains("bad.rein.json", ex.Message, StringComparison.Ordinal);
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_JournalWithAGap_Refuses()
    {
        var events = Events();
        events[3] = events[3] with { Sequence = 7 };
        var json = (Archive() with { Events = events }).ToJson();

        var ex = Assert.Throws<FormatException>(() => SessionArchive.Parse(json, "gap.rein.json"));

        Assert.Contains("sequence number 7", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public void Materialize_Files_WritesBytesExecutableBitsAndLinks()
    {
        using var directory = new TempDirectory("materialize");

        Archive().Workspace.Materialize(directory.Path);

        Assert.Equal("hello\n", File.ReadAllText(Path.Combine(directory.Path, "input.txt")));
        Assert.Equal([0, 1, 2, 13, 10, 255], File.ReadAllBytes(Path.Combine(directory.Path, "data.bin")));
        Assert.True((File.GetUnixFileMode(Path.Combine(directory.Path, "bin/run.sh")) & UnixFileMode.UserExecute) != 0);
        Assert.True((File.GetUnixFileMode(Path.Combine(directory.Path, "input.txt")) & UnixFileMode.UserExecute) == 0);
        Assert.Equal("input.txt", new FileInfo(Path.Combine(directory.Path, "link")).LinkTarget);
    }

    [Fact]
    public async Task ImportAsync_InMemoryStore_KeepsSequenceNumbersTimestampsAndSummary()
    {
        var store = new InMemorySessionStore();
        var archive = SessionArchive.Parse(Archive().ToJson());

        await store.ImportAsync(archive.SessionId, archive.Events, Ct);

        var read = await store.ReadAsync("s1", 0, Ct);
        Assert.Equal(Events().Select(e => (e.Sequence, e.Timestamp)), read.Select(e => (e.Sequence, e.Timestamp)));
        var summary = await store.GetAsync("s1", Ct);
        Assert.Equal((SessionStatus.Completed, 5L, T0.AddTicks(1234567), T0.AddSeconds(4)), (summary!.Status, summary.Version, summary.StartedAt, summary.UpdatedAt));
    }

    [Fact]
    public async Task ImportAsync_InMemoryStoreWithThatSession_RefusesAndKeepsTheOriginal()
    {
        var store = new InMemorySessionStore();
        await store.AppendAsync("s1", 0, [new SessionStarted("s1", "/elsewhere", "scripted:x.json")], cancellationToken: Ct);

        await Assert.ThrowsAsync<SessionAlreadyExistsException>(async () => await store.ImportAsync("s1", Events(), Ct));

        Assert.Equal("/elsewhere", ((SessionStarted)Assert.Single(await store.ReadAsync("s1", 0, Ct)).Event).Workspace);
    }
}
