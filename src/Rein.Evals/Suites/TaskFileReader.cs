using System.Globalization;
using Rein.Guard.Budgets;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Rein.Evals.Suites;

/// <summary>Reads one <c>task.yaml</c>, in Rein's layout or Terminal-Bench's, collecting every problem as <c>file:line: field 'x': …</c>.</summary>
internal static class TaskFileReader
{
    private static readonly string[] LimitKeys = ["max_steps", "max_tokens", "max_cost", "max_cost_usd", "timeout", "timeout_seconds", "grader_timeout", "grader_timeout_seconds"];

    /// <summary>Reads a task folder; returns null and adds to <paramref name="errors"/> when it is invalid.</summary>
    public static EvalTask? Read(string folder, string name, List<EvalTaskProblem> errors)
    {
        var file = Path.Combine(folder, EvalSuite.TaskFile);
        var before = errors.Count;
        YamlMappingNode? map;
        try
        {
            var stream = new YamlStream();
            using (var reader = new StringReader(PyYamlCompatibility.Prepare(File.ReadAllText(file))))
            {
                stream.Load(reader);
            }

            map = stream.Documents.Count == 0 ? null : stream.Documents[0].RootNode as YamlMappingNode;
        }
        catch (YamlException ex)
        {
            errors.Add(new EvalTaskProblem(file, ex.Start.Line, null, $"invalid YAML: {ex.Message}"));
            return null;
        }

        if (map is null)
        {
            errors.Add(new EvalTaskProblem(file, 1, null, "a task file is a mapping with at least 'instruction' (and 'grader' unless it is a Terminal-Bench task)."));
            return null;
        }

        var fields = new Fields(file, map, errors);
        var terminalBench = !fields.Has("grader") && !Directory.Exists(Path.Combine(folder, "workspace"))
            && (File.Exists(Path.Combine(folder, TerminalBench.RunTestsScript)) || Directory.Exists(Path.Combine(folder, TerminalBench.TestsFolder)));
        var instruction = fields.String("instruction", required: true);
        var tags = fields.StringList("tags", required: false);
        var limits = ReadLimits(fields);
        List<string> grader;
        string? skip = null;
        if (terminalBench)
        {
            if (fields.PositiveNumber("max_agent_timeout_sec") is { } agentSeconds)
            {
                limits = limits with { Timeout = limits.Timeout ?? TimeSpan.FromSeconds((double)agentSeconds) };
            }

            if (fields.PositiveNumber("max_test_timeout_sec") is { } testSeconds)
            {
                limits = limits with { GraderTimeout = limits.GraderTimeout ?? TimeSpan.FromSeconds((double)testSeconds) };
            }

            // Without its own run-tests.sh, Terminal-Bench runs its default script: pytest on tests/test_outputs.py.
            grader = [File.Exists(Path.Combine(folder, TerminalBench.RunTestsScript)) ? $"bash {TerminalBench.RunTestsScript}" : TerminalBench.DefaultTestCommand];
            skip = TerminalBench.WhyDockerIsNeeded(folder, instruction);
        }
        else
        {
            grader = fields.StringList("grader", required: true);
            if (fields.Has("grader") && grader.Count == 0)
            {
                errors.Add(new EvalTaskProblem(file, fields.Line("grader"), "grader", "field 'grader': list at least one command."));
            }

            var workspace = Path.Combine(folder, "workspace");
            if (File.Exists(workspace))
            {
                errors.Add(new EvalTaskProblem(file, 0, "workspace", "'workspace' must be a folder (the starting workspace)."));
            }
        }

        return errors.Count > before ? null : new EvalTask(name, folder, terminalBench ? EvalTaskLayout.TerminalBench : EvalTaskLayout.Rein, instruction!, grader, limits, tags) { SkipReason = skip };
    }

    private static EvalLimits ReadLimits(Fields fields)
    {
        if (!fields.Has("limits"))
        {
            return EvalLimits.None;
        }

        if (fields.Node("limits") is not YamlMappingNode limits)
        {
            fields.Error("limits", "must be a mapping (max_steps, max_tokens, max_cost, timeout, grader_timeout).");
            return EvalLimits.None;
        }

        var inner = new Fields(fields.File, limits, fields.Errors, "limits.");
        foreach (var key in inner.Keys)
        {
            if (!LimitKeys.Contains(key, StringComparer.Ordinal))
            {
                inner.Error(key, $"unknown limit; known: {string.Join(", ", LimitKeys)}.");
            }
        }

        var steps = inner.PositiveNumber("max_steps");
        if (steps is { } s && (s != decimal.Truncate(s) || s > int.MaxValue))
        {
            inner.Error("max_steps", "must be a positive whole number.");
        }

        var tokens = inner.PositiveNumber("max_tokens");
        return new EvalLimits(
            steps is { } st && st == decimal.Truncate(st) && st <= int.MaxValue ? (int)st : null,
            tokens is { } t ? (long)t : null,
            inner.PositiveNumber("max_cost") ?? inner.PositiveNumber("max_cost_usd"),
            inner.Duration("timeout") ?? inner.Duration("timeout_seconds"),
            inner.Duration("grader_timeout") ?? inner.Duration("grader_timeout_seconds"));
    }

    /// <summary>Typed access to a mapping's fields, adding an error (with file and line) for each bad value.</summary>
    private sealed class Fields(string file, YamlMappingNode map, List<EvalTaskProblem> errors, string prefix = "")
    {
        public string File => file;

        public List<EvalTaskProblem> Errors => errors;

        public IEnumerable<string> Keys => map.Children.Keys.OfType<YamlScalarNode>().Select(k => k.Value ?? "");

        public bool Has(string key) => map.Children.ContainsKey(new YamlScalarNode(key));

        public YamlNode? Node(string key) => map.Children.TryGetValue(new YamlScalarNode(key), out var node) ? node : null;

        public long Line(string key) => Node(key)?.Start.Line ?? map.Start.Line;

        public void Error(string key, string message) => errors.Add(new EvalTaskProblem(file, Line(key), prefix + key, $"field '{prefix}{key}': {message}"));

        private void Required(string key) => errors.Add(new EvalTaskProblem(file, map.Start.Line, prefix + key, $"field '{prefix}{key}' is required."));

        public string? String(string key, bool required)
        {
            switch (Node(key))
            {
                case null:
                    if (required)
                    {
                        Required(key);
                    }

                    return null;
                case YamlScalarNode { Value: { Length: > 0 } value } when !string.IsNullOrWhiteSpace(value):
                    return value;
                default:
                    Error(key, "must be a non-empty string.");
                    return null;
            }
        }

        public List<string> StringList(string key, bool required)
        {
            switch (Node(key))
            {
                case null:
                    if (required)
                    {
                        Required(key);
                    }

                    return [];
                case YamlScalarNode { Value: { Length: > 0 } one }:
                    return [one];
                case YamlSequenceNode list:
                    var values = new List<string>();
                    foreach (var item in list.Children)
                    {
                        if (item is YamlScalarNode { Value: { } value } && !string.IsNullOrWhiteSpace(value))
                        {
                            values.Add(value);
                        }
                        else
                        {
                            errors.Add(new EvalTaskProblem(file, item.Start.Line, prefix + key, $"field '{prefix}{key}': each entry must be a non-empty string."));
                        }
                    }

                    return values;
                default:
                    Error(key, "must be a list of strings.");
                    return [];
            }
        }

        public decimal? PositiveNumber(string key)
        {
            switch (Node(key))
            {
                case null:
                    return null;
                case YamlScalarNode { Value: { } text } when decimal.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var n) && n > 0:
                    return n;
                default:
                    Error(key, "must be a positive number.");
                    return null;
            }
        }

        public TimeSpan? Duration(string key)
        {
            switch (Node(key))
            {
                case null:
                    return null;
                case YamlScalarNode { Value: { } text } when decimal.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds):
                    if (seconds > 0)
                    {
                        return TimeSpan.FromSeconds((double)seconds);
                    }

                    break;
                case YamlScalarNode { Value: { } text }:
                    try
                    {
                        return BudgetLimits.ParseDuration(text);
                    }
                    catch (FormatException)
                    {
                    }

                    break;
            }

            Error(key, "must be seconds (90) or a duration (90s, 5m, 1h).");
            return null;
        }
    }
}
