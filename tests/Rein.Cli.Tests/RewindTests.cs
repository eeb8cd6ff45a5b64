using System.Security.Cryptography;
using System.Text;

namespace Rein.Cli.Tests;

[Trait("Category", "e2e")]
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class RewindTests : IDisposable
{
    private readonly ReinProcess _rein = new();
    private readonly string _store;

    public RewindTests() => _store = Path.Combine(_rein.Home, "store", "rein.db");

    public void Dispose() => _rein.Dispose();

    private string Ws(string relative) => Path.Combine(_rein.Workspace, relative);

    private void SetUpWorkspace()
    {
        File.WriteAllText(Ws("a.txt"), "alpha\n");
        File.WriteAllText(Ws("keep.sh"), "#!/bin/sh\necho keep\n");
        File.SetUnixFileMode(Ws("keep.sh"), File.GetUnixFileMode(Ws("keep.sh")) | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute);
        File.WriteAllBytes(Ws("data.bin"), [0, 1, 2, 13, 10, 255, 0, 7]);
        File.WriteAllText(Ws(".gitignore"), "ignored/\n");
        Directory.CreateDirectory(Ws("ignored"));
        File.WriteAllText(Ws("ignored/cache.txt"), "cache\n");
        Directory.CreateDirectory(Ws(".rein"));
        File.WriteAllText(Ws(".rein/settings.json"), """{"permissions": {"allow": ["shell", "write_file", "edit_file"]}}""");
    }

    private async Task<string> RunScriptedSessionAsync()
    {
        var script = _rein.WriteFile("turns.json", """
            {"turns":[
              {"tool_calls":[{"name":"write_file","arguments":{"path":"w.txt","content":"written\n"}}]},
              {"tool_calls":[{"name":"shell","arguments":{"command":"rm a.txt; echo new > b.txt; mkdir -p d/e && printf 'x' > d/e/f; chmod -x keep.sh; printf 'ZZ' >> data.bin; echo more >> ignored/cache.txt"}}]},
              {"text":"done"}
            ]}
            """);
        var run = await _rein.RunAsync("run", "--json", "--store", _store, "--model", $"scripted:{script}", "change some files");
        Assert.True(run.ExitCode == 0, run.ToString());
        return run.JsonLines()[^1].GetProperty("session_id").GetString()!;
    }

    /// <summary>Every entry under the workspace: kind, SHA-256 of the content, executable bit.</summary>
    private SortedDictionary<string, string> Capture()
    {
        var entries = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var path in Directory.EnumerateFileSystemEntries(_rein.Workspace, "*", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(_rein.Workspace, path);
            entries[relative] = Directory.Exists(path) ? "dir" : Entry(File.ReadAllBytes(path), (File.GetUnixFileMode(path) & UnixFileMode.UserExecute) != 0);
        }

        return entries;
    }

    private static string Entry(byte[] content, bool executable) =>
        $"{(executable ? "x" : "-")} {Convert.ToHexString(SHA256.HashData(content))}";

    [Fact]
    public async Task DiffAndRewind_ScriptedSessionWithWriteFileAndShell_ShowsChangesAndRestoresByteForByte()
    {
        SetUpWorkspace();
        var original = Capture();
        var sessionId = await RunScriptedSessionAsync();
        Assert.False(File.Exists(Ws("a.txt")));
        Assert.Equal("x", File.ReadAllText(Ws("d/e/f")));

        var diff = await _rein.RunAsync("diff", sessionId, "--store", _store);
        Assert.True(diff.ExitCode == 0, diff.ToString());
        foreach (var line in new[] { " D a.txt", " A b.txt", " A d/e/f", " A w.txt", " M keep.sh", " M data.bin", "+new", "-alpha", "old mode 100755", "Binary files a/data.bin and b/data.bin differ" })
        {
            Assert.Contains(line, diff.Stdout, StringComparison.Ordinal);
        }

        Assert.DoesNotContain("ignored/", diff.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("rein.db", diff.Stdout, StringComparison.Ordinal);

        var stepDiff = await _rein.RunAsync("diff", sessionId, "--step", "1", "--json", "--store", _store);
        Assert.True(stepDiff.ExitCode == 0, stepDiff.ToString());
        var stepFiles = Assert.Single(stepDiff.JsonLines()).GetProperty("files");
        Assert.Equal("w.txt", Assert.Single(stepFiles.EnumerateArray()).GetProperty("path").GetString());

        var ignoredAfterRun = File.ReadAllText(Ws("ignored/cache.txt"));
        var toStep2 = await _rein.RunAsync("rewind", sessionId, "--to", "2", "--store", _store);
        Assert.True(toStep2.ExitCode == 0, toStep2.ToString());
        var expectedBeforeStep2 = new SortedDictionary<string, string>(original, StringComparer.Ordinal)
        {
            ["w.txt"] = Entry(Encoding.UTF8.GetBytes("written\n"), executable: false),
            ["ignored/cache.txt"] = Entry(Encoding.UTF8.GetBytes(ignoredAfterRun), executable: false),
        };
        Assert.Equal(expectedBeforeStep2, Capture());

        var full = await _rein.RunAsync("rewind", sessionId, "--json", "--store", _store);
        Assert.True(full.ExitCode == 0, full.ToString());
        var expectedOriginal = new SortedDictionary<string, string>(original, StringComparer.Ordinal)
        {
            ["ignored/cache.txt"] = Entry(Encoding.UTF8.GetBytes(ignoredAfterRun), executable: false),
        };
        Assert.Equal(expectedOriginal, Capture());
        Assert.Equal("cache\nmore\n", ignoredAfterRun);
        var rewound = Assert.Single(full.JsonLines());
        Assert.Equal(1, rewound.GetProperty("step").GetInt32());
        Assert.Equal(1, rewound.GetProperty("files_changed").GetInt32());
        var backup = rewound.GetProperty("backup").GetString()!;

        var undo = await _rein.RunAsync("rewind", sessionId, "--checkpoint", backup[..10], "--store", _store);
        Assert.True(undo.ExitCode == 0, undo.ToString());
        Assert.Equal(expectedBeforeStep2, Capture());

        var show = await _rein.RunAsync("sessions", "show", sessionId, "--json", "--store", _store);
        var types = show.JsonLines().Select(l => l.GetProperty("type").GetString()).ToList();
        Assert.Equal(3, types.Count(t => t == "workspace_rewound"));
        Assert.Equal(4, types.Count(t => t == "checkpoint_taken"));
    }

    [Fact]
    public async Task Rewind_UnknownSessionOrStepOutOfRange_ClearErrors()
    {
        SetUpWorkspace();
        var sessionId = await RunScriptedSessionAsync();

        var unknown = await _rein.RunAsync("rewind", "nosuchsession", "--store", _store);
        var outOfRange = await _rein.RunAsync("rewind", sessionId, "--to", "9", "--store", _store);
        var diffOutOfRange = await _rein.RunAsync("diff", sessionId, "--step", "0", "--store", _store);

        Assert.Equal(5, unknown.ExitCode);
        Assert.Equal(2, outOfRange.ExitCode);
        Assert.Contains("--to 9 is out of range", outOfRange.Stderr, StringComparison.Ordinal);
        Assert.Equal(2, diffOutOfRange.ExitCode);
        Assert.True(File.Exists(Ws("b.txt")), "a refused rewind changes nothing");
    }

    [Fact]
    public async Task Rewind_SessionWithoutChanges_SaysThereAreNoCheckpoints()
    {
        var script = _rein.WriteFile("turns.json", """{"turns":[{"tool_calls":[{"name":"read_file","arguments":{"path":"a.txt"}}]},{"text":"done"}]}""");
        File.WriteAllText(Ws("a.txt"), "alpha\n");
        var run = await _rein.RunAsync("run", "--json", "--store", _store, "--model", $"scripted:{script}", "read a.txt");
        var sessionId = run.JsonLines()[^1].GetProperty("session_id").GetString()!;

        var rewind = await _rein.RunAsync("rewind", sessionId, "--store", _store);

        Assert.Equal(1, rewind.ExitCode);
        Assert.Contains("has no checkpoints", rewind.Stderr, StringComparison.Ordinal);
    }
}
