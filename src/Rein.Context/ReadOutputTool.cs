using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Rein.Context.Shaping;
using Rein.Tools;

namespace Rein.Context;

/// <summary>
/// The <c>read_output</c> tool: pages through the whole output of an earlier tool call — one that was cut,
/// elided by masking, or dropped by compaction. The journal keeps every output whole.
/// </summary>
/// <remarks>The session's read rules apply to what is shown again: the output of a read of a file they now deny is refused, and such files' lines are dropped from a search's output.</remarks>
/// <param name="engine">The context engine that holds the session's outputs.</param>
public sealed partial class ReadOutputTool(ContextEngine engine) : ITool
{
    private static readonly JsonElement Schema = JsonDocument.Parse("""
        {"type":"object","properties":{
        "step":{"type":"integer","minimum":1,"description":"Step whose output to show"},
        "call_id":{"type":"string","description":"Call id, when the step made several calls"},
        "start_line":{"type":"integer","minimum":1},
        "max_lines":{"type":"integer","minimum":1,"maximum":2000}},
        "additionalProperties":false}
        """).RootElement.Clone();

    /// <inheritdoc />
    public ToolDefinition Definition { get; } = new(
        "read_output",
        "Show the full output of an earlier tool call that was cut or elided, by step (and call_id), in pages of lines.",
        Schema,
        ReadOnly: true);

    /// <inheritdoc />
    public ValueTask<ToolResult> InvokeAsync(ToolInvocation invocation, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(invocation);
        var args = invocation.Arguments;
        int? step = args.TryGetProperty("step", out var s) && s.ValueKind == JsonValueKind.Number ? s.GetInt32() : null;
        var callId = args.TryGetProperty("call_id", out var c) && c.ValueKind == JsonValueKind.String ? c.GetString() : null;
        var start = args.TryGetProperty("start_line", out var l) && l.ValueKind == JsonValueKind.Number ? l.GetInt32() : 1;
        var max = args.TryGetProperty("max_lines", out var m) && m.ValueKind == JsonValueKind.Number ? m.GetInt32() : OutputPager.DefaultPageLines;
        if (step is null && callId is null)
        {
            return ValueTask.FromResult(ToolResult.Error("Give the step (and call_id when the step made several calls) whose output to show."));
        }

        if (engine.FindOutput(invocation.Context.SessionId, step, callId) is not { } found)
        {
            return ValueTask.FromResult(ToolResult.Error(string.Create(CultureInfo.InvariantCulture,
                $"No tool output for step {step?.ToString(CultureInfo.InvariantCulture) ?? "?"}{(callId is null ? "" : $" call {callId}")} in this session.")));
        }

        var (item, calls) = found;
        var text = item.Original;
        if (invocation.Context.FileAccess is { } access)
        {
            // Outputs are kept from before the rules in force now (a resumed session may have new deny rules): the
            // rules apply to what an earlier read showed, by the real target of each file in it.
            bool Denied(string path) =>
                access.CheckRead(RealPath.Resolve(path, invocation.Context.WorkspaceRoot) ?? Path.Join(invocation.Context.WorkspaceRoot, path)).Decision == FileAccessDecision.Deny;
            if (item.Tool == "read_file" && item.View?.Path is { } read && Denied(read))
            {
                return ValueTask.FromResult(ToolResult.Error($"The output of step {item.Step} shows '{read}', which the policy does not allow reading."));
            }

            if (item.Tool == "grep")
            {
                text = string.Join('\n', text.Split('\n').Where(line => GrepLine().Match(line) is not { Success: true } m || !Denied(m.Groups[1].Value)));
            }
        }

        var total = text.Length == 0 ? 0 : text.Count(ch => ch == '\n') + (text[^1] == '\n' ? 0 : 1);
        if (start > Math.Max(1, total))
        {
            return ValueTask.FromResult(ToolResult.Error(string.Create(CultureInfo.InvariantCulture, $"start_line {start} is past the end: the output has {total} lines.")));
        }

        var page = OutputPager.Page(text, start, max, out var next);
        var header = string.Create(CultureInfo.InvariantCulture, $"[output of step {item.Step} ({item.CallSummary})");
        if (callId is null && calls.Count > 1)
        {
            header += $"; this step made {calls.Count} calls: {string.Join(", ", calls)} — pass call_id for another";
        }

        return ValueTask.FromResult(ToolResult.Ok(header + "]\n" + OutputPager.Describe(page, start, next, total)));
    }

    [GeneratedRegex(@"^(.+?):[0-9]+:", RegexOptions.CultureInvariant)]
    private static partial Regex GrepLine();
}
