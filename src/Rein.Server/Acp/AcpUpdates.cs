using System.Text.Json;
using System.Text.Json.Nodes;
using Rein.Engine;
using Rein.Journal;

namespace Rein.Server.Acp;

/// <summary>
/// Turns what a Rein session does into ACP <c>session/update</c> payloads: streamed text as <c>agent_message_chunk</c>, tool
/// calls as <c>tool_call</c> then <c>tool_call_update</c> (<c>pending → in_progress → completed|failed</c>, file changes as
/// diffs), <c>todo_write</c> as a <c>plan</c>, and model calls as <c>usage_update</c>.
/// </summary>
/// <remarks>One per prompt turn (or replay); not thread-safe.</remarks>
internal sealed class AcpUpdates
{
    private readonly string _workspace;
    private readonly long? _contextWindow;
    private readonly Dictionary<string, (string Name, JsonElement? Arguments, string? Path, string? OldText)> _calls = new(StringComparer.Ordinal);
    private readonly bool _streamedText;

    private AcpUpdates(string workspace, long? contextWindow, bool replay)
    {
        _workspace = workspace;
        _contextWindow = contextWindow;
        _streamedText = !replay;
    }

    /// <summary>Creates a mapper for a prompt turn: text arrives as deltas, and usage is reported against <paramref name="contextWindow"/> (none when null).</summary>
    public static AcpUpdates ForTurn(string workspace, long? contextWindow) => new(workspace, contextWindow, replay: false);

    /// <summary>Creates a mapper for a replay of stored events, where the user's messages and the answers' text come from the journal.</summary>
    public static AcpUpdates ForReplay(string workspace) => new(workspace, contextWindow: null, replay: true);

    /// <summary>The updates one of the run's updates makes.</summary>
    public IEnumerable<JsonObject> Map(AgentUpdate update)
    {
        switch (update)
        {
            case TextDelta delta when delta.Text.Length > 0:
                yield return Chunk("agent_message_chunk", delta.Text);
                break;
            case EventAppended appended:
                foreach (var mapped in Map(appended.Recorded.Event))
                {
                    yield return mapped;
                }

                break;
        }
    }

    /// <summary>The updates one journaled event makes.</summary>
    public IEnumerable<JsonObject> Map(SessionEvent e)
    {
        switch (e)
        {
            case UserMessage user when !_streamedText:
                yield return Chunk("user_message_chunk", user.Text);
                break;
            case ModelCalled called:
                if (!_streamedText && called.Text is { Length: > 0 } text)
                {
                    yield return Chunk("agent_message_chunk", text);
                }

                if (_streamedText && _contextWindow is { } size && called.ContextTokens is { } used)
                {
                    var usage = new JsonObject { ["sessionUpdate"] = "usage_update", ["used"] = used, ["size"] = size };
                    if (called.CostUsd is { } cost)
                    {
                        usage["cost"] = new JsonObject { ["amount"] = (double)cost, ["currency"] = "USD" };
                    }

                    yield return usage;
                }

                break;
            case ToolCallProposed proposed:
                foreach (var mapped in Proposed(proposed))
                {
                    yield return mapped;
                }

                break;
            case ToolStarted started:
                yield return new JsonObject { ["sessionUpdate"] = "tool_call_update", ["toolCallId"] = started.CallId, ["status"] = "in_progress" };
                break;
            case ToolCompleted completed:
                yield return Completed(completed);
                break;
        }
    }

    /// <summary>A <c>tool_call</c> payload (also the tool call of a permission request).</summary>
    public JsonObject ToolCall(string callId, string name, JsonElement? arguments, string status)
    {
        var path = PathArgument(name, arguments);
        var call = new JsonObject
        {
            ["toolCallId"] = callId,
            ["title"] = Title(name, arguments, path),
            ["kind"] = Kind(name),
            ["status"] = status,
        };
        if (arguments is { } raw)
        {
            call["rawInput"] = JsonNode.Parse(raw.GetRawText());
        }

        if (path is not null)
        {
            call["locations"] = new JsonArray((JsonNode)new JsonObject { ["path"] = path });
        }

        return call;
    }

    /// <summary>The ACP tool kind of a Rein tool.</summary>
    public static string Kind(string tool) => tool switch
    {
        "read_file" or "read_output" or "recall" => "read",
        "write_file" or "edit_file" => "edit",
        "list_files" or "grep" => "search",
        "shell" => "execute",
        "fetch_url" => "fetch",
        "todo_write" or "task" or "remember" => "think",
        "forget" => "delete",
        _ => "other",
    };

    private IEnumerable<JsonObject> Proposed(ToolCallProposed proposed)
    {
        var path = PathArgument(proposed.Name, proposed.Arguments);
        // The file as it was before the call, for the diff the editor shows once it has run.
        var oldText = Kind(proposed.Name) == "edit" && path is not null && File.Exists(path) ? ReadText(path) : null;
        _calls[proposed.CallId] = (proposed.Name, proposed.Arguments, path, oldText);
        var call = ToolCall(proposed.CallId, proposed.Name, proposed.Arguments, "pending");
        call["sessionUpdate"] = "tool_call";
        yield return call;
        if (proposed.Name == "todo_write" && proposed.Arguments is { } arguments && Plan(arguments) is { } plan)
        {
            yield return plan;
        }
    }

    private JsonObject Completed(ToolCompleted completed)
    {
        var update = new JsonObject
        {
            ["sessionUpdate"] = "tool_call_update",
            ["toolCallId"] = completed.CallId,
            ["status"] = completed.Outcome == ToolOutcome.Success ? "completed" : "failed",
        };
        var content = new JsonArray();
        if (completed.Outcome == ToolOutcome.Success && _calls.TryGetValue(completed.CallId, out var call) && Kind(call.Name) == "edit" && call.Path is { } path && (call.Name == "write_file" || File.Exists(path)))
        {
            // What write_file wrote is its argument (the editor's buffer may hold it rather than the disk).
            var written = call.Name == "write_file" && call.Arguments is { ValueKind: JsonValueKind.Object } args && args.TryGetProperty("content", out var c) && c.ValueKind == JsonValueKind.String
                ? c.GetString()
                : ReadText(path);
            if (written is not null)
            {
                var diff = new JsonObject { ["type"] = "diff", ["path"] = path, ["newText"] = written };
                if (call.OldText is not null)
                {
                    diff["oldText"] = call.OldText;
                }

                content.Add((JsonNode)diff);
            }
        }

        content.Add((JsonNode)new JsonObject { ["type"] = "content", ["content"] = new JsonObject { ["type"] = "text", ["text"] = completed.Result } });
        update["content"] = content;
        return update;
    }

    private static JsonObject? Plan(JsonElement arguments)
    {
        if (arguments.ValueKind != JsonValueKind.Object || !arguments.TryGetProperty("todos", out var todos) || todos.ValueKind != JsonValueKind.Array)
        {
            return null;
        }

        var entries = new JsonArray();
        foreach (var todo in todos.EnumerateArray())
        {
            if (todo.ValueKind == JsonValueKind.Object && todo.TryGetProperty("content", out var c) && c.ValueKind == JsonValueKind.String
                && todo.TryGetProperty("status", out var s) && s.GetString() is "pending" or "in_progress" or "completed")
            {
                entries.Add((JsonNode)new JsonObject { ["content"] = c.GetString(), ["priority"] = "medium", ["status"] = s.GetString() });
            }
        }

        return new JsonObject { ["sessionUpdate"] = "plan", ["entries"] = entries };
    }

    private string? PathArgument(string name, JsonElement? arguments)
    {
        if (arguments is not { ValueKind: JsonValueKind.Object } args || !args.TryGetProperty("path", out var p) || p.ValueKind != JsonValueKind.String
            || name is not ("read_file" or "write_file" or "edit_file" or "list_files" or "grep"))
        {
            return null;
        }

        var path = Path.GetFullPath(Path.Combine(_workspace, p.GetString()!));
        // Only files of the session's workspace are read for diffs and shown as locations: judged by where links really lead.
        var real = Rein.Tools.RealPath.Resolve(path) ?? path;
        var root = Rein.Tools.RealPath.Resolve(_workspace) ?? _workspace;
        return real == root || real.StartsWith(root.TrimEnd(Path.DirectorySeparatorChar) + Path.DirectorySeparatorChar, StringComparison.Ordinal) ? path : null;
    }

    private static string Title(string name, JsonElement? arguments, string? path)
    {
        if (arguments is { ValueKind: JsonValueKind.Object } args)
        {
            if (name == "shell" && args.TryGetProperty("command", out var command) && command.ValueKind == JsonValueKind.String)
            {
                return "shell: " + Shorten(command.GetString()!);
            }

            if (name == "fetch_url" && args.TryGetProperty("url", out var url) && url.ValueKind == JsonValueKind.String)
            {
                return "fetch " + Shorten(url.GetString()!);
            }
        }

        return path is null ? name : $"{name} {path}";
    }

    private static string Shorten(string text) => text.Length <= 120 ? text.ReplaceLineEndings(" ") : text[..117].ReplaceLineEndings(" ") + "...";

    private static string? ReadText(string path)
    {
        try
        {
            var info = new FileInfo(path);
            return info.Length <= 1_000_000 ? File.ReadAllText(path) : null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static JsonObject Chunk(string kind, string text) => new()
    {
        ["sessionUpdate"] = kind,
        ["content"] = new JsonObject { ["type"] = "text", ["text"] = text },
    };
}
