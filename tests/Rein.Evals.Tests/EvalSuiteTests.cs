using Rein.Evals.Suites;
using Rein.Testing;

namespace Rein.Evals.Tests;

public sealed class EvalSuiteTests : IDisposable
{
    private readonly TempDirectory _dir = new("rein-evals");

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Load_ReinTask_ReadsInstructionGraderLimitsAndTags()
    {
        _dir.Write("group/fix-bug/task.yaml", """
            instruction: Fix the bug.
            grader:
              - make test
              - test -f done
            limits:
              max_steps: 7
              max_tokens: 5000
              max_cost: 0.25
              timeout: 90s
              grader_timeout: 30
            tags: [python, bugs]
            """);
        _dir.Write("group/fix-bug/workspace/main.py", "print(1)\n");

        var suite = EvalSuite.Load(_dir.Path);

        var task = Assert.Single(suite.Tasks);
        Assert.Equal("group/fix-bug", task.Name);
        Assert.Equal(EvalTaskLayout.Rein, task.Layout);
        Assert.Equal("Fix the bug.", task.Instruction);
        Assert.Equal(["make test", "test -f done"], task.Grader);
        Assert.Equal(new EvalLimits(7, 5000, 0.25m, TimeSpan.FromSeconds(90), TimeSpan.FromSeconds(30)), task.Limits);
        Assert.Equal(["python", "bugs"], task.Tags);
        Assert.Null(task.SkipReason);
    }

    [Fact]
    public void Load_InvalidFields_ListsEveryProblemWithFileLineAndField()
    {
        _dir.Write("a/task.yaml", "grader: [ls]\n");
        _dir.Write("b/task.yaml", "instruction: do it\ngrader: ls\nlimits:\n  max_stepz: 3\n  timeout: soon\n");

        var ex = Assert.Throws<EvalSuiteException>(() => EvalSuite.Load(_dir.Path));

        Assert.Contains(ex.Errors, e => e.StartsWith(_dir.Combine("a", "task.yaml") + ":1: field 'instruction' is required", StringComparison.Ordinal));
        Assert.Contains(ex.Errors, e => e.StartsWith(_dir.Combine("b", "task.yaml") + ":4: field 'limits.max_stepz': unknown limit", StringComparison.Ordinal));
        Assert.Contains(ex.Errors, e => e.Contains(":5: field 'limits.timeout'", StringComparison.Ordinal));
    }

    [Fact]
    public void Load_MissingGrader_IsAnError()
    {
        _dir.Write("t/task.yaml", "instruction: do it\n");

        var ex = Assert.Throws<EvalSuiteException>(() => EvalSuite.Load(_dir.Path));

        Assert.Contains("field 'grader' is required", Assert.Single(ex.Errors), StringComparison.Ordinal);
    }

    [Fact]
    public void Load_NoTasks_SaysSo()
    {
        var ex = Assert.Throws<EvalSuiteException>(() => EvalSuite.Load(_dir.Path));

        Assert.Contains("no tasks found", Assert.Single(ex.Errors), StringComparison.Ordinal);
    }

    [Fact]
    public void Load_TerminalBenchTask_UsesRunTestsAsGraderAndTimeouts()
    {
        WriteTerminalBench("hello", "FROM python:3.13\nWORKDIR /app\nCOPY . .\n");

        var task = Assert.Single(EvalSuite.Load(_dir.Path).Tasks);

        Assert.Equal(EvalTaskLayout.TerminalBench, task.Layout);
        Assert.Equal(["bash run-tests.sh"], task.Grader);
        Assert.Equal(TimeSpan.FromSeconds(100), task.Limits.Timeout);
        Assert.Equal(TimeSpan.FromSeconds(20), task.Limits.GraderTimeout);
        Assert.Null(task.SkipReason);
        Assert.NotNull(task.SolutionScript);
    }

    [Fact]
    public void Load_TerminalBenchDockerfileThatRunsCommands_IsSkippedWithAReason()
    {
        WriteTerminalBench("needs-apt", "FROM debian:12\nRUN apt-get install -y jq\n");

        var task = Assert.Single(EvalSuite.Load(_dir.Path).Tasks);

        Assert.Contains("Dockerfile line 2", task.SkipReason, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_TerminalBenchComposeWithTwoServices_IsSkipped()
    {
        WriteTerminalBench("with-db", "FROM python:3.13\n");
        _dir.Write("with-db/docker-compose.yaml", "services:\n  client:\n    build: .\n  db:\n    image: postgres\n");

        var task = Assert.Single(EvalSuite.Load(_dir.Path).Tasks);

        Assert.Contains("more than one service", task.SkipReason, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_TerminalBenchTestsUsingTheContainerFolder_IsSkipped()
    {
        WriteTerminalBench("abs-path", "FROM python:3.13\nWORKDIR /app\n");
        _dir.Write("abs-path/tests/test_outputs.py", "open('/app/out.txt')\n");

        var task = Assert.Single(EvalSuite.Load(_dir.Path).Tasks);

        Assert.Contains("/app", task.SkipReason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("instruction: |\n  first\n    \n  second\ngrader: ['true']\n", "first\n  \nsecond\n")]
    [InlineData("instruction: |\n  \n  first\ngrader: ['true']\n", "\nfirst\n")]
    [InlineData("instruction: |\n  first\n \n  second\ngrader: ['true']\n", "first\n\nsecond\n")]
    [InlineData("instruction: |-\n  first\n      \ngrader: ['true']\n", "first\n    ")]
    [InlineData("instruction: >\n  \n  folded\n  text\ngrader: ['true']\n", "\nfolded text\n")]
    [InlineData("instruction: |\r\n  \r\n  first\r\ngrader: ['true']\r\n", "\nfirst\n")]
    public void Load_BlockScalarWithWhitespaceOnlyLines_LoadsAsPyYamlDoes(string yaml, string expected)
    {
        // The expected values are what PyYAML 6 gives for the same text.
        _dir.Write("t/task.yaml", yaml);

        var suite = EvalSuite.Load(_dir.Path);

        Assert.Equal(expected, Assert.Single(suite.Tasks).Instruction);
    }

    [Fact]
    public void Load_OneMalformedTask_LoadsTheOthersAndReportsFileLineAndField()
    {
        _dir.Write("good/task.yaml", "instruction: do it\ngrader: ['true']\n");
        var bad = _dir.Write("bad/task.yaml", "instruction: do it\ngrader: ['true']\nlimits:\n  max_steps: many\n");

        var suite = EvalSuite.Load(_dir.Path);

        Assert.Equal("good", Assert.Single(suite.Tasks).Name);
        var malformed = Assert.Single(suite.Malformed);
        Assert.Equal("bad", malformed.Name);
        var problem = Assert.Single(malformed.Problems);
        Assert.Equal((bad, 4L, "limits.max_steps"), (problem.File, problem.Line, problem.Field));
        Assert.StartsWith($"{bad}:4: field 'limits.max_steps'", problem.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Load_OnlyMalformedTasks_IsAnErrorListingThem()
    {
        _dir.Write("bad/task.yaml", "instruction: [1\n");

        var ex = Assert.Throws<EvalSuiteException>(() => EvalSuite.Load(_dir.Path));

        Assert.Contains("invalid YAML", Assert.Single(ex.Errors), StringComparison.Ordinal);
    }

    [Fact]
    public void Load_TerminalBenchWithoutRunTests_UsesTheBenchmarksDefaultTestCommand()
    {
        _dir.Write("no-script/task.yaml", "instruction: say hi\n");
        _dir.Write("no-script/tests/test_outputs.py", "def test_hi():\n    pass\n");

        var task = Assert.Single(EvalSuite.Load(_dir.Path).Tasks);

        Assert.Equal(EvalTaskLayout.TerminalBench, task.Layout);
        Assert.Equal([TerminalBench.DefaultTestCommand], task.Grader);
        Assert.Contains("$TEST_DIR/test_outputs.py", TerminalBench.DefaultTestCommand, StringComparison.Ordinal);
        Assert.Contains("-rA", TerminalBench.DefaultTestCommand, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("task.yaml", "instruction: |\n  Read the log.\n  Write /app/report.txt.\n", "instruction (task.yaml line 3)")]
    [InlineData("solution.sh", "cd /app\necho hi > hi.txt\n", "solution.sh line 1")]
    [InlineData("run-tests.sh", "set -e\ncd /app && pytest $TEST_DIR -rA\n", "run-tests.sh line 2")]
    [InlineData("tests/test_outputs.py", "import os\n\nOUT = '/app/out.txt'\n", "tests/test_outputs.py line 3")]
    public void Load_TerminalBenchNamingTheContainerFolder_IsSkippedSayingWhere(string file, string content, string where)
    {
        WriteTerminalBench("abs", "FROM python:3.13\n");
        _dir.Write($"abs/{file}", content);

        var task = Assert.Single(EvalSuite.Load(_dir.Path).Tasks);

        Assert.NotNull(task.SkipReason);
        Assert.Contains(where, task.SkipReason, StringComparison.Ordinal);
        Assert.Contains("/app", task.SkipReason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("cat /webapp/x /home/app/y ./app/z")]
    [InlineData("python -m myapp")]
    public void Load_TerminalBenchWithPathsThatOnlyContainApp_IsNotSkipped(string solution)
    {
        WriteTerminalBench("fine", "FROM python:3.13\n");
        _dir.Write("fine/solution.sh", solution);

        Assert.Null(Assert.Single(EvalSuite.Load(_dir.Path).Tasks).SkipReason);
    }

    [Theory]
    [InlineData("task.yaml", true)]
    [InlineData("tests", true)]
    [InlineData("run-tests.sh", true)]
    [InlineData("solution.sh", true)]
    [InlineData("docker-compose.yaml", true)]
    [InlineData("Dockerfile", true)]
    [InlineData("data.csv", false)]
    public void IsHarnessFile_KnownNames_AreLeftOutOfTheWorkspace(string name, bool harness) =>
        Assert.Equal(harness, TerminalBench.IsHarnessFile(name));

    private void WriteTerminalBench(string name, string dockerfile)
    {
        _dir.Write($"{name}/task.yaml", "instruction: say hi\nmax_agent_timeout_sec: 100\nmax_test_timeout_sec: 20\ndifficulty: easy\n");
        _dir.Write($"{name}/Dockerfile", dockerfile);
        _dir.Write($"{name}/run-tests.sh", "python3 -m unittest discover -s \"$TEST_DIR\"\n");
        _dir.Write($"{name}/tests/test_outputs.py", "import unittest\n");
        _dir.Write($"{name}/solution.sh", "echo hi > hi.txt\n");
    }
}
