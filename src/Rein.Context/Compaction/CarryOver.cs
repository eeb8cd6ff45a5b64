using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Extensions.AI;
using Rein.Journal;

namespace Rein.Context.Compaction;

/// <summary>
/// What compaction carries over verbatim, never summarised: the user's requests, the current todo list,
/// project instructions loaded along the way (nested AGENTS.md), and the files modified so far. The
/// system prompt (with the profile and the root AGENTS.md) is never compacted.
/// </summary>
/// <param name="Requests">The user's messages, in order.</param>
/// <param name="Todos">The latest todo list, one line per item, or empty.</param>
/// <param name="Instructions">Instruction blocks that arrived with observations.</param>
/// <param name="ModifiedFiles">Paths written or edited, in first-change order.</param>
public sealed partial record CarryOver(IReadOnlyList<string> Requests, IReadOnlyList<string> Todos, IReadOnlyList<string> Instructions, IReadOnlyList<string> ModifiedFiles)
{
    /// <summary>Collects what must survive compaction from a session's conversation.</summary>
    /// <param name="state">The session.</param>
    /// <param name="replacedMessages">How many messages, from the start, are being replaced.</param>
    public static CarryOver From(SessionState state, int replacedMessages)
    {
        ArgumentNullException.ThrowIfNull(state);
        var requests = new List<string>();
        var todos = new List<string>();
        var instructions = new List<string>();
        var modified = new List<string>();
        for (var i = 0; i < state.Messages.Count; i++)
        {
            var message = state.Messages[i];
            if (message.Role == ChatRole.User && i < replacedMessages)
            {
                requests.Add(message.Text);
            }

            foreach (var content in message.Contents)
            {
                switch (content)
                {
                    case FunctionCallContent { Name: "todo_write" } call when call.Arguments?.TryGetValue("todos", out var list) == true:
                        todos = ParseTodos(list);
                        break;
                    case FunctionCallContent { Name: "write_file" or "edit_file" } call when call.Arguments?.TryGetValue("path", out var path) == true:
                        var text = path is JsonElement { ValueKind: JsonValueKind.String } p ? p.GetString() : path?.ToString();
                        if (!string.IsNullOrEmpty(text) && !modified.Contains(text))
                        {
                            modified.Add(text);
                        }

                        break;
                    case FunctionResultContent result when i < replacedMessages:
                        foreach (Match block in InstructionBlock().Matches(result.Result?.ToString() ?? ""))
                        {
                            if (!instructions.Contains(block.Value))
                            {
                                instructions.Add(block.Value);
                            }
                        }

                        break;
                }
            }
        }

        // The latest text of each nested AGENTS.md, as journaled; blocks from other sources are kept as they were shown.
        var latest = state.Instructions.Select(i => $"<instructions source=\"{i.Path}\">\n{i.Text}\n</instructions>").ToList();
        var sources = state.Instructions.Select(i => $"<instructions source=\"{i.Path}\">").ToList();
        latest.AddRange(instructions.Where(block => !sources.Any(source => block.StartsWith(source, StringComparison.Ordinal))));
        return new CarryOver(requests, todos, latest, modified);
    }

    /// <summary>The summary message: a header, the carried parts verbatim, then the model's summary.</summary>
    /// <param name="throughStep">The last step replaced.</param>
    /// <param name="summary">The model's (or an extractive) summary of the replaced turns.</param>
    public string Format(int throughStep, string summary)
    {
        ArgumentNullException.ThrowIfNull(summary);
        var text = new StringBuilder()
            .Append(Engine.CompactionHeader.Format(throughStep)).Append('\n');
        if (Requests.Count > 0)
        {
            text.Append("\n## The user's requests (verbatim)\n");
            foreach (var request in Requests)
            {
                text.Append(request.TrimEnd()).Append("\n---\n");
            }
        }

        text.Append("\n## Current todo list (verbatim)\n");
        text.Append(Todos.Count == 0 ? "(none)\n" : string.Join('\n', Todos) + "\n");
        if (Instructions.Count > 0)
        {
            text.Append("\n## Project instructions loaded so far (verbatim)\n");
            foreach (var block in Instructions)
            {
                text.Append(block).Append('\n');
            }
        }

        text.Append("\n## Files modified so far\n");
        text.Append(ModifiedFiles.Count == 0 ? "(none)\n" : string.Join('\n', ModifiedFiles.Select(f => "- " + f)) + "\n");
        text.Append("\n## Summary of the work so far\n").Append(summary.Trim()).Append('\n');
        return text.ToString();
    }

    private static List<string> ParseTodos(object? list)
    {
        var items = new List<string>();
        if (list is JsonElement { ValueKind: JsonValueKind.Array } array)
        {
            foreach (var todo in array.EnumerateArray())
            {
                var content = todo.TryGetProperty("content", out var c) ? c.GetString() : null;
                var status = todo.TryGetProperty("status", out var s) ? s.GetString() : null;
                if (content is not null)
                {
                    items.Add($"- [{status ?? "pending"}] {content}");
                }
            }
        }

        return items;
    }

    [GeneratedRegex(@"<instructions source=""[^""]*"">.*?</instructions>", RegexOptions.Singleline)]
    private static partial Regex InstructionBlock();
}
