using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using Rein.Tools;

namespace Rein.Memory;

/// <summary>Creates the <c>remember</c>, <c>recall</c> and <c>forget</c> tools of a session.</summary>
public static class MemoryTools
{
    /// <summary>Creates the three memory tools over a store, for the scopes a session sees.</summary>
    /// <param name="store">The memory store.</param>
    /// <param name="visibility">This session's user, agent profile and project.</param>
    /// <returns><c>remember</c>, <c>recall</c> and <c>forget</c>.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public static IReadOnlyList<ITool> Create(MemoryStore store, MemoryVisibility visibility)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(visibility);
        return [new RememberTool(store, visibility), new RecallTool(store, visibility), new ForgetTool(store, visibility)];
    }

    /// <summary>Renders a memory as one line for the model: <c>[id] (scope kind) text</c>.</summary>
    internal static string Line(MemoryEntry entry) =>
        $"[{entry.Id}] ({MemoryNames.Of(entry.Scope)}{(entry.Kind == MemoryKind.Preference ? " preference" : "")}) {entry.Text.ReplaceLineEndings(" ")}";

    internal static JsonElement Schema(string json) => ToolSchemas.Parse(json);

    internal static string? String(JsonElement arguments, string name) =>
        arguments.ValueKind == JsonValueKind.Object && arguments.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null
            ? value.ValueKind == JsonValueKind.String ? value.GetString() : throw new ArgumentException($"Argument '{name}' must be a string.")
            : null;

    /// <summary>Runs a tool body, turning bad arguments and an unusable database into results the model can act on.</summary>
    internal static async ValueTask<ToolResult> GuardAsync(Func<ValueTask<ToolResult>> body)
    {
        try
        {
            return await body().ConfigureAwait(false);
        }
        catch (ArgumentException ex)
        {
            return ToolResult.Error(ex.Message);
        }
        catch (InvalidOperationException ex)
        {
            return ToolResult.Error(ex.Message);
        }
        catch (SqliteException ex)
        {
            return ToolResult.Error($"The memory store is unavailable ({ex.SqliteErrorCode}): {ex.Message}");
        }
    }
}

/// <summary>The <c>remember</c> tool: stores a fact or preference for later sessions.</summary>
/// <remarks>
/// Marked read-only: it changes neither the workspace nor the outside world, only Rein's own memory file (like
/// <c>todo_write</c> changes only the plan). Thread-safe.
/// </remarks>
internal sealed class RememberTool(MemoryStore store, MemoryVisibility visibility) : ITool
{
    public ToolDefinition Definition { get; } = new(
        "remember",
        "Save a durable fact or user preference for future sessions. scope: project (default), user (all projects) or agent. Preferences are always shown.",
        MemoryTools.Schema("""
            {"type":"object","properties":{
            "text":{"type":"string","minLength":1},
            "scope":{"enum":["user","agent","project"]},
            "kind":{"enum":["fact","preference"]}},
            "required":["text"],"additionalProperties":false}
            """),
        ReadOnly: true);

    public ValueTask<ToolResult> InvokeAsync(ToolInvocation invocation, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(invocation);
        return MemoryTools.GuardAsync(async () =>
        {
            var text = MemoryTools.String(invocation.Arguments, "text") ?? throw new ArgumentException("Missing required argument 'text'.");
            var scopeName = MemoryTools.String(invocation.Arguments, "scope") ?? "project";
            if (!MemoryNames.TryParseScope(scopeName, out var scope))
            {
                return ToolResult.Error($"Unknown scope '{scopeName}'; use user, agent or project.");
            }

            var kindName = MemoryTools.String(invocation.Arguments, "kind") ?? "fact";
            if (!MemoryNames.TryParseKind(kindName, out var kind))
            {
                return ToolResult.Error($"Unknown kind '{kindName}'; use fact or preference.");
            }

            if (visibility.KeyOf(scope) is not { } key)
            {
                return ToolResult.Error("This session runs without an agent profile, so there is no agent scope; use user or project.");
            }

            var context = invocation.Context;
            var provenance = new MemoryProvenance(MemoryProvenance.ToolSource, context.SessionId, context.Step > 0 ? context.Step : null);
            var saved = await store.AddAsync(new MemoryDraft(scope, key, kind, text, provenance), cancellationToken).ConfigureAwait(false);
            return ToolResult.Ok(saved.Created
                ? $"Remembered {MemoryTools.Line(saved.Entry)}"
                : $"Already remembered; updated {MemoryTools.Line(saved.Entry)}");
        });
    }
}

/// <summary>The <c>recall</c> tool: searches the memories this session sees.</summary>
/// <remarks>Read-only and thread-safe.</remarks>
internal sealed class RecallTool(MemoryStore store, MemoryVisibility visibility) : ITool
{
    private const int DefaultLimit = 5;
    private const int MaxLimit = 20;

    public ToolDefinition Definition { get; } = new(
        "recall",
        "Search long-term memories (this user's, agent's and project's) by keywords.",
        MemoryTools.Schema("""
            {"type":"object","properties":{
            "query":{"type":"string","minLength":1},
            "limit":{"type":"integer","minimum":1,"maximum":20}},
            "required":["query"],"additionalProperties":false}
            """),
        ReadOnly: true);

    public ValueTask<ToolResult> InvokeAsync(ToolInvocation invocation, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(invocation);
        return MemoryTools.GuardAsync(async () =>
        {
            var query = MemoryTools.String(invocation.Arguments, "query") ?? throw new ArgumentException("Missing required argument 'query'.");
            var limit = DefaultLimit;
            if (invocation.Arguments.ValueKind == JsonValueKind.Object && invocation.Arguments.TryGetProperty("limit", out var raw) && raw.ValueKind != JsonValueKind.Null)
            {
                limit = raw.ValueKind == JsonValueKind.Number && raw.TryGetInt32(out var n) && n is >= 1 and <= MaxLimit
                    ? n
                    : throw new ArgumentException($"Argument 'limit' must be a whole number from 1 to {MaxLimit}.");
            }

            var matches = await store.SearchAsync(query, visibility.Scopes, limit, cancellationToken: cancellationToken).ConfigureAwait(false);
            if (matches.Count == 0)
            {
                return ToolResult.Ok("No memories match.");
            }

            var text = new StringBuilder(string.Create(CultureInfo.InvariantCulture, $"{matches.Count} memories, best first:"));
            foreach (var match in matches)
            {
                text.Append('\n').Append(MemoryTools.Line(match.Entry));
            }

            return ToolResult.Ok(text.ToString());
        });
    }
}

/// <summary>The <c>forget</c> tool: removes a memory this session sees.</summary>
/// <remarks>Marked read-only for the same reason as <c>remember</c>. Thread-safe.</remarks>
internal sealed class ForgetTool(MemoryStore store, MemoryVisibility visibility) : ITool
{
    public ToolDefinition Definition { get; } = new(
        "forget",
        "Delete a long-term memory by id (e.g. m_7k2q9d3xa1) when it is wrong or outdated.",
        MemoryTools.Schema("""
            {"type":"object","properties":{"id":{"type":"string","minLength":1}},"required":["id"],"additionalProperties":false}
            """),
        ReadOnly: true);

    public ValueTask<ToolResult> InvokeAsync(ToolInvocation invocation, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(invocation);
        return MemoryTools.GuardAsync(async () =>
        {
            var id = (MemoryTools.String(invocation.Arguments, "id") ?? throw new ArgumentException("Missing required argument 'id'.")).Trim().Trim('[', ']');
            // Memories of other users, agents and projects cannot be touched from this session, nor confirmed to exist.
            if (await store.GetAsync(id, cancellationToken).ConfigureAwait(false) is not { } entry || !visibility.Sees(entry))
            {
                return ToolResult.Error($"No memory {id}. Use recall to find memory ids.");
            }

            await store.RemoveAsync(id, cancellationToken).ConfigureAwait(false);
            return ToolResult.Ok($"Forgot {MemoryTools.Line(entry)}");
        });
    }
}
