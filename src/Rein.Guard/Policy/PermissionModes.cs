namespace Rein.Guard.Policy;

/// <summary>The permission modes: what happens to a tool call no rule matches.</summary>
public static class PermissionModes
{
    /// <summary>Tools that only read run; everything else is denied, even with an allow rule.</summary>
    public const string ReadOnly = "read-only";

    /// <summary>Tools that only read run; every other call asks. The default.</summary>
    public const string Ask = "ask";

    /// <summary>Reads and file edits inside the workspace run; commands, requests and unknown tools ask (Claude Code's <c>acceptEdits</c>).</summary>
    public const string AcceptEdits = "accept-edits";

    /// <summary>Reads, edits inside the workspace and (sandboxed) commands run; risky commands and unknown tools ask.</summary>
    public const string WorkspaceWrite = "workspace-write";

    /// <summary>Everything runs unless a deny or ask rule, or a protected path, says otherwise.</summary>
    public const string FullAuto = "full-auto";

    /// <summary>Gets the modes, most restrictive first.</summary>
    public static IReadOnlyList<string> All { get; } = [ReadOnly, Ask, AcceptEdits, WorkspaceWrite, FullAuto];

    /// <summary>Parses a mode name. Claude Code's names are accepted too and mean what they mean there:
    /// <c>plan</c> (read-only), <c>default</c> (ask), <c>acceptEdits</c> (accept-edits), <c>bypassPermissions</c> (full-auto).</summary>
    /// <param name="value">The name, e.g. <c>workspace-write</c>.</param>
    /// <returns>The canonical mode name.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="value"/> is null.</exception>
    /// <exception cref="FormatException">The name is not a mode; the message lists the valid ones.</exception>
    public static string Parse(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var trimmed = value.Trim();
        foreach (var mode in All)
        {
            if (string.Equals(mode, trimmed, StringComparison.OrdinalIgnoreCase))
            {
                return mode;
            }
        }

        return trimmed.ToLowerInvariant() switch
        {
            "readonly" or "read_only" or "plan" => ReadOnly,
            "default" => Ask,
            "workspace_write" => WorkspaceWrite,
            "acceptedits" or "accept_edits" => AcceptEdits,
            "full_auto" or "bypasspermissions" => FullAuto,
            _ => throw new FormatException($"'{value}' is not a permission mode; valid modes: {string.Join(", ", All)} (or Claude Code's plan, default, acceptEdits, bypassPermissions)."),
        };
    }
}
