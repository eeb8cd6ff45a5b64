using System.Text.Json;

namespace Rein.Hosting.Configuration;

/// <summary>
/// Every settings key Rein reads, in one place, so a key it does not know (a typo, another tool's setting) is named in a
/// warning instead of being silently ignored: <c>rein: unknown setting 'permisions' in FILE (did you mean 'permissions'?)</c>.
/// </summary>
/// <remarks>
/// Keys are dotted paths; <c>*</c> stands for any name (an environment, a model in <c>prices</c>). A key with nothing
/// listed below it holds a value that is not looked into: lists, and free-form sections such as <c>hooks</c> (Claude
/// Code's format), <c>mcpServers</c>, <c>slack</c>, <c>telegram</c> and <c>serve</c>.
/// </remarks>
internal static class KnownSettings
{
    private const int MaxShownKeyLength = 60;

    private static readonly string[] Permissions = ["allow", "ask", "deny", "defaultMode", "allowedModes"];

    private static readonly string[] SessionBudgets = ["max_tokens", "max_cost_usd", "max_steps", "max_tool_calls", "max_time"];

    /// <summary>The keys of a settings file (<c>settings.json</c>, managed settings) and of an agent profile's front matter.</summary>
    public static IReadOnlySet<string> Keys { get; } = new HashSet<string>(
    [
        "model", "base_url", "store", "max_steps", "agent", "environment",
        .. Permissions.Select(k => "permissions." + k),
        "environments.*.mode",
        .. Permissions.Select(k => "environments.*.permissions." + k),
        "sandbox.type", "sandbox.network.allow", "sandbox.network.ports",
        "sandbox.limits.cpu_seconds", "sandbox.limits.memory_mb", "sandbox.limits.processes", "sandbox.limits.file_size_mb", "sandbox.limits.open_files",
        "sandbox.env", "sandbox.read_only_paths", "sandbox.writable_paths",
        .. SessionBudgets.Select(k => "budgets.session." + k),
        "budgets.daily.max_tokens", "budgets.daily.max_cost_usd", "budgets.daily.max_steps", "budgets.daily.max_tool_calls",
        "budgets.warn_at",
        "prices.*.input", "prices.*.cached_input", "prices.*.output", "prices.*.cache_write",
        "approvals.approvers", "approvals.timeout", "approvals.principal_from_env",
        "hooks",
        "context.window", "context.compaction_threshold", "context.keep_recent_observations", "context.masking", "context.code_memory", "context.max_observation_chars",
        "memory.enabled", "memory.scopes",
        "telemetry.capture_content",
        "replay.normalize",
        "mcpServers", "slack", "telegram", "serve.workspace_roots", "serve.rate_limit",
    ], StringComparer.Ordinal);

    /// <summary>Keys only an agent profile's front matter has.</summary>
    public static IReadOnlySet<string> ProfileKeys { get; } = new HashSet<string>(["name", "description", "tools", "surfaces"], StringComparer.Ordinal);

    /// <summary>The warning lines for the keys of one document that Rein does not know, in document order.</summary>
    /// <param name="root">The document's root object.</param>
    /// <param name="path">The file, named in each line.</param>
    /// <param name="profile">Whether the document is an agent profile's front matter (<see cref="ProfileKeys"/> are known too).</param>
    public static IReadOnlyList<string> Warnings(JsonElement root, string path, bool profile = false)
    {
        var warnings = new List<string>();
        if (root.ValueKind == JsonValueKind.Object)
        {
            Check(root, "", "", path, profile, warnings);
        }

        return warnings;
    }

    /// <param name="at">The pattern path of <paramref name="section"/> (with <c>*</c>), empty at the root, else ending in '.'.</param>
    /// <param name="shown">The path as written in the file, for the warning.</param>
    private static void Check(JsonElement section, string at, string shown, string path, bool profile, List<string> warnings)
    {
        foreach (var property in section.EnumerateObject())
        {
            var key = Known(at + property.Name, profile) ? at + property.Name
                : Known(at + "*", profile) ? at + "*"
                : null;
            if (key is null)
            {
                var siblings = Children(at, profile);
                var closest = NearestName.Closest(property.Name, siblings);
                var hint = closest is null ? "" : $" (did you mean '{Printable(shown + closest)}'?)";
                warnings.Add($"rein: unknown setting '{Printable(shown + property.Name)}' in {path}{hint}");
                continue;
            }

            if (property.Value.ValueKind == JsonValueKind.Object && Keys.Any(k => k.StartsWith(key + ".", StringComparison.Ordinal)))
            {
                Check(property.Value, key + ".", shown + property.Name + ".", path, profile, warnings);
            }
        }
    }

    /// <summary>Whether a pattern path is a key or has keys below it.</summary>
    private static bool Known(string key, bool profile) =>
        (profile && ProfileKeys.Contains(key)) || Keys.Contains(key) || Keys.Any(k => k.StartsWith(key + ".", StringComparison.Ordinal));

    /// <summary>The names one level below a pattern path (<c>*</c> left out: it suggests nothing).</summary>
    private static IEnumerable<string> Children(string at, bool profile) =>
        (profile ? Keys.Concat(ProfileKeys) : Keys)
            .Where(k => k.StartsWith(at, StringComparison.Ordinal))
            .Select(k => k[at.Length..].Split('.')[0])
            .Where(name => name != "*")
            .Distinct(StringComparer.Ordinal);

    /// <summary>Key names come from files anyone may have written: no control characters reach the terminal, and none runs on for ever.</summary>
    private static string Printable(string key)
    {
        var clean = new string([.. key.Select(c => char.IsControl(c) ? '?' : c)]);
        return clean.Length <= MaxShownKeyLength ? clean : clean[..MaxShownKeyLength] + "…";
    }
}
