using Rein.Evals.Running;
using Rein.Evals.Suites;
using Rein.Testing;
using Rein.Tools;

namespace Rein.Evals.Tests;

internal sealed class FakeEvalAgent : IEvalAgent
{
    public Func<EvalAgentRequest, CancellationToken, Task<EvalAgentResult>> OnRun { get; set; } =
        (r, _) => Task.FromResult(new EvalAgentResult("s-" + r.Trial, 1, 10, 2, 0.01m, "completed"));

    public Task<EvalAgentResult> RunAsync(EvalAgentRequest request, CancellationToken cancellationToken = default) => OnRun(request, cancellationToken);
}

public sealed class EvalRunnerTests : IDisposable
{
    private readonly TempDirectory _dir = new("rein-evals");

    public void Dispose() => _dir.Dispose();

    private static EvalRunOptions Options(string model = "test:model", int trials = 1, int parallel = 1) => new()
    {
        Model = model,
        Trials = trials,
        Parallel = parallel,
        GraderRunner = _ => new ProcessCommandRunner(),
    };

    private async Task<EvalRunResult> RunAsync(FakeEvalAgent agent, EvalRunOptions options)
    {
        var suite = EvalSuite.Load(_dir.Path);
        return await new EvalRunner(agent, options).RunAsync(suite, suite.Tasks, TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task RunAsync_AgentWritesWhatTheGraderChecks_Passes()
    {
        _dir.Write("t/task.yaml", "instruction: write x\ngrader:\n  - grep -q yes x.txt\n");
        _dir.Write("t/workspace/readme.md", "hi");
        var agent = new FakeEvalAgent
        {
            OnRun = (r, _) =>
            {
                Assert.True(File.Exists(Path.Combine(r.Workspace, "readme.md")));
                File.WriteAllText(Path.Combine(r.Workspace, "x.txt"), "yes");
                return Task.FromResult(new EvalAgentResult("s1", 2, 100, 20, 0.5m, "completed"));
            },
        };

        var run = await RunAsync(agent, Options());

        var trial = Assert.Single(Assert.Single(run.Tasks).Trials);
        Assert.True(trial.Passed, trial.FailureReason);
        Assert.Equal(("s1", 2, 120L, 0.5m), (trial.SessionId, trial.Steps, trial.Tokens, trial.CostUsd));
        Assert.Equal((1, 1, 0), (run.Summary.Total, run.Summary.Passed, run.Summary.Failed));
    }

    [Fact]
    public async Task RunAsync_GraderFails_ReasonNamesTheCommandExitCodeAndOutput()
    {
        _dir.Write("t/task.yaml", "instruction: x\ngrader:\n  - 'true'\n  - echo expected 42; exit 4\n");

        var run = await RunAsync(new FakeEvalAgent(), Options());

        var trial = Assert.Single(Assert.Single(run.Tasks).Trials);
        Assert.False(trial.Passed);
        Assert.StartsWith("grader command 2 (echo expected 42; exit 4) exited 4: expected 42", trial.FailureReason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunAsync_AgentStoppedByALimit_FailsWithTheStopReasonWithoutGrading()
    {
        _dir.Write("t/task.yaml", "instruction: x\ngrader:\n  - touch graded\n");
        string? workspace = null;
        var agent = new FakeEvalAgent
        {
            OnRun = (r, _) =>
            {
                workspace = r.Workspace;
                return Task.FromResult(new EvalAgentResult("s", 3, 0, 0, 0, "max_steps", "Stopped after 3 steps"));
            },
        };

        var run = await RunAsync(agent, Options());

        var trial = Assert.Single(Assert.Single(run.Tasks).Trials);
        Assert.Equal("max_steps", trial.StopReason);
        Assert.Equal("stopped: max_steps: Stopped after 3 steps", trial.FailureReason);
        Assert.False(Directory.Exists(workspace));
    }

    [Fact]
    public async Task RunAsync_AgentRunsPastTheTimeout_FailsWithTimeout()
    {
        _dir.Write("t/task.yaml", "instruction: x\ngrader: ['true']\nlimits:\n  timeout: 0.2\n");
        var agent = new FakeEvalAgent
        {
            OnRun = async (r, ct) =>
            {
                await Task.Delay(Timeout.Infinite, ct);
                return new EvalAgentResult(null, 0, 0, 0, 0, "completed");
            },
        };
        var options = Options();
        options.TimeoutGrace = TimeSpan.Zero;

        var run = await RunAsync(agent, options);

        var trial = Assert.Single(Assert.Single(run.Tasks).Trials);
        Assert.Equal(EvalRunner.TimeoutStopReason, trial.StopReason);
        Assert.StartsWith("timeout", trial.FailureReason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunAsync_ScriptedWithoutSolution_FailsWithAClearReason()
    {
        _dir.Write("with/task.yaml", "instruction: x\ngrader: ['true']\n");
        _dir.Write("with/solution.json", """{"turns":[{"text":"done"}]}""");
        _dir.Write("without/task.yaml", "instruction: x\ngrader: ['true']\n");
        var models = new List<string>();
        var agent = new FakeEvalAgent
        {
            OnRun = (r, _) =>
            {
                lock (models)
                {
                    models.Add(r.Model);
                }

                return Task.FromResult(new EvalAgentResult("s", 1, 0, 0, 0, "completed"));
            },
        };

        var run = await RunAsync(agent, Options(EvalRunOptions.ScriptedSolutions));

        Assert.Equal("scripted:" + _dir.Combine("with", "solution.json"), Assert.Single(models));
        var missing = Assert.Single(run.Tasks.Single(t => t.Name == "without").Trials);
        Assert.Equal(EvalRunner.NoSolutionStopReason, missing.StopReason);
        Assert.Contains("solution.json", missing.FailureReason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunAsync_TrialsInParallel_EachGetsAFreshWorkspace()
    {
        _dir.Write("t/task.yaml", "instruction: x\ngrader:\n  - test $(cat count) = 1\n");
        _dir.Write("t/workspace/count", "0");
        var agent = new FakeEvalAgent
        {
            OnRun = (r, _) =>
            {
                var file = Path.Combine(r.Workspace, "count");
                File.WriteAllText(file, (int.Parse(File.ReadAllText(file), System.Globalization.CultureInfo.InvariantCulture) + 1).ToString(System.Globalization.CultureInfo.InvariantCulture));
                return Task.FromResult(new EvalAgentResult("s" + r.Trial, 1, 0, 0, 0, "completed"));
            },
        };
        var progress = new List<EvalTrialProgress>();
        var options = Options(trials: 4, parallel: 2);
        options.Progress = progress.Add;

        var run = await RunAsync(agent, options);

        var task = Assert.Single(run.Tasks);
        Assert.Equal([1, 2, 3, 4], task.Trials.Select(t => t.Trial));
        Assert.All(task.Trials, t => Assert.True(t.Passed, t.FailureReason));
        Assert.Equal([1, 2, 3, 4], progress.Select(p => p.Completed));
        Assert.Equal(1.0, run.Summary.PassAtK);
    }

    [Fact]
    public async Task RunAsync_TerminalBench_TestsArriveOnlyAfterTheAgent()
    {
        _dir.Write("tb/task.yaml", "instruction: make hi.txt\n");
        _dir.Write("tb/data.txt", "input");
        _dir.Write("tb/run-tests.sh", "test -f \"$TEST_DIR/check.sh\" && bash \"$TEST_DIR/check.sh\"\n");
        _dir.Write("tb/tests/check.sh", "grep -q hi hi.txt\n");
        _dir.Write("tb/solution.sh", "echo hi > hi.txt\n");
        var seen = new List<string>();
        var agent = new FakeEvalAgent
        {
            OnRun = (r, _) =>
            {
                seen.AddRange(Directory.EnumerateFileSystemEntries(r.Workspace).Select(Path.GetFileName)!);
                File.WriteAllText(Path.Combine(r.Workspace, "hi.txt"), "hi");
                return Task.FromResult(new EvalAgentResult("s", 1, 0, 0, 0, "completed"));
            },
        };

        var run = await RunAsync(agent, Options());

        Assert.Equal(["data.txt"], seen);
        var trial = Assert.Single(Assert.Single(run.Tasks).Trials);
        Assert.True(trial.Passed, trial.FailureReason);
    }

    [Fact]
    public async Task RunAsync_SkippedTask_IsReportedWithoutRunning()
    {
        _dir.Write("tb/task.yaml", "instruction: x\n");
        _dir.Write("tb/Dockerfile", "FROM debian\nRUN apt-get update\n");
        _dir.Write("tb/run-tests.sh", "true\n");
        var agent = new FakeEvalAgent { OnRun = (_, _) => throw new InvalidOperationException("must not run") };

        var run = await RunAsync(agent, Options());

        Assert.NotNull(Assert.Single(run.Tasks).SkipReason);
        Assert.Equal((0, 1, 0), (run.Summary.Total, run.Summary.Skipped, run.Summary.Failed));
    }

    [Fact]
    public async Task RunAsync_SuiteWithASkippedTask_ComputesTotalsAndWritesTheReports()
    {
        _dir.Write("ok/task.yaml", "instruction: x\ngrader: ['true']\n");
        _dir.Write("tb/task.yaml", "instruction: x\n");
        _dir.Write("tb/Dockerfile", "FROM debian\nRUN apt-get update\n");
        _dir.Write("tb/run-tests.sh", "true\n");
        var options = Options(trials: 2);

        var run = await RunAsync(new FakeEvalAgent(), options);
        var files = Reports.EvalReportFiles.Write(run, _dir.Combine("out"));

        var skipped = run.Tasks.Single(t => t.Name == "tb");
        Assert.Equal(0, skipped.PassAtTrials);
        Assert.Equal((1, 1, 1.0), (run.Summary.Total, run.Summary.Skipped, run.Summary.PassAtK));
        Assert.Contains("Dockerfile line 2", File.ReadAllText(files.Markdown), StringComparison.Ordinal);
        Assert.Contains("\"skipped\": \"needs Docker", File.ReadAllText(files.Json), StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunAsync_TerminalBenchWithoutRunTests_RunsTheDefaultTestCommand()
    {
        _dir.Write("tb/task.yaml", "instruction: make hi.txt\n");
        _dir.Write("tb/tests/test_outputs.py", "def test_hi():\n    pass\n");
        var agent = new FakeEvalAgent
        {
            OnRun = (r, _) =>
            {
                // python3 -m finds modules in the working folder first: this stands in for pytest, checking how it is called.
                File.WriteAllText(Path.Combine(r.Workspace, "pytest.py"), """
                    import os, sys
                    ok = sys.argv[1:] == [os.environ['TEST_DIR'] + '/test_outputs.py', '-rA'] and os.path.basename(os.environ['TEST_DIR']) == 'tests'
                    print('PASSED tests/test_outputs.py::test_hi' if ok else 'called with ' + ' '.join(sys.argv))
                    sys.exit(0 if ok else 1)
                    """);
                return Task.FromResult(new EvalAgentResult("s", 1, 0, 0, 0, "completed"));
            },
        };

        var run = await RunAsync(agent, Options());

        var trial = Assert.Single(Assert.Single(run.Tasks).Trials);
        Assert.True(trial.Passed, trial.FailureReason);
        Assert.Equal([new EvalTestResult("tests/test_outputs.py::test_hi", "passed")], trial.Tests);
    }

    [Fact]
    public void ScriptForShell_RunsTheScriptAsOneShellCallWithTheTaskTimeout()
    {
        var turns = Rein.Models.ScriptedTurn.ParseScript(EvalRunner.ScriptForShell("echo \"hi\"\nexit 0\n", TimeSpan.FromSeconds(900)));

        Assert.Equal(2, turns.Count);
        var call = Assert.Single(turns[0].ToolCalls);
        Assert.Equal("shell", call.Name);
        Assert.Equal("echo \"hi\"\nexit 0\n", call.Arguments!.Value.GetProperty("command").GetString());
        Assert.Equal(900, call.Arguments!.Value.GetProperty("timeout_seconds").GetInt32());
    }

    [Fact]
    public async Task RunAsync_ScriptedSolutionSh_GetsTheTasksAgentTimeoutForItsShellCall()
    {
        WriteTerminalBenchWithSolution("tb", "max_agent_timeout_sec: 900\n");
        EvalAgentRequest? seen = null;
        var script = "";
        var agent = new FakeEvalAgent
        {
            OnRun = (r, _) =>
            {
                seen = r;
                script = File.ReadAllText(r.Model["scripted:".Length..]);
                return Task.FromResult(new EvalAgentResult("s", 2, 0, 0, 0, "completed") { ToolCalls = [new EvalToolCall("shell", EvalToolCall.Completed)] });
            },
        };

        var run = await RunAsync(agent, Options(EvalRunOptions.ScriptedSolutions));

        Assert.Equal(TimeSpan.FromSeconds(900), seen!.ShellTimeout);
        Assert.Contains("\"timeout_seconds\":900", script, StringComparison.Ordinal);
        Assert.True(Assert.Single(Assert.Single(run.Tasks).Trials).Passed);
    }

    [Theory]
    [InlineData(EvalToolCall.Refused, "denied by rule shell(rm *)", EvalRunner.SolutionRefusedStopReason, "solution.sh was refused by the policy: denied by rule shell(rm *)")]
    [InlineData(EvalToolCall.TimedOut, "timed out after 900 s", EvalRunner.SolutionKilledStopReason, "solution.sh was killed: timed out after 900 s")]
    [InlineData(EvalToolCall.Killed, "killed by signal 9", EvalRunner.SolutionKilledStopReason, "solution.sh was killed: killed by signal 9")]
    public async Task RunAsync_ScriptedSolutionShRefusedOrKilled_FailsSayingSoWithoutGrading(string status, string detail, string stopReason, string failure)
    {
        WriteTerminalBenchWithSolution("tb", "");
        _dir.Write("tb/run-tests.sh", "touch \"$TEST_DIR/../graded\"\n");
        string? workspace = null;
        var agent = new FakeEvalAgent
        {
            OnRun = (r, _) =>
            {
                workspace = r.Workspace;
                return Task.FromResult(new EvalAgentResult("s", 2, 0, 0, 0, "completed") { ToolCalls = [new EvalToolCall("shell", status, detail)] });
            },
        };

        var run = await RunAsync(agent, Options(EvalRunOptions.ScriptedSolutions));

        var trial = Assert.Single(Assert.Single(run.Tasks).Trials);
        Assert.False(trial.Passed);
        Assert.Equal((stopReason, failure), (trial.StopReason, trial.FailureReason));
    }

    [Fact]
    public async Task RunAsync_LongGraderOutput_FailureShowsTheHeadAndTheTail()
    {
        _dir.Write("t/task.yaml", "instruction: x\ngrader:\n  - |\n    echo 'error: could not choose a version of rustc'\n    for i in $(seq 1 400); do echo \"  backtrace frame $i\"; done\n    echo 'FAILED tests/test_outputs.py::test_build - assert 1 == 0'\n    exit 1\n");

        var run = await RunAsync(new FakeEvalAgent(), Options());

        var trial = Assert.Single(Assert.Single(run.Tasks).Trials);
        Assert.Contains("could not choose a version of rustc", trial.FailureReason, StringComparison.Ordinal);
        Assert.Contains("backtrace frame 400", trial.FailureReason, StringComparison.Ordinal);
        Assert.Contains("characters left out", trial.FailureReason, StringComparison.Ordinal);
        Assert.DoesNotContain("backtrace frame 200\n", trial.FailureReason, StringComparison.Ordinal);
        Assert.Equal([new EvalTestResult("tests/test_outputs.py::test_build", "failed")], trial.Tests);
    }

    private void WriteTerminalBenchWithSolution(string name, string extraYaml)
    {
        _dir.Write($"{name}/task.yaml", "instruction: make hi.txt\n" + extraYaml);
        _dir.Write($"{name}/run-tests.sh", "true\n");
        _dir.Write($"{name}/tests/check.sh", "true\n");
        _dir.Write($"{name}/solution.sh", "echo hi > hi.txt\n");
    }
}
