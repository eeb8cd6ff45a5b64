using System.Diagnostics;
using System.Globalization;
using Rein.Testing;

namespace Rein.Tools.Tests;

public sealed class ShellToolTests
{
    private readonly ShellTool _tool = new();

    [Fact]
    public async Task InvokeAsync_Echo_ReturnsOutputAndExitCode()
    {
        using var root = new TempDirectory();

        var result = await _tool.InvokeAsync(root, new { command = "echo hello" });

        Assert.False(result.IsError);
        Assert.Equal("hello\n[exit code 0]", result.Content);
    }

    [Fact]
    public async Task InvokeAsync_VariablesNotOnAllowList_AreNotInherited()
    {
        using var root = new TempDirectory();
        var listing = new ShellTool(new ProcessCommandRunner(environment: new CommandEnvironment(["REIN_TEST_*"])));
        Environment.SetEnvironmentVariable("REIN_TEST_API_KEY", "sk-should-not-leak");
        Environment.SetEnvironmentVariable("REIN_TEST_PLAIN", "visible");
        Environment.SetEnvironmentVariable("REIN_UNLISTED_DATABASE_URL", "postgres://u:pw@db/x");
        try
        {
            const string Command = "echo \"key=$REIN_TEST_API_KEY plain=$REIN_TEST_PLAIN db=$REIN_UNLISTED_DATABASE_URL\"; env";
            var byDefault = await _tool.InvokeAsync(root, new { command = Command });
            var listed = await listing.InvokeAsync(root, new { command = Command });

            Assert.StartsWith("key= plain= db=\n", byDefault.Content, StringComparison.Ordinal);
            Assert.StartsWith("key= plain=visible db=\n", listed.Content, StringComparison.Ordinal);
            Assert.DoesNotContain("sk-should-not-leak", byDefault.Content + listed.Content, StringComparison.Ordinal);
            Assert.DoesNotContain("pw@db", byDefault.Content + listed.Content, StringComparison.Ordinal);
            Assert.Contains("PATH=", byDefault.Content, StringComparison.Ordinal);
        }
        finally
        {
            Environment.SetEnvironmentVariable("REIN_TEST_API_KEY", null);
            Environment.SetEnvironmentVariable("REIN_TEST_PLAIN", null);
            Environment.SetEnvironmentVariable("REIN_UNLISTED_DATABASE_URL", null);
        }
    }

    [Theory]
    [InlineData("OPENAI_API_KEY", true)]
    [InlineData("GITHUB_TOKEN", true)]
    [InlineData("AWS_SECRET_ACCESS_KEY", true)]
    [InlineData("PGPASSWORD", true)]
    [InlineData("GIT_AUTHOR_NAME", false)]
    [InlineData("PATH", false)]
    public void IsSecretName_KnownNames_Classified(string name, bool secret) =>
        Assert.Equal(secret, SecretEnvironment.IsSecretName(name));

    [Fact]
    public async Task InvokeAsync_NonZeroExit_ReportsCodeWithoutError()
    {
        using var root = new TempDirectory();

        var result = await _tool.InvokeAsync(root, new { command = "exit 3" });

        Assert.False(result.IsError);
        Assert.Equal("(no output)\n[exit code 3]", result.Content);
    }

    [Fact]
    public async Task InvokeAsync_StdoutAndStderr_AreInterleavedInOrder()
    {
        using var root = new TempDirectory();

        var result = await _tool.InvokeAsync(root, new { command = "echo out1; echo err1 >&2; echo out2; echo err2 >&2" });

        Assert.Equal("out1\nerr1\nout2\nerr2\n[exit code 0]", result.Content);
    }

    [Fact]
    public async Task InvokeAsync_RunsInWorkspaceRootByDefault()
    {
        using var root = new TempDirectory();

        var result = await _tool.InvokeAsync(root, new { command = "pwd -P" });

        Assert.Equal($"{root.Path}\n[exit code 0]", result.Content);
    }

    [Fact]
    public async Task InvokeAsync_Workdir_RunsThere()
    {
        using var root = new TempDirectory();
        Directory.CreateDirectory(root.Combine("sub"));

        var result = await _tool.InvokeAsync(root, new { command = "pwd -P", workdir = "sub" });

        Assert.Equal($"{root.Combine("sub")}\n[exit code 0]", result.Content);
    }

    [Theory]
    [InlineData("..")]
    [InlineData("/tmp")]
    public async Task InvokeAsync_WorkdirOutside_IsRefused(string workdir)
    {
        using var root = new TempDirectory();

        var result = await _tool.InvokeAsync(root, new { command = "pwd", workdir });

        Assert.True(result.IsError);
        Assert.Contains("outside the workspace", result.Content, StringComparison.Ordinal);
    }

    [Fact]
    public async Task InvokeAsync_WorkdirSymlinkedOutside_IsRefused()
    {
        using var root = new TempDirectory();
        using var outside = ToolHarness.Outside();
        Directory.CreateSymbolicLink(root.Combine("out"), outside.Path);

        var result = await _tool.InvokeAsync(root, new { command = "pwd", workdir = "out" });

        Assert.True(result.IsError);
    }

    [Fact]
    public async Task InvokeAsync_MissingWorkdir_ReturnsError()
    {
        using var root = new TempDirectory();

        var result = await _tool.InvokeAsync(root, new { command = "pwd", workdir = "nope" });

        Assert.True(result.IsError);
    }

    [Fact]
    public async Task InvokeAsync_ReadsStdin_GetsEndOfFileImmediately()
    {
        using var root = new TempDirectory();

        var result = await _tool.InvokeAsync(root, new { command = "cat; echo done", timeout_seconds = 60 });

        Assert.Equal("done\n[exit code 0]", result.Content);
    }

    [Fact]
    public async Task InvokeAsync_LargeOutput_KeepsHeadAndTailWithNote()
    {
        using var root = new TempDirectory();

        var result = await new ShellTool(maxOutputChars: 1000).InvokeAsync(root, new { command = "seq 1 100000" });

        Assert.True(result.Truncated);
        Assert.True(result.OriginalLength > 500_000);
        Assert.StartsWith("1\n2\n3\n", result.Content, StringComparison.Ordinal);
        Assert.Contains("characters of output omitted", result.Content, StringComparison.Ordinal);
        Assert.EndsWith("99999\n100000\n[exit code 0]", result.Content, StringComparison.Ordinal);
        Assert.True(result.Content.Length < 1200);
    }

    [Fact]
    public async Task InvokeAsync_Timeout_KillsWholeProcessGroupIncludingBackgroundJobs()
    {
        using var root = new TempDirectory();

        var result = await _tool.InvokeAsync(root, new { command = "echo $$ > leader.pid; sleep 100 & echo $! > child.pid; sleep 100", timeout_seconds = 1 });

        Assert.True(result.IsError);
        Assert.Contains("timed out after 1 s", result.Content, StringComparison.Ordinal);
        var leader = ReadPid(root.Combine("leader.pid"));
        var child = ReadPid(root.Combine("child.pid"));
        await ProcessProbe.WaitUntilGoneAsync(child);
        await ProcessProbe.WaitUntilGroupGoneAsync(leader);
    }

    [Fact]
    public async Task InvokeAsync_Timeout_KillsOrphanedGrandchildInGroup()
    {
        using var root = new TempDirectory();

        // The subshell exits at once, so the sleep is reparented away from the shell's process tree.
        var result = await _tool.InvokeAsync(root, new { command = "(sleep 100 > /dev/null 2>&1 & echo $! > orphan.pid); sleep 100", timeout_seconds = 1 });

        Assert.True(result.IsError);
        await ProcessProbe.WaitUntilGoneAsync(ReadPid(root.Combine("orphan.pid")));
    }

    [Fact]
    public async Task InvokeAsync_Cancelled_KillsProcessGroupAndThrows()
    {
        using var root = new TempDirectory();
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        var invocation = new ToolInvocation(
            "c1",
            System.Text.Json.JsonSerializer.SerializeToElement(new { command = "sleep 100 & echo $! > child.pid; echo $$ > leader.pid; sleep 100" }),
            ToolHarness.Context(root));

        var running = _tool.InvokeAsync(invocation, cts.Token).AsTask();
        var deadline = Stopwatch.StartNew();
        while (!File.Exists(root.Combine("leader.pid")) || new FileInfo(root.Combine("leader.pid")).Length == 0)
        {
            Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(30), "the command never started");
            await Task.Delay(50, TestContext.Current.CancellationToken);
        }

        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => running);
        await ProcessProbe.WaitUntilGoneAsync(ReadPid(root.Combine("child.pid")));
        await ProcessProbe.WaitUntilGroupGoneAsync(ReadPid(root.Combine("leader.pid")));
    }

    [Fact]
    public async Task InvokeAsync_BackgroundJobHoldsOutput_ReturnsWithoutWaitingForTimeout()
    {
        using var root = new TempDirectory();

        var result = await _tool.InvokeAsync(root, new { command = "sleep 60 & echo $! > bg.pid; echo started", timeout_seconds = 60 });

        var pid = ReadPid(root.Combine("bg.pid"));
        try
        {
            Assert.False(result.IsError);
            Assert.StartsWith("started\n", result.Content, StringComparison.Ordinal);
            Assert.Contains("background processes", result.Content, StringComparison.Ordinal);
            Assert.EndsWith("[exit code 0]", result.Content, StringComparison.Ordinal);
        }
        finally
        {
            ProcessProbe.Kill(pid);
        }
    }

    [Fact]
    public async Task InvokeAsync_ProgressSink_ReceivesOutput()
    {
        using var root = new TempDirectory();
        var seen = new List<string>();
        var progress = new SynchronousProgress(seen);
        var invocation = new ToolInvocation(
            "c1",
            System.Text.Json.JsonSerializer.SerializeToElement(new { command = "echo live" }),
            ToolHarness.Context(root) with { Progress = progress });

        await _tool.InvokeAsync(invocation, TestContext.Current.CancellationToken);

        Assert.Equal("live\n", string.Concat(seen));
    }

    [Fact]
    public async Task ProcessCommandRunner_CustomArgumentBuilder_WrapsCommand()
    {
        using var root = new TempDirectory();
        var runner = new ProcessCommandRunner(request => ["/bin/sh", "-c", "echo wrapped; " + request.Command]);

        var result = await new ShellTool(runner).InvokeAsync(root, new { command = "echo inner" });

        Assert.Equal("wrapped\ninner\n[exit code 0]", result.Content);
    }

    [Fact]
    public async Task ProcessCommandRunner_MissingProgram_ReportsFailure()
    {
        using var root = new TempDirectory();
        var runner = new ProcessCommandRunner(_ => ["/definitely/not/here"]);

        var result = await new ShellTool(runner).InvokeAsync(root, new { command = "x" });

        Assert.Contains("/definitely/not/here", result.Content, StringComparison.Ordinal);
        Assert.DoesNotContain("[exit code 0]", result.Content, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ProcessCommandRunner_Environment_OverridesAndRemoves()
    {
        using var root = new TempDirectory();
        var request = new CommandRequest("echo \"$REIN_A|${HOME:-unset}\"", root.Path, TimeSpan.FromSeconds(60))
        {
            Environment = new Dictionary<string, string?> { ["REIN_A"] = "a", ["HOME"] = null },
        };

        var result = await new ProcessCommandRunner().RunAsync(request, TestContext.Current.CancellationToken);

        Assert.Equal("a|unset\n", result.Output);
        Assert.Equal(0, result.ExitCode);
    }

    [Fact]
    public async Task InvokeAsync_CustomRunner_ReceivesResolvedRequest()
    {
        using var root = new TempDirectory();
        Directory.CreateDirectory(root.Combine("w"));
        CommandRequest? seen = null;
        var tool = new ShellTool(new FakeCommandRunner
        {
            OnRun = request =>
            {
                seen = request;
                return new CommandResult(0, "ok\n");
            },
        });

        var result = await tool.InvokeAsync(root, new { command = "make", workdir = "w", timeout_seconds = 7 });

        Assert.Equal("ok\n[exit code 0]", result.Content);
        Assert.Equal("make", seen!.Command);
        Assert.Equal(root.Combine("w"), seen.WorkingDirectory);
        Assert.Equal(TimeSpan.FromSeconds(7), seen.Timeout);
    }

    private static int ReadPid(string path) => int.Parse(File.ReadAllText(path).Trim(), CultureInfo.InvariantCulture);

    private sealed class SynchronousProgress(List<string> sink) : IProgress<string>
    {
        public void Report(string value)
        {
            lock (sink)
            {
                sink.Add(value);
            }
        }
    }

    private sealed class FakeCommandRunner : ICommandRunner
    {
        public Func<CommandRequest, CommandResult> OnRun { get; init; } = _ => new CommandResult(0, "");

        public ValueTask<CommandResult> RunAsync(CommandRequest request, CancellationToken cancellationToken = default) =>
            ValueTask.FromResult(OnRun(request));
    }
}

/// <summary>Looks processes up in /proc, treating zombies as gone.</summary>
internal static class ProcessProbe
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(15);

    public static async Task WaitUntilGoneAsync(int pid)
    {
        var clock = Stopwatch.StartNew();
        while (IsAlive(pid))
        {
            Assert.True(clock.Elapsed < Patience, $"process {pid} is still running");
            await Task.Delay(100, TestContext.Current.CancellationToken);
        }
    }

    public static async Task WaitUntilGroupGoneAsync(int pgid)
    {
        var clock = Stopwatch.StartNew();
        while (GroupMembers(pgid).Count > 0)
        {
            Assert.True(clock.Elapsed < Patience, $"process group {pgid} still has {string.Join(", ", GroupMembers(pgid))}");
            await Task.Delay(100, TestContext.Current.CancellationToken);
        }
    }

    public static void Kill(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            process.Kill();
        }
        catch (ArgumentException)
        {
        }
        catch (InvalidOperationException)
        {
        }
    }

    private static bool IsAlive(int pid) => Stat(Path.Combine("/proc", pid.ToString(CultureInfo.InvariantCulture), "stat")) is { } stat && stat.State != 'Z';

    private static List<int> GroupMembers(int pgid)
    {
        var members = new List<int>();
        foreach (var folder in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(folder), CultureInfo.InvariantCulture, out var pid)
                && Stat(Path.Combine(folder, "stat")) is { } stat && stat.State != 'Z' && stat.Group == pgid)
            {
                members.Add(pid);
            }
        }

        return members;
    }

    private static (char State, int Group)? Stat(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }

        // "pid (comm) state ppid pgrp ...": comm may hold spaces and parentheses, so split after the last ')'.
        var fields = text[(text.LastIndexOf(')') + 2)..].Split(' ');
        return (fields[0][0], int.Parse(fields[2], CultureInfo.InvariantCulture));
    }
}

public sealed class ShellToolSecretsTests
{
    private const string Secret = "p@ss w0rd-ÿ-123";

    private static readonly ShellTool Tool = new(secrets: new Secrets(new() { ["MY_SECRET"] = Secret, ["OTHER_TOKEN"] = "other-value" }));

    [Fact]
    public async Task InvokeAsync_RequestedSecret_IsInTheCommandsEnvironment()
    {
        using var root = new TempDirectory();

        var result = await Tool.InvokeJsonAsync(root, """{"command":"printf %s \"$MY_SECRET\" | wc -c","secrets":["MY_SECRET"]}""");

        Assert.False(result.IsError, result.Content);
        Assert.Equal(System.Text.Encoding.UTF8.GetByteCount(Secret).ToString(CultureInfo.InvariantCulture), result.Content.Split('\n')[0].Trim());
    }

    [Fact]
    public async Task InvokeAsync_SecretNotRequested_IsNotInTheEnvironment()
    {
        using var root = new TempDirectory();

        var result = await Tool.InvokeJsonAsync(root, """{"command":"printf '[%s][%s]' \"$MY_SECRET\" \"$OTHER_TOKEN\"","secrets":["OTHER_TOKEN"]}""");

        Assert.StartsWith("[][other-value]", result.Content, StringComparison.Ordinal);
    }

    [Fact]
    public async Task InvokeAsync_UnknownSecret_ErrorListsAvailableNamesAndRunsNothing()
    {
        using var root = new TempDirectory();

        var result = await Tool.InvokeJsonAsync(root, """{"command":"touch ran","secrets":["MY_SECRET","NOPE"]}""");

        Assert.True(result.IsError);
        Assert.Equal("Unknown secret 'NOPE'. Available secrets: MY_SECRET, OTHER_TOKEN.", result.Content);
        Assert.False(File.Exists(root.Combine("ran")));
    }

    [Fact]
    public async Task InvokeAsync_SecretsWithoutResolver_ErrorSaysNoneAreStored()
    {
        using var root = new TempDirectory();

        var result = await new ShellTool().InvokeJsonAsync(root, """{"command":"true","secrets":["MY_SECRET"]}""");

        Assert.True(result.IsError);
        Assert.Contains("No secrets are stored", result.Content, StringComparison.Ordinal);
    }

    [Fact]
    public void Definition_WithResolver_DescribesSecretsByNameOnly()
    {
        var definition = Tool.Definition;

        Assert.Contains("\"secrets\": [\"GITHUB_TOKEN\"]", definition.Description, StringComparison.Ordinal);
        Assert.Contains("$GITHUB_TOKEN", definition.Description, StringComparison.Ordinal);
        Assert.Contains("MY_SECRET, OTHER_TOKEN", definition.Description, StringComparison.Ordinal);
        Assert.DoesNotContain(Secret, definition.Description, StringComparison.Ordinal);
        Assert.True(definition.ParametersSchema.GetProperty("properties").TryGetProperty("secrets", out _));
        Assert.False(new ShellTool().Definition.ParametersSchema.GetProperty("properties").TryGetProperty("secrets", out _));
    }

    [Fact]
    public void CreateAll_WithResolver_GivesItToShell()
    {

        var shell = BuiltInTools.CreateAll(secrets: new Secrets([])).Single(t => t.Definition.Name == "shell");

        Assert.Contains("none are stored yet", shell.Definition.Description, StringComparison.Ordinal);
    }

    private sealed class Secrets(Dictionary<string, string> values) : ISecretResolver
    {
        public IReadOnlyCollection<string> SecretNames => [.. values.Keys.Order(StringComparer.Ordinal)];

        public bool TryGetSecret(string name, [System.Diagnostics.CodeAnalysis.MaybeNullWhen(false)] out string value) => values.TryGetValue(name, out value);
    }
}
