namespace Rein.Guard.Hooks;

/// <summary>The Claude Code names of Rein's built-in tools, so matchers written for Claude Code keep working.</summary>
public static class ToolAliases
{
    private static readonly Dictionary<string, string[]> Aliases = new(StringComparer.Ordinal)
    {
        ["shell"] = ["Bash"],
        ["write_file"] = ["Write"],
        ["edit_file"] = ["Edit", "MultiEdit"],
        ["read_file"] = ["Read"],
        ["fetch_url"] = ["WebFetch"],
        ["grep"] = ["Grep"],
        ["list_files"] = ["Glob", "LS"],
        ["todo_write"] = ["TodoWrite"],
    };

    /// <summary>Gets the names a matcher is tried against for a tool: Rein's name first, then its Claude Code names.</summary>
    /// <param name="toolName">Rein's tool name, e.g. <c>shell</c>.</param>
    /// <returns>E.g. <c>[shell, Bash]</c>; just the name for tools without an alias.</returns>
    public static IReadOnlyList<string> NamesFor(string toolName)
    {
        ArgumentNullException.ThrowIfNull(toolName);
        return Aliases.TryGetValue(toolName, out var aliases) ? [toolName, .. aliases] : [toolName];
    }
}
