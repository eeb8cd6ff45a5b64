using System.CommandLine;
using System.Globalization;
using Rein.Cli.Composition;
using Rein.Hosting.Composition;
using Rein.Hosting.Configuration;
using Rein.Cli.Rendering;
using Rein.Evals.Compare;
using Rein.Evals.Reports;
using Rein.Evals.Running;
using Rein.Evals.Suites;
using Rein.Journal;
using Spectre.Console;

namespace Rein.Cli.Commands;

/// <summary><c>rein eval SUITE_DIR --model M</c>: runs a suite of tasks and grades them; <c>rein eval compare A B</c>: what changed between two runs.</summary>
internal static class EvalCommand
{
    /// <summary>Where runs go by default, under the current folder: <c>.rein/evals/RUN_ID/</c>.</summary>
    private static string RunsFolder => Path.Combine(Environment.CurrentDirectory, ".rein", "evals");

    public static Command Create()
    {
        var suite = new Argument<string>("suite") { Description = "The suite folder: task folders (each with a task.yaml) at any depth, or one task folder." };
        var trials = new Option<int>("--trials") { Description = "Trials per task (the k of pass@k).", DefaultValueFactory = _ => 1 };
        var parallel = new Option<int>("--parallel") { Description = "Trials run at once.", DefaultValueFactory = _ => 1 };
        var tags = new Option<string[]>("--tag") { Description = "Run only tasks with this tag (repeatable; any tag matches).", AllowMultipleArgumentsPerToken = false };
        var names = new Option<string[]>("--task") { Description = "Run only this task: its name (path under the suite) or folder name (repeatable).", AllowMultipleArgumentsPerToken = false };
        var output = new Option<string?>("--out") { Description = "The run's folder for results.json, report.md and report.html. Default: .rein/evals/RUN_ID under the current folder." };
        var json = new Option<bool>("--json") { Description = "Print one JSON object: total, passed, failed, skipped, pass_at_1, pass_at_k, k, trials, run_id, reports, tasks." };
        var command = new Command("eval", """
            Run a suite of tasks and grade them. Each task is a folder with task.yaml (instruction, grader: commands that
            must all exit 0 in the finished workspace, optional limits and tags) and its starting workspace in workspace/;
            Terminal-Bench task folders (task.yaml, tests/, run-tests.sh) run too when they do not need Docker. Each trial
            runs the agent in-process in a fresh copy of the workspace (workspace-write mode; a request for approval fails
            the trial), then the graders in the sandbox. --model scripted plays each task's solution.json. A task workspace's
            own .rein/settings.json and .rein/agents/ apply in full only when the suite folder is trusted (rein trust).
            A malformed task.yaml is reported (file:line: field) and the other tasks still run.
            Writes results.json, report.md and report.html; exit code 0 when every trial passed, 7 when some failed or
            some tasks are malformed.
            """)
        {
            suite, CommonOptions.Model, trials, parallel, tags, names, output, json,
            CommonOptions.Store, CommonOptions.BaseUrl, CommonOptions.MaxSteps, CommonOptions.Agent, CommonOptions.Mode, CommonOptions.Env,
            CommonOptions.Sandbox, CommonOptions.MaxTokens, CommonOptions.MaxCost, CommonOptions.MaxTime,
        };
        command.Subcommands.Add(CreateCompare());
        command.SetAction((parse, ct) => CommandErrors.GuardAsync(async () =>
        {
            var trialCount = parse.GetValue(trials);
            var workers = parse.GetValue(parallel);
            if (trialCount < 1 || workers < 1)
            {
                throw new SettingsException("--trials and --parallel must be at least 1.");
            }

            var flags = ResolveFlags(parse);
            var settings = SettingsResolver.Resolve(flags, Environment.CurrentDirectory, Environment.GetEnvironmentVariable);
            CommonOptions.WarnUnknownKeys(settings);
            var model = settings.Values.Model is { Length: > 0 } m ? m
                : throw new SettingsException("No model configured. Pass --model: scripted (each task's solution.json), scripted:FILE, openai:gpt-5.5, ….");
            EvalSuite loaded;
            try
            {
                loaded = EvalSuite.Load(parse.GetValue(suite)!);
            }
            catch (EvalSuiteException ex)
            {
                foreach (var error in ex.Errors)
                {
                    await Console.Error.WriteLineAsync($"rein: {error}");
                }

                return ExitCodes.Usage;
            }

            var nameFilter = parse.GetValue(names) ?? [];
            var selected = Select(loaded, nameFilter, parse.GetValue(tags) ?? []);
            // A malformed task is reported with every run that would have included it; it never stops the others.
            loaded = loaded with { Malformed = [.. loaded.Malformed.Where(m => nameFilter.Length == 0 || nameFilter.Any(n => m.Name == n || Path.GetFileName(m.Directory) == n))] };
            var runId = EvalRunner.NewRunId(TimeProvider.System);
            var folder = Path.GetFullPath(parse.GetValue(output) ?? Path.Combine(RunsFolder, runId));
            var quiet = parse.GetValue(json);
            foreach (var skipped in selected.Where(t => t.SkipReason is not null))
            {
                await Console.Error.WriteLineAsync($"skip  {skipped.Name}: {skipped.SkipReason}");
            }

            foreach (var problem in loaded.Malformed.SelectMany(m => m.Problems))
            {
                await Console.Error.WriteLineAsync($"malformed  {problem}");
            }

            // One for every trial: each trial's settings are resolved the same way, so the level is the same.
            using var loggerFactory = CliLogging.Create(settings.LogLevel);
            var agent = new EvalAgent(flags with { Store = settings.StorePath }, TrustedFolders.Load(Environment.GetEnvironmentVariable).IsTrusted(parse.GetValue(suite)!), host: new AgentHostOptions { LoggerFactory = loggerFactory, Notice = Console.Error.WriteLine }, interrupts: () => new Interrupts());
            var options = new EvalRunOptions
            {
                Model = model,
                RunId = runId,
                Trials = trialCount,
                Parallel = workers,
                GraderRunner = agent.CreateGraderRunner,
                Progress = p => Console.Error.WriteLine(ProgressLine(p)),
            };
            if (!quiet)
            {
                await Console.Error.WriteLineAsync($"eval {runId} · {Plural.Of(selected.Count, "task")} × {trialCount} · {model} · {folder}");
            }

            // Ctrl-C stops the whole run: running trials are suspended, no new one starts.
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
            void OnCancel(object? sender, ConsoleCancelEventArgs e)
            {
                e.Cancel = true;
                stop.Cancel();
            }

            Console.CancelKeyPress += OnCancel;
            EvalRunResult run;
            try
            {
                run = await new EvalRunner(agent, options).RunAsync(loaded, selected, stop.Token);
            }
            finally
            {
                Console.CancelKeyPress -= OnCancel;
            }

            var files = EvalReportFiles.Write(run, folder);
            var summary = run.Summary;
            if (quiet)
            {
                var node = EvalJson.ToJson(run);
                node["run_dir"] = folder;
                node["reports"] = new System.Text.Json.Nodes.JsonObject { ["json"] = files.Json, ["markdown"] = files.Markdown, ["html"] = files.Html };
                Console.Out.WriteLine(node.ToJsonString(JournalJson.Options));
            }
            else
            {
                Render(run, files);
            }

            return summary.Failed == 0 && summary.Malformed == 0 ? ExitCodes.Success : ExitCodes.EvalFailed;
        }));
        return command;
    }

    private static Command CreateCompare()
    {
        var a = new Argument<string>("run-a") { Description = "The baseline run: its folder, its results.json, or its id under .rein/evals." };
        var b = new Argument<string>("run-b") { Description = "The run to compare with it." };
        var json = new Option<bool>("--json") { Description = "Print one JSON object: a, b (totals), regressed, fixed, tasks (change, pass rates, tokens and cost deltas)." };
        var command = new Command("compare", "Show which tasks changed between two eval runs (pass→fail, fail→pass) and how tokens and cost moved.") { a, b, json };
        command.SetAction((parse, ct) => CommandErrors.GuardAsync(() =>
        {
            RunComparison comparison;
            try
            {
                comparison = RunComparison.Of(LoadRun(parse.GetValue(a)!), LoadRun(parse.GetValue(b)!));
            }
            catch (FileNotFoundException ex)
            {
                throw new SettingsException(ex.Message);
            }

            if (parse.GetValue(json))
            {
                Console.Out.WriteLine(comparison.ToJson().ToJsonString(JournalJson.Options));
                return Task.FromResult(ExitCodes.Success);
            }

            var sa = comparison.A.Summary;
            var sb = comparison.B.Summary;
            Console.WriteLine($"A {comparison.A.RunId} ({comparison.A.Model}): {sa.Passed}/{sa.Total} passed, pass@1 {Percent(sa.PassAt1)}");
            Console.WriteLine($"B {comparison.B.RunId} ({comparison.B.Model}): {sb.Passed}/{sb.Total} passed, pass@1 {Percent(sb.PassAt1)}");
            Console.WriteLine($"regressed (pass → fail): {Names(comparison.Regressed)}");
            Console.WriteLine($"fixed (fail → pass): {Names(comparison.Fixed)}");
            var table = new Table().AddColumns("task", "change", "A", "B", "tokens A → B", "cost A → B");
            foreach (var task in comparison.Tasks)
            {
                table.AddRow(
                    Markup.Escape(task.Name), task.Change, Outcome(task.A), Outcome(task.B),
                    task.A is null || task.B is null ? "" : $"{N(task.A.MeanTokens)} → {N(task.B.MeanTokens)} ({Signed(task.TokensDelta!.Value)})",
                    task.A is null || task.B is null ? "" : Markup.Escape($"{Usd(task.A.MeanCostUsd)} → {Usd(task.B.MeanCostUsd)}"));
            }

            AnsiConsole.Write(table);
            return Task.FromResult(ExitCodes.Success);
        }));
        return command;
    }

    private static EvalRunResult LoadRun(string reference)
    {
        var byId = Path.Combine(RunsFolder, reference);
        return RunComparison.LoadRun(!File.Exists(reference) && !Directory.Exists(reference) && Directory.Exists(byId) ? byId : reference);
    }

    private static SettingsValues ResolveFlags(ParseResult parse)
    {
        var flags = new SettingsValues
        {
            Model = parse.GetValue(CommonOptions.Model),
            BaseUrl = parse.GetValue(CommonOptions.BaseUrl),
            MaxSteps = parse.GetValue(CommonOptions.MaxSteps),
            Agent = parse.GetValue(CommonOptions.Agent),
            Mode = parse.GetValue(CommonOptions.Mode),
            Environment = parse.GetValue(CommonOptions.Env),
            Sandbox = parse.GetValue(CommonOptions.Sandbox),
            MaxTokens = parse.GetValue(CommonOptions.MaxTokens),
            MaxCostUsd = parse.GetValue(CommonOptions.MaxCost),
            // A relative store is relative to where rein eval runs, not to each trial's workspace.
            Store = parse.GetValue(CommonOptions.Store) is { } store ? Path.GetFullPath(store) : null,
        };
        if (flags.MaxSteps is <= 0 || flags.MaxTokens is <= 0 || flags.MaxCostUsd is <= 0)
        {
            throw new SettingsException("--max-steps, --max-tokens and --max-cost must be positive.");
        }

        if (flags.Sandbox is { } sandbox && sandbox is not ("bubblewrap" or "none"))
        {
            throw new SettingsException($"--sandbox must be bubblewrap or none, not '{sandbox}'.");
        }

        if (parse.GetValue(CommonOptions.MaxTime) is { } time)
        {
            try
            {
                flags = flags with { MaxTime = Guard.Budgets.BudgetLimits.ParseDuration(time) };
            }
            catch (FormatException ex)
            {
                throw new SettingsException($"--max-time: {ex.Message}");
            }
        }

        return flags;
    }

    private static List<EvalTask> Select(EvalSuite suite, string[] names, string[] tags)
    {
        var tasks = suite.Tasks.ToList();
        if (names.Length > 0)
        {
            var unknown = names.Where(n => !tasks.Any(t => Matches(t, n))).ToList();
            if (unknown.Count > 0)
            {
                throw new SettingsException($"No task named {string.Join(", ", unknown)} in {suite.Directory}. Tasks: {string.Join(", ", tasks.Select(t => t.Name))}.");
            }

            tasks = [.. tasks.Where(t => names.Any(n => Matches(t, n)))];
        }

        if (tags.Length > 0)
        {
            tasks = [.. tasks.Where(t => t.Tags.Intersect(tags, StringComparer.Ordinal).Any())];
        }

        return tasks.Count > 0 ? tasks : throw new SettingsException($"No task in {suite.Directory} matches --task/--tag.");
    }

    private static bool Matches(EvalTask task, string name) =>
        task.Name == name || Path.GetFileName(task.Directory) == name;

    private static string ProgressLine(EvalTrialProgress p)
    {
        var r = p.Result;
        var facts = string.Create(CultureInfo.InvariantCulture, $"{r.Steps} steps · {N(r.Tokens)} tokens · {Usd(r.CostUsd)} · {r.DurationSeconds:0.0} s");
        var line = $"[{p.Completed}/{p.Total}] {(r.Passed ? "pass" : "FAIL")}  {p.Task} #{r.Trial}  {facts}";
        return r.FailureReason is { } why ? $"{line}\n        {why.ReplaceLineEndings(" ")[..Math.Min(200, why.ReplaceLineEndings(" ").Length)]}" : line;
    }

    private static void Render(EvalRunResult run, EvalReportFiles files)
    {
        var table = new Table().AddColumns("task", "result", "passes", "steps", "tokens", "cost", "time", "failure");
        foreach (var task in run.Tasks)
        {
            if (task.SkipReason is { } skip)
            {
                table.AddRow(Markup.Escape(task.Name), "[grey]skipped[/]", "", "", "", "", "", Markup.Escape(skip));
                continue;
            }

            var failure = task.Trials.FirstOrDefault(t => !t.Passed)?.FailureReason ?? "";
            failure = failure.ReplaceLineEndings(" ");
            table.AddRow(
                Markup.Escape(task.Name),
                task.Passed ? "[green]pass[/]" : "[red]FAIL[/]",
                $"{task.Passes}/{task.Trials.Count}",
                task.MeanSteps.ToString("0.#", CultureInfo.InvariantCulture),
                N(task.MeanTokens),
                Markup.Escape(Usd(task.MeanCostUsd)),
                task.MeanDurationSeconds.ToString("0.0 s", CultureInfo.InvariantCulture),
                Markup.Escape(failure.Length > 120 ? failure[..117] + "..." : failure));
        }

        var s = run.Summary;
        foreach (var task in run.Malformed)
        {
            table.AddRow(Markup.Escape(task.Name), "[red]malformed[/]", "", "", "", "", "", Markup.Escape(string.Join(" ", task.Problems)));
        }

        AnsiConsole.Write(table);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{s.Total} tasks: {s.Passed} passed, {s.Failed} failed, {s.Skipped} skipped, {s.Malformed} malformed · pass@1 {Percent(s.PassAt1)} · pass@{s.K} {Percent(s.PassAtK)} · {N(s.InputTokens + s.OutputTokens)} tokens · {Usd(s.CostUsd)} · run {run.RunId}"));
        Console.WriteLine($"reports: {files.Markdown}, {files.Html}, {files.Json}");
    }

    private static string Names(IEnumerable<TaskChange> changes) => changes.Any() ? string.Join(", ", changes.Select(c => c.Name)) : "none";

    private static string Outcome(EvalTaskResult? task) =>
        task is null ? "—" : task.SkipReason is not null ? "skipped" : task.Passed ? "[green]pass[/]" : $"[red]fail[/] ({task.Passes}/{task.Trials.Count})";

    private static string Percent(double share) => (share * 100).ToString("0.#", CultureInfo.InvariantCulture) + "%";

    private static string N(double value) => value.ToString("N0", CultureInfo.InvariantCulture);

    private static string Signed(double value) => (value >= 0 ? "+" : "") + value.ToString("N0", CultureInfo.InvariantCulture);

    private static string Usd(decimal cost) => "$" + cost.ToString("0.####", CultureInfo.InvariantCulture);
}
