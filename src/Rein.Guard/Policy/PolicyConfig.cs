using System.Text.Json;
using Rein.Journal;

namespace Rein.Guard.Policy;

/// <summary>The policy part of one settings file: <c>permissions</c> and <c>environments</c>.</summary>
/// <remarks>
/// The shape is Claude Code's:
/// <c>{"permissions": {"allow": [...], "ask": [...], "deny": [...], "defaultMode": "ask"}, "environments": {"prod": {"mode": "read-only", "permissions": {...}}}}</c>.
/// Managed settings may also hold <c>permissions.allowedModes</c>. Rules are checked when read. Instances are immutable.
/// </remarks>
public sealed class PolicyConfig
{
    private PolicyConfig(string source, string path, IReadOnlyList<PermissionRule> rules, string? defaultMode, IReadOnlyList<string>? allowedModes, IReadOnlyDictionary<string, PolicyConfig> environments)
    {
        Source = source;
        Path = path;
        Rules = rules;
        DefaultMode = defaultMode;
        AllowedModes = allowedModes;
        Environments = environments;
    }

    /// <summary>Gets the source of the rules, e.g. <c>project</c> or <c>managed</c>.</summary>
    public string Source { get; }

    /// <summary>Gets the settings file the configuration came from, as given (used in messages).</summary>
    public string Path { get; }

    /// <summary>Gets the rules, in the order allow, ask, deny as written.</summary>
    public IReadOnlyList<PermissionRule> Rules { get; }

    /// <summary>Gets <c>permissions.defaultMode</c> (or an environment's <c>mode</c>), canonical, or null when not set.</summary>
    public string? DefaultMode { get; }

    /// <summary>Gets <c>permissions.allowedModes</c>, canonical, or null when not set. Only honoured in managed settings.</summary>
    public IReadOnlyList<string>? AllowedModes { get; }

    /// <summary>Gets the named environments (empty when none).</summary>
    public IReadOnlyDictionary<string, PolicyConfig> Environments { get; }

    /// <summary>Reads the policy part of a settings document.</summary>
    /// <param name="settingsRoot">The settings file's root object.</param>
    /// <param name="source">The rules' source, e.g. <see cref="PolicySources.Project"/>.</param>
    /// <param name="path">The file's path, for messages.</param>
    /// <returns>The configuration; missing keys mean no rules and no mode.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="source"/> or <paramref name="path"/> is null.</exception>
    /// <exception cref="PolicyConfigException">A value has the wrong type, a rule is malformed or a mode is unknown; the message names the file and the setting.</exception>
    public static PolicyConfig Read(JsonElement settingsRoot, string source, string path)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(path);
        if (settingsRoot.ValueKind is JsonValueKind.Undefined or JsonValueKind.Null)
        {
            return Empty(source, path);
        }

        if (settingsRoot.ValueKind != JsonValueKind.Object)
        {
            throw new PolicyConfigException($"{path}: the settings must be a JSON object.");
        }

        var home = HomeOf(null);
        var (rules, defaultMode, allowedModes) = settingsRoot.TryGetProperty("permissions", out var permissions)
            ? ReadPermissions(permissions, "permissions", source, path, home)
            : ([], null, null);
        var environments = new Dictionary<string, PolicyConfig>(StringComparer.Ordinal);
        if (settingsRoot.TryGetProperty("environments", out var envs) && envs.ValueKind != JsonValueKind.Null)
        {
            if (envs.ValueKind != JsonValueKind.Object)
            {
                throw new PolicyConfigException($"{path}: environments must be an object of named environments.");
            }

            foreach (var env in envs.EnumerateObject())
            {
                var at = $"environments.{env.Name}";
                if (env.Value.ValueKind != JsonValueKind.Object)
                {
                    throw new PolicyConfigException($"{path}: {at} must be an object.");
                }

                string? mode = null;
                if (env.Value.TryGetProperty("mode", out var modeValue))
                {
                    mode = ReadMode(modeValue, $"{at}.mode", path);
                }

                var (envRules, envDefault, envAllowed) = env.Value.TryGetProperty("permissions", out var envPermissions)
                    ? ReadPermissions(envPermissions, $"{at}.permissions", source, path, home)
                    : ([], null, null);
                environments[env.Name] = new PolicyConfig(source, path, envRules, mode ?? envDefault, envAllowed, new Dictionary<string, PolicyConfig>());
            }
        }

        return new PolicyConfig(source, path, rules, defaultMode, allowedModes, environments);
    }

    /// <summary>Creates a configuration from rules given in code.</summary>
    /// <param name="source">The rules' source.</param>
    /// <param name="path">A name for messages.</param>
    /// <param name="rules">The rules.</param>
    /// <param name="defaultMode">The default mode, if any.</param>
    /// <param name="allowedModes">The modes that may be selected, if restricted (managed only).</param>
    /// <returns>The configuration.</returns>
    /// <exception cref="PolicyConfigException">A rule or mode is malformed.</exception>
    public static PolicyConfig Create(string source, string path, IEnumerable<PermissionRule> rules, string? defaultMode = null, IReadOnlyList<string>? allowedModes = null)
    {
        ArgumentNullException.ThrowIfNull(rules);
        var list = rules.ToList();
        var home = HomeOf(null);
        for (var i = 0; i < list.Count; i++)
        {
            Validate(list[i], $"rules[{i}]", path, home);
        }

        return new PolicyConfig(
            source,
            path,
            list,
            defaultMode is null ? null : ParseMode(defaultMode, "defaultMode", path),
            allowedModes?.Select(m => ParseMode(m, "allowedModes", path)).ToList(),
            new Dictionary<string, PolicyConfig>());
    }

    internal static string HomeOf(string? configured)
    {
        if (!string.IsNullOrEmpty(configured))
        {
            return configured;
        }

        var profile = System.Environment.GetFolderPath(System.Environment.SpecialFolder.UserProfile);
        return profile.Length > 0 ? profile : "/";
    }

    private static PolicyConfig Empty(string source, string path) => new(source, path, [], null, null, new Dictionary<string, PolicyConfig>());

    private static (List<PermissionRule> Rules, string? DefaultMode, List<string>? AllowedModes) ReadPermissions(JsonElement permissions, string at, string source, string path, string home)
    {
        if (permissions.ValueKind == JsonValueKind.Null)
        {
            return ([], null, null);
        }

        if (permissions.ValueKind != JsonValueKind.Object)
        {
            throw new PolicyConfigException($"{path}: {at} must be an object.");
        }

        var rules = new List<PermissionRule>();
        foreach (var decision in (string[])[PolicyDecisions.Allow, PolicyDecisions.Ask, PolicyDecisions.Deny])
        {
            if (!permissions.TryGetProperty(decision, out var list) || list.ValueKind == JsonValueKind.Null)
            {
                continue;
            }

            if (list.ValueKind != JsonValueKind.Array)
            {
                throw new PolicyConfigException($"{path}: {at}.{decision} must be an array of rule strings.");
            }

            var index = 0;
            foreach (var item in list.EnumerateArray())
            {
                var where = $"{at}.{decision}[{index}]";
                if (item.ValueKind != JsonValueKind.String)
                {
                    throw new PolicyConfigException($"{path}: {where} must be a string such as \"shell(git status*)\".");
                }

                var rule = new PermissionRule(decision, item.GetString()!, source);
                Validate(rule, where, path, home);
                rules.Add(rule);
                index++;
            }
        }

        string? defaultMode = null;
        if (permissions.TryGetProperty("defaultMode", out var mode) && mode.ValueKind != JsonValueKind.Null)
        {
            defaultMode = ReadMode(mode, $"{at}.defaultMode", path);
        }

        List<string>? allowedModes = null;
        if (permissions.TryGetProperty("allowedModes", out var allowed) && allowed.ValueKind != JsonValueKind.Null)
        {
            if (allowed.ValueKind != JsonValueKind.Array)
            {
                throw new PolicyConfigException($"{path}: {at}.allowedModes must be an array of mode names.");
            }

            allowedModes = [];
            var index = 0;
            foreach (var item in allowed.EnumerateArray())
            {
                allowedModes.Add(ReadMode(item, $"{at}.allowedModes[{index++}]", path));
            }
        }

        return (rules, defaultMode, allowedModes);
    }

    private static string ReadMode(JsonElement value, string at, string path)
    {
        if (value.ValueKind != JsonValueKind.String)
        {
            throw new PolicyConfigException($"{path}: {at} must be a string; valid modes: {string.Join(", ", PermissionModes.All)}.");
        }

        return ParseMode(value.GetString()!, at, path);
    }

    private static string ParseMode(string value, string at, string path)
    {
        try
        {
            return PermissionModes.Parse(value);
        }
        catch (FormatException ex)
        {
            throw new PolicyConfigException($"{path}: {at}: {ex.Message}", ex);
        }
    }

    private static void Validate(PermissionRule rule, string where, string path, string home)
    {
        if (rule.Decision is not (PolicyDecisions.Allow or PolicyDecisions.Ask or PolicyDecisions.Deny))
        {
            throw new PolicyConfigException($"{path}: {where} \"{rule.Text}\": the decision '{rule.Decision}' is not allow, ask or deny.");
        }

        try
        {
            CompiledRule.Parse(rule, home);
        }
        catch (RuleFormatException ex)
        {
            throw new PolicyConfigException($"{path}: {where} \"{rule.Text}\": {ex.Message}", ex);
        }
    }
}
