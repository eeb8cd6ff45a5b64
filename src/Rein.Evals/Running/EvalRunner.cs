using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Rein.Evals.Suites;
using Rein.Journal;
using Rein.Tools;

namespace Rein.Evals.Running;

/// <summary>Runs a suite's tasks: each trial in a fresh copy of the task's workspace, the agent in-process, then the graders in the sandbox.</summary>
/// <remarks>
/// Trials run on a bounded pool of <see cref="EvalRunOptions.Parallel"/> workers. A trial passes when the agent
/// completes (stop reason <c>completed</c>) and every grader command exits 0; a trial whose agent stopped for any other
/// reason (a limit, a pending approval, a model error, the timeout) fails with that reason and its graders do not run.
/// </remarks>
public sealed class EvalRunner
{
    /// <summary>The stop reason of a trial whose agent ran past its task's <c>timeout</c>.</summary>
    public const string TimeoutStopReason = "timeout";

    /// <summary>The stop reason of a trial that could not start because the task has no solution for <c>--model scripted</c>.</summary>
    public const string NoSolutionStopReason = "no_solution";

    /// <summary>The stop reason of a trial whose agent failed with an error.</summary>
    public const string ErrorStopReason = "error";

    /// <summary>The stop reason of a trial whose scripted <c>solution.sh</c> the policy refused to run.</summary>
    public const string SolutionRefusedStopReason = "solution_refused";

    /// <summary>The stop reason of a trial whose scripted <c>solution.sh</c> was killed (its timeout, or a signal).</summary>
    public const string SolutionKilledStopReason = "solution_killed";

    private const int FailureHeadChars = 800;
    private const int FailureTailChars = 1200;
    private readonly IEvalAgent _agent;
    private readonly EvalRunOptions _options;

    /// <summary>Creates a runner.</summary>
    /// <param name="agent">Runs the agent for each trial.</param>
    /// <param name="options">The run's settings.</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentException">The options have no model, or fewer than one trial or worker.</exception>
    public EvalRunner(IEvalAgent agent, EvalRunOptions options)
    {
        ArgumentNullException.ThrowIfNull(agent);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrWhiteSpace(options.Model, nameof(options));
        ArgumentOutOfRangeException.ThrowIfLessThan(options.Trials, 1, nameof(options));
        ArgumentOutOfRangeException.ThrowIfLessThan(options.Parallel, 1, nameof(options));
        _agent = agent;
        _options = options;
    }

    /// <summary>Makes a run id: UTC start time and a random suffix, e.g. <c>20260301-142501-a3f9</c>.</summary>
    /// <param name="time">The clock.</param>
    /// <returns>The id.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="time"/> is null.</exception>
    public static string NewRunId(TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(time);
        return time.GetUtcNow().ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture) + "-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(2));
    }

    /// <summary>Runs the given tasks of a suite.</summary>
    /// <param name="suite">The suite (named in the result, with its <see cref="EvalSuite.Malformed"/> tasks).</param>
    /// <param name="tasks">The tasks to run; skipped tasks are reported without running.</param>
    /// <param name="cancellationToken">Stops the run: running trials are cancelled and no new one starts.</param>
    /// <returns>The run's outcome.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public async Task<EvalRunResult> RunAsync(EvalSuite suite, IReadOnlyList<EvalTask> tasks, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(suite);
        ArgumentNullException.ThrowIfNull(tasks);
        var time = _options.TimeProvider;
        var runId = _options.RunId is { Length: > 0 } id ? id : NewRunId(time);
        var startedAt = time.GetUtcNow();
        var started = time.GetTimestamp();
        var work = tasks.Where(t => t.SkipReason is null)
            .SelectMany(t => Enumerable.Range(1, _options.Trials).Select(trial => (Task: t, Trial: trial)))
            .ToList();
        var results = new EvalTrialResult[work.Count];
        var completed = 0;
        var progressGate = new Lock();
        await Parallel.ForEachAsync(
            Enumerable.Range(0, work.Count),
            new ParallelOptions { MaxDegreeOfParallelism = _options.Parallel, CancellationToken = cancellationToken },
            async (index, ct) =>
            {
                var (task, trial) = work[index];
                var result = await RunTrialAsync(runId, task, trial, ct).ConfigureAwait(false);
                results[index] = result;
                lock (progressGate)
                {
                    _options.Progress?.Invoke(new EvalTrialProgress(task.Name, result, ++completed, work.Count));
                }
            }).ConfigureAwait(false);

        var byTask = work.Select((w, i) => (w.Task.Name, Result: results[i])).ToLookup(p => p.Name, p => p.Result, StringComparer.Ordinal);
        var taskResults = tasks
            .Select(t => new EvalTaskResult(t.Name, t.Tags, t.SkipReason, [.. byTask[t.Name].OrderBy(r => r.Trial)]))
            .ToList();
        return new EvalRunResult(runId, suite.Directory, _options.Model, _options.Trials, startedAt, time.GetElapsedTime(started).TotalSeconds, taskResults)
        {
            Malformed = suite.Malformed,
        };
    }

    private async Task<EvalTrialResult> RunTrialAsync(string runId, EvalTask task, int trial, CancellationToken cancellationToken)
    {
        var time = _options.TimeProvider;
        var started = time.GetTimestamp();
        var scratch = Directory.CreateTempSubdirectory("rein-eval-");
        try
        {
            var root = scratch.ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? scratch.FullName;
            var workspace = Path.Combine(root, "workspace");
            PrepareWorkspace(task, workspace);
            EvalTrialResult Result(EvalAgentResult agent, bool passed, string? failure) => new(
                trial, passed, agent.SessionId, agent.Steps, agent.InputTokens, agent.OutputTokens, agent.CostUsd,
                time.GetElapsedTime(started).TotalSeconds, agent.StopReason, failure);

            var timeout = task.Limits.Timeout ?? _options.DefaultTimeout;
            var (model, script, missing) = ResolveModel(task, root, timeout);
            if (model is null)
            {
                return Result(new EvalAgentResult(null, 0, 0, 0, 0, NoSolutionStopReason), false, missing);
            }

            var request = new EvalAgentRequest(runId, task, trial, workspace, model, task.Limits) { ShellTimeout = script ? timeout : null };
            var agent = await RunAgentAsync(request, timeout, cancellationToken).ConfigureAwait(false);
            if (script && agent.StopReason == StopReason.Completed && SolutionFailure(agent) is { } solution)
            {
                // The scripted turns finish whatever the shell call did: a refused or killed solution is not a completed one.
                return Result(agent with { StopReason = solution.StopReason }, false, solution.Reason);
            }

            if (agent.StopReason != StopReason.Completed)
            {
                return Result(agent, false, agent.StopReason switch
                {
                    TimeoutStopReason => $"timeout: the agent ran past {FormatSeconds(timeout)}",
                    ErrorStopReason => $"agent error: {agent.Detail}",
                    _ => agent.Detail is { Length: > 0 } detail ? $"stopped: {agent.StopReason}: {detail}" : $"stopped: {agent.StopReason}",
                });
            }

            var (failure, tests) = await GradeAsync(task, workspace, cancellationToken).ConfigureAwait(false);
            return Result(agent, failure is null, failure) with { Tests = tests };
        }
        finally
        {
            TryDelete(scratch);
        }
    }

    private async Task<EvalAgentResult> RunAgentAsync(EvalAgentRequest request, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var timer = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timer.CancelAfter(timeout + _options.TimeoutGrace);
        try
        {
            var result = await _agent.RunAsync(request, timer.Token).ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
            return timer.IsCancellationRequested && result.StopReason == StopReason.Cancelled ? result with { StopReason = TimeoutStopReason } : result;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return new EvalAgentResult(null, 0, 0, 0, 0, TimeoutStopReason);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return new EvalAgentResult(null, 0, 0, 0, 0, ErrorStopReason, ex.Message);
        }
    }

    /// <summary>Why a scripted <c>solution.sh</c> did not run to its end, or null when it did.</summary>
    private static (string StopReason, string Reason)? SolutionFailure(EvalAgentResult agent)
    {
        var shell = agent.ToolCalls.FirstOrDefault(c => c.Name == "shell");
        return shell?.Status switch
        {
            EvalToolCall.Refused => (SolutionRefusedStopReason, $"solution.sh was refused by the policy: {shell.Detail}"),
            EvalToolCall.TimedOut => (SolutionKilledStopReason, $"solution.sh was killed: {shell.Detail}"),
            EvalToolCall.Killed => (SolutionKilledStopReason, $"solution.sh was killed: {shell.Detail}"),
            EvalToolCall.Failed => (ErrorStopReason, $"solution.sh did not run: {shell.Detail}"),
            _ => null,
        };
    }

    /// <summary>Runs the grader commands in order; returns why the trial failed (null when all exited 0) and the tests they reported.</summary>
    private async Task<(string? Failure, List<EvalTestResult> Tests)> GradeAsync(EvalTask task, string workspace, CancellationToken cancellationToken)
    {
        var environment = new Dictionary<string, string?>(StringComparer.Ordinal);
        if (task.Layout == EvalTaskLayout.TerminalBench)
        {
            // The tests arrive only now, so the agent could not read or change them.
            var testsFolder = Path.Combine(workspace, TerminalBench.TestsFolder);
            if (Directory.Exists(testsFolder))
            {
                Directory.Delete(testsFolder, recursive: true);
            }

            var source = Path.Combine(task.Directory, TerminalBench.TestsFolder);
            if (Directory.Exists(source))
            {
                WorkspaceCopy.Copy(source, testsFolder, _ => true);
            }

            var script = Path.Combine(task.Directory, TerminalBench.RunTestsScript);
            if (File.Exists(script))
            {
                File.Copy(script, Path.Combine(workspace, TerminalBench.RunTestsScript), overwrite: true);
            }

            environment["TEST_DIR"] = testsFolder;
        }

        var runner = _options.GraderRunner(workspace);
        var timeout = task.Limits.GraderTimeout ?? _options.DefaultGraderTimeout;
        var tests = new List<EvalTestResult>();
        for (var i = 0; i < task.Grader.Count; i++)
        {
            var command = task.Grader[i];
            var result = await runner.RunAsync(new CommandRequest(command, workspace, timeout) { Environment = environment, MaxOutputChars = 40_000 }, cancellationToken).ConfigureAwait(false);
            tests.AddRange(PytestSummary.Parse(result.Output));
            var which = $"grader command {i + 1} ({Shorten(command)})";
            if (result.StartError is { } error)
            {
                return ($"{which} could not start: {error}", tests);
            }

            if (result.TimedOut)
            {
                return ($"{which} timed out after {FormatSeconds(timeout)}{HeadAndTail(result.Output)}", tests);
            }

            if (result.ExitCode != 0)
            {
                return ($"{which} exited {(result.ExitCode is { } code ? code.ToString(CultureInfo.InvariantCulture) : "without a code")}{HeadAndTail(result.Output)}", tests);
            }
        }

        return (null, tests);
    }

    /// <summary>The model for a trial and whether it plays <c>solution.sh</c>, or null and why there is none.</summary>
    private (string? Model, bool Script, string? Missing) ResolveModel(EvalTask task, string scratch, TimeSpan timeout)
    {
        if (_options.Model != EvalRunOptions.ScriptedSolutions)
        {
            return (_options.Model, false, null);
        }

        if (task.SolutionFile is { } solution)
        {
            return ($"scripted:{solution}", false, null);
        }

        if (task.SolutionScript is { } script)
        {
            var file = Path.Combine(scratch, "solution.json");
            File.WriteAllText(file, ScriptForShell(File.ReadAllText(script), timeout));
            return ($"scripted:{file}", true, null);
        }

        return (null, false, task.Layout == EvalTaskLayout.TerminalBench
            ? "no solution: --model scripted needs solution.json or solution.sh in the task folder"
            : "no solution: --model scripted needs solution.json (scripted turns) in the task folder");
    }

    /// <summary>Scripted turns that run a shell script as one <c>shell</c> call with the given timeout, then finish.</summary>
    internal static string ScriptForShell(string script, TimeSpan timeout)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteStartArray("turns");
            json.WriteStartObject();
            json.WriteStartArray("tool_calls");
            json.WriteStartObject();
            json.WriteString("name", "shell");
            json.WriteStartObject("arguments");
            json.WriteString("command", script);
            json.WriteNumber("timeout_seconds", (long)Math.Ceiling(timeout.TotalSeconds));
            json.WriteEndObject();
            json.WriteEndObject();
            json.WriteEndArray();
            json.WriteEndObject();
            json.WriteStartObject();
            json.WriteString("text", "Ran solution.sh.");
            json.WriteEndObject();
            json.WriteEndArray();
            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    private static void PrepareWorkspace(EvalTask task, string workspace)
    {
        if (task.Layout == EvalTaskLayout.TerminalBench)
        {
            WorkspaceCopy.Copy(task.Directory, workspace, name => !TerminalBench.IsHarnessFile(name));
            return;
        }

        var source = Path.Combine(task.Directory, "workspace");
        if (Directory.Exists(source))
        {
            WorkspaceCopy.Copy(source, workspace, _ => true);
        }
        else
        {
            Directory.CreateDirectory(workspace);
        }
    }

    /// <summary>The start and the end of a grader's output: the cause is often at the top (a missing tool) and the verdict at the bottom.</summary>
    private static string HeadAndTail(string output)
    {
        var text = output.Trim();
        if (text.Length == 0)
        {
            return "";
        }

        if (text.Length <= FailureHeadChars + FailureTailChars)
        {
            return ": " + text;
        }

        var left = text.Length - FailureHeadChars - FailureTailChars;
        return string.Create(CultureInfo.InvariantCulture, $": {text[..FailureHeadChars]}\n[… {left:N0} characters left out …]\n{text[^FailureTailChars..]}");
    }

    private static string Shorten(string command)
    {
        var line = command.ReplaceLineEndings(" ").Trim();
        return line.Length <= 80 ? line : line[..77] + "...";
    }

    private static string FormatSeconds(TimeSpan span) => string.Create(CultureInfo.InvariantCulture, $"{span.TotalSeconds:0.#} s");

    private static void TryDelete(DirectoryInfo folder)
    {
        try
        {
            folder.Delete(recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
