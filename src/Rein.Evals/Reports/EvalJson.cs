using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Rein.Evals.Running;

namespace Rein.Evals.Reports;

/// <summary>
/// The <c>results.json</c> of a run (format <c>rein-eval/1</c>): the run's fields and totals at the top level
/// (<c>run_id</c>, <c>suite</c>, <c>model</c>, <c>trials</c>, <c>k</c>, <c>total</c>, <c>passed</c>, <c>failed</c>,
/// <c>skipped</c>, <c>malformed</c>, <c>pass_at_1</c>, <c>pass_at_k</c>, tokens, <c>cost_usd</c>, …), <c>tasks</c>, each
/// with its trials under <c>results</c> (and their <c>tests</c>), and <c>malformed_tasks</c> with each problem's file, line
/// and field.
/// </summary>
public static class EvalJson
{
    /// <summary>The format marker written to <c>results.json</c>.</summary>
    public const string Format = "rein-eval/1";

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    /// <summary>Builds the JSON object of a run.</summary>
    /// <param name="run">The run.</param>
    /// <returns>The object; callers may add fields (e.g. report paths).</returns>
    /// <exception cref="ArgumentNullException"><paramref name="run"/> is null.</exception>
    public static JsonObject ToJson(EvalRunResult run)
    {
        ArgumentNullException.ThrowIfNull(run);
        var s = run.Summary;
        return new JsonObject
        {
            ["format"] = Format,
            ["run_id"] = run.RunId,
            ["suite"] = run.Suite,
            ["model"] = run.Model,
            ["trials"] = run.Trials,
            ["k"] = s.K,
            ["started_at"] = run.StartedAt,
            ["duration_s"] = Round(run.DurationSeconds),
            ["total"] = s.Total,
            ["passed"] = s.Passed,
            ["failed"] = s.Failed,
            ["skipped"] = s.Skipped,
            ["malformed"] = s.Malformed,
            ["trials_run"] = s.TrialsRun,
            ["trials_passed"] = s.TrialsPassed,
            ["pass_at_1"] = Round(s.PassAt1),
            ["pass_at_k"] = Round(s.PassAtK),
            ["input_tokens"] = s.InputTokens,
            ["output_tokens"] = s.OutputTokens,
            ["tokens"] = s.InputTokens + s.OutputTokens,
            ["cost_usd"] = s.CostUsd,
            ["tasks"] = new JsonArray([.. run.Tasks.Select(t => (JsonNode)Task(t))]),
            ["malformed_tasks"] = new JsonArray([.. run.Malformed.Select(m => (JsonNode)new JsonObject
            {
                ["name"] = m.Name,
                ["problems"] = new JsonArray([.. m.Problems.Select(p => (JsonNode)new JsonObject
                {
                    ["file"] = p.File,
                    ["line"] = p.Line,
                    ["field"] = p.Field,
                    ["message"] = p.Message,
                })]),
            })]),
        };
    }

    /// <summary>Writes a run as indented JSON.</summary>
    /// <param name="node">The object from <see cref="ToJson"/>.</param>
    /// <returns>The text.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="node"/> is null.</exception>
    public static string Write(JsonNode node)
    {
        ArgumentNullException.ThrowIfNull(node);
        return node.ToJsonString(Indented);
    }

    /// <summary>Reads a run back from <c>results.json</c>.</summary>
    /// <param name="path">The file.</param>
    /// <returns>The run.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="path"/> is null.</exception>
    /// <exception cref="FormatException">The file is not a Rein eval result.</exception>
    /// <exception cref="IOException">The file cannot be read.</exception>
    public static EvalRunResult Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        try
        {
            using var document = JsonDocument.Parse(File.ReadAllText(path));
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("format", out var format) || format.GetString() != Format)
            {
                throw new FormatException($"{path}: not a Rein eval result (expected \"format\": \"{Format}\").");
            }

            return new EvalRunResult(
                Str(root, "run_id") ?? "",
                Str(root, "suite") ?? "",
                Str(root, "model") ?? "",
                root.GetProperty("trials").GetInt32(),
                root.GetProperty("started_at").GetDateTimeOffset(),
                root.GetProperty("duration_s").GetDouble(),
                [.. root.GetProperty("tasks").EnumerateArray().Select(ReadTask)])
            {
                Malformed = root.TryGetProperty("malformed_tasks", out var malformed) && malformed.ValueKind == JsonValueKind.Array && malformed.GetArrayLength() > 0
                    ? [.. malformed.EnumerateArray().Select(m => new Suites.EvalMalformedTask(
                        Str(m, "name") ?? "",
                        "",
                        [.. m.GetProperty("problems").EnumerateArray().Select(p => new Suites.EvalTaskProblem(
                            Str(p, "file") ?? "", p.GetProperty("line").GetInt64(), Str(p, "field"), Str(p, "message") ?? ""))]))]
                    : [],
            };
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            throw new FormatException($"{path}: not a valid Rein eval result: {Engine.ErrorText.Of(ex)}", ex);
        }
    }

    private static JsonObject Task(EvalTaskResult task) => new()
    {
        ["name"] = task.Name,
        ["tags"] = new JsonArray([.. task.Tags.Select(t => (JsonNode)JsonValue.Create(t))]),
        ["skipped"] = task.SkipReason,
        ["passed"] = task.Passed,
        ["passes"] = task.Passes,
        ["trials"] = task.Trials.Count,
        ["pass_at_1"] = Round(task.PassAt1),
        ["pass_at_k"] = Round(task.PassAtTrials),
        ["mean_steps"] = Round(task.MeanSteps),
        ["mean_tokens"] = Round(task.MeanTokens),
        ["mean_cost_usd"] = task.MeanCostUsd,
        ["mean_duration_s"] = Round(task.MeanDurationSeconds),
        ["results"] = new JsonArray([.. task.Trials.Select(r => (JsonNode)new JsonObject
        {
            ["trial"] = r.Trial,
            ["passed"] = r.Passed,
            ["session_id"] = r.SessionId,
            ["steps"] = r.Steps,
            ["input_tokens"] = r.InputTokens,
            ["output_tokens"] = r.OutputTokens,
            ["tokens"] = r.Tokens,
            ["cost_usd"] = r.CostUsd,
            ["duration_s"] = Round(r.DurationSeconds),
            ["stop_reason"] = r.StopReason,
            ["failure_reason"] = r.FailureReason,
            ["tests"] = new JsonArray([.. r.Tests.Select(t => (JsonNode)new JsonObject { ["name"] = t.Name, ["outcome"] = t.Outcome })]),
        })]),
    };

    private static EvalTaskResult ReadTask(JsonElement task) => new(
        Str(task, "name") ?? "",
        task.TryGetProperty("tags", out var tags) && tags.ValueKind == JsonValueKind.Array ? [.. tags.EnumerateArray().Select(t => t.GetString() ?? "")] : [],
        Str(task, "skipped"),
        task.TryGetProperty("results", out var results) ? [.. results.EnumerateArray().Select(r => new EvalTrialResult(
            r.GetProperty("trial").GetInt32(),
            r.GetProperty("passed").GetBoolean(),
            Str(r, "session_id"),
            r.GetProperty("steps").GetInt32(),
            r.GetProperty("input_tokens").GetInt64(),
            r.GetProperty("output_tokens").GetInt64(),
            r.GetProperty("cost_usd").GetDecimal(),
            r.GetProperty("duration_s").GetDouble(),
            Str(r, "stop_reason") ?? "",
            Str(r, "failure_reason"))
        {
            Tests = r.TryGetProperty("tests", out var tests) && tests.ValueKind == JsonValueKind.Array && tests.GetArrayLength() > 0
                ? [.. tests.EnumerateArray().Select(t => new EvalTestResult(Str(t, "name") ?? "", Str(t, "outcome") ?? ""))]
                : [],
        })] : []);

    private static string? Str(JsonElement obj, string name) =>
        obj.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static double Round(double value) => Math.Round(value, 4, MidpointRounding.AwayFromZero);

    /// <summary>Formats a share as a percentage for the reports, e.g. <c>66.7%</c>.</summary>
    internal static string Percent(double share) => (share * 100).ToString("0.#", CultureInfo.InvariantCulture) + "%";

    /// <summary>Formats US dollars for the reports.</summary>
    internal static string Usd(decimal cost) => "$" + cost.ToString("0.####", CultureInfo.InvariantCulture);

    /// <summary>Formats a whole count with thousands separators.</summary>
    internal static string Count(double value) => value.ToString("N0", CultureInfo.InvariantCulture);
}
