using System.Text.Json;
using Rein.Context.CodeMemory;

namespace Rein.Context.Benchmark;

/// <summary>A recorded agent run in the <c>rein-trajectory/1</c> format: prompt, and every step's action and observation.</summary>
/// <param name="Id">The trajectory's identifier.</param>
/// <param name="System">The system prompt the agent sent.</param>
/// <param name="Task">The first user message.</param>
/// <param name="Demonstrations">Messages sent between system and task, if any.</param>
/// <param name="Steps">The steps, in order.</param>
public sealed record Trajectory(string Id, string System, string Task, IReadOnlyList<string> Demonstrations, IReadOnlyList<TrajectoryStep> Steps)
{
    /// <summary>The format name files must carry.</summary>
    public const string Format = "rein-trajectory/1";

    /// <summary>Reads a trajectory file.</summary>
    /// <exception cref="FormatException">The file is not a valid trajectory.</exception>
    public static Trajectory Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        using var document = JsonDocument.Parse(File.ReadAllBytes(path));
        var root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Object || String(root, "format") != Format)
        {
            throw new FormatException($"{path}: not a {Format} file.");
        }

        var steps = new List<TrajectoryStep>();
        if (!root.TryGetProperty("steps", out var stepArray) || stepArray.ValueKind != JsonValueKind.Array)
        {
            throw new FormatException($"{path}: 'steps' must be an array.");
        }

        foreach (var step in stepArray.EnumerateArray())
        {
            var tool = String(step, "tool") ?? throw new FormatException($"{path}: step {steps.Count + 1} has no 'tool'.");
            var args = step.TryGetProperty("args", out var a) && a.ValueKind == JsonValueKind.Object ? a.GetRawText() : "{}";
            FileView? view = null;
            if (step.TryGetProperty("file_view", out var fv) && fv.ValueKind == JsonValueKind.Object)
            {
                var lines = fv.GetProperty("lines").EnumerateArray().Select(l => l.GetString() ?? "").ToList();
                var endLine = a.ValueKind == JsonValueKind.Object && a.TryGetProperty("end_line", out var e) ? e : default;
                view = new FileView(String(fv, "path") ?? "", fv.GetProperty("start_line").GetInt32(), lines,
                    ReachesEnd: tool == "read_file" && endLine.ValueKind == JsonValueKind.Null);
            }

            var assistant = String(step, "assistant") ?? "";
            var call = (tool == "shell" ? String(a, "command") : String(a, "raw")) ?? args;
            steps.Add(new TrajectoryStep(
                assistant,
                tool,
                assistant.Contains(call, StringComparison.Ordinal) ? "" : call,
                ArgumentText(a, tool),
                String(step, "observation") ?? "",
                view));
        }

        var demonstrations = root.TryGetProperty("demonstrations", out var demos) && demos.ValueKind == JsonValueKind.Array
            ? demos.EnumerateArray().Select(d => d.GetString() ?? "").ToList()
            : [];
        return new Trajectory(String(root, "id") ?? Path.GetFileNameWithoutExtension(path), String(root, "system") ?? "", String(root, "task") ?? "", demonstrations, steps);
    }

    /// <summary>Reads every <c>*.json</c> trajectory of a folder, in name order.</summary>
    public static IReadOnlyList<Trajectory> LoadFolder(string folder) =>
        [.. Directory.GetFiles(folder, "*.json").Order(StringComparer.Ordinal).Select(Load)];

    private static string? String(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static string ArgumentText(JsonElement args, string tool)
    {
        if (args.ValueKind != JsonValueKind.Object)
        {
            return tool;
        }

        var main = String(args, "command") ?? String(args, "raw") ?? String(args, "path") ?? "";
        var firstLine = main.Split('\n')[0];
        return firstLine.Length > 60 ? firstLine[..60] + "…" : firstLine;
    }
}

/// <summary>One step of a trajectory: one tool call and its observation.</summary>
/// <param name="Assistant">The model's message text.</param>
/// <param name="Tool">The tool: <c>read_file</c>, <c>edit_file</c>, <c>write_file</c> or <c>shell</c>.</param>
/// <param name="CallText">The call as the model wrote it (the command), empty when the assistant text already holds it.</param>
/// <param name="ArgumentSummary">The call's main argument, shortened.</param>
/// <param name="Observation">Exactly what the tool returned.</param>
/// <param name="View">The file lines the observation shows, when known.</param>
public sealed record TrajectoryStep(string Assistant, string Tool, string CallText, string ArgumentSummary, string Observation, FileView? View);
