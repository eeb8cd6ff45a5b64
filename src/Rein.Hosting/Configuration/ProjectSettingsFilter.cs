using System.Text.Json;
using System.Text.Json.Nodes;
using Rein.Guard.Approvals;
using Rein.Guard.Budgets;
using Rein.Guard.Policy;
using Rein.Guard.Sandbox;

namespace Rein.Hosting.Configuration;

/// <summary>Settings of an untrusted project source that were left out, and which keys.</summary>
/// <param name="File">The settings file or agent profile.</param>
/// <param name="Keys">The keys left out, e.g. <c>base_url</c>, <c>sandbox.type</c>, <c>permissions.allow</c>.</param>
internal sealed record IgnoredSettings(string File, IReadOnlyList<string> Keys);

/// <summary>What the trusted sources (the user's settings and profile, managed settings, flags, <c>REIN_*</c> variables) give; untrusted settings are judged against it.</summary>
/// <param name="Mode">The permission mode they choose (<c>ask</c> when none does).</param>
/// <param name="EnvironmentModes">The mode of each named environment they define.</param>
/// <param name="MaxSteps">The step limit.</param>
/// <param name="Model">The model they choose, if any.</param>
/// <param name="BaseUrl">The endpoint they choose, if any.</param>
/// <param name="Agent">The agent profile they name, if any.</param>
/// <param name="Sandbox">The <c>sandbox</c> section in force below the project, if any.</param>
/// <param name="Budgets">The budget limits.</param>
/// <param name="Approvers">Who may approve (the principal alone when no list is set).</param>
/// <param name="ApprovalTimeout">How long an approval request waits.</param>
/// <param name="MemoryEnabled">Whether long-term memory is on.</param>
/// <param name="CaptureContent">Whether message content goes on telemetry spans.</param>
internal sealed record TrustBaseline(
    string Mode,
    IReadOnlyDictionary<string, string> EnvironmentModes,
    int MaxSteps,
    string? Model,
    string? BaseUrl,
    string? Agent,
    JsonElement? Sandbox,
    BudgetLimits Budgets,
    IReadOnlyList<string> Approvers,
    TimeSpan ApprovalTimeout,
    bool MemoryEnabled,
    bool CaptureContent)
{
    /// <summary>Folds the trusted documents.</summary>
    /// <param name="lower">The trusted documents below the project's, lowest first (a trusted profile, the user's settings).</param>
    /// <param name="managed">The managed settings, if any (their mode beats the project's).</param>
    /// <param name="values">The trusted plain values: the user's settings with variables and flags laid over.</param>
    /// <param name="principal">Who runs Rein (the approver when no list is set).</param>
    /// <exception cref="SettingsException">A trusted document is invalid.</exception>
    public static TrustBaseline From(IReadOnlyList<SettingsDocument> lower, SettingsDocument? managed, SettingsValues values, string principal)
    {
        try
        {
            string? mode = null;
            var environmentModes = new Dictionary<string, string>(StringComparer.Ordinal);
            JsonElement? sandbox = null;
            var budgets = BudgetLimits.None;
            var approvals = new ApprovalOptions { Principal = principal };
            bool? memory = null;
            var capture = false;
            foreach (var document in managed is null ? lower : [.. lower, managed])
            {
                var policy = PolicyConfig.Read(document.Root, document.Source, document.Path);
                // Managed comes last: its mode beats the project's, so it is part of what the project is judged against.
                mode = policy.DefaultMode ?? mode;
                foreach (var (name, environment) in policy.Environments)
                {
                    if (environment.DefaultMode is { } envMode)
                    {
                        environmentModes[name] = envMode;
                    }
                }

                if (document.Source == "managed")
                {
                    continue;
                }

                sandbox = Section(document.Root, "sandbox") ?? sandbox;
                if (Section(document.Root, "budgets") is { } b)
                {
                    budgets = budgets.Overlay(BudgetLimits.FromJson(b, document.Path));
                }

                approvals.Read(document.Root, document.Path);
                memory = Section(document.Root, "memory") is { ValueKind: JsonValueKind.Object } mem && mem.TryGetProperty("enabled", out var on) && on.ValueKind is JsonValueKind.True or JsonValueKind.False
                    ? on.GetBoolean()
                    : memory;
                capture = Section(document.Root, "telemetry") is { ValueKind: JsonValueKind.Object } tel && tel.TryGetProperty("capture_content", out var cc) && cc.ValueKind is JsonValueKind.True or JsonValueKind.False
                    ? cc.GetBoolean()
                    : capture;
            }

            budgets = budgets.Overlay(new BudgetLimits { MaxTokens = values.MaxTokens, MaxCostUsd = values.MaxCostUsd, MaxTime = values.MaxTime });
            return new TrustBaseline(
                values.Mode is { } flagMode ? PermissionModes.Parse(flagMode) : mode ?? PermissionModes.Ask,
                environmentModes,
                values.MaxSteps ?? SettingsResolver.DefaultMaxSteps,
                values.Model,
                values.BaseUrl,
                values.Agent,
                sandbox,
                budgets,
                approvals.Approvers.Count > 0 ? [.. approvals.Approvers] : [principal],
                approvals.Timeout,
                memory ?? true,
                capture);
        }
        catch (Exception ex) when (ex is PolicyConfigException or FormatException)
        {
            throw new SettingsException(ex.Message);
        }
    }

    internal static JsonElement? Section(JsonElement root, string name) =>
        root.TryGetProperty(name, out var section) && section.ValueKind != JsonValueKind.Null ? section : null;
}

/// <summary>
/// Keeps from an untrusted project source (the workspace's <c>.rein/settings.json</c>, an agent profile in its
/// <c>.rein/agents/</c>) only what tightens the trusted settings, and names what it left out.
/// </summary>
/// <remarks>
/// Each key Rein knows, when untrusted:
/// <list type="bullet">
/// <item><c>permissions.deny</c>, <c>permissions.ask</c> (also in <c>environments.*</c>): kept.</item>
/// <item><c>permissions.allow</c>, <c>permissions.allowedModes</c>: ignored.</item>
/// <item><c>permissions.defaultMode</c>, <c>environments.*.mode</c>: kept when as strict as or stricter than the trusted mode
/// (read-only &lt; ask &lt; accept-edits &lt; workspace-write &lt; full-auto).</item>
/// <item><c>environment</c> (which environment applies): ignored; an environment is chosen by the user.</item>
/// <item><c>sandbox.type</c>: only <c>bubblewrap</c>; <c>sandbox.network.allow</c>: the entries the trusted list already
/// allows (a subset); <c>sandbox.limits.*</c>: lower limits; <c>sandbox.read_only_paths</c>, <c>sandbox.writable_paths</c>: ignored.
/// The kept parts are laid over the trusted sandbox section, since a section replaces the ones below it.</item>
/// <item><c>budgets.*</c>, <c>max_steps</c>: lower limits (<c>budgets.warn_at</c> kept); <c>prices</c>: ignored (a price of zero would lift cost limits).</item>
/// <item><c>approvals.approvers</c>: a non-empty subset of the trusted approvers (the user alone when none are set); <c>approvals.timeout</c>: shorter.</item>
/// <item><c>hooks</c>, <c>store</c>, <c>base_url</c>: ignored.</item>
/// <item><c>model</c>: kept when its provider is the trusted model's, or when no trusted <c>base_url</c> is set — the
/// provider's key then goes to the provider's own endpoint (or the one its variable names), never one the project chose.</item>
/// <item><c>agent</c>: kept when no trusted source names an agent and it names a profile in the project's <c>.rein/agents/</c>
/// (itself filtered) or a built-in one.</item>
/// <item><c>memory.enabled</c>, <c>telemetry.capture_content</c>: kept when they turn it off (or match the trusted value); <c>memory.scopes</c>: kept.</item>
/// <item><c>context.*</c>: kept (it shapes only what the model sees; budgets bound the spend).</item>
/// <item><c>name</c>, <c>description</c>, <c>tools</c>, <c>surfaces</c> (profiles): kept (they only narrow).</item>
/// <item>Anything else: ignored.</item>
/// </list>
/// Values of the wrong type are kept so the usual reader reports them.
/// </remarks>
internal static class ProjectSettingsFilter
{
    private const int MaxReportedKeyLength = 60;

    /// <summary>Filters one untrusted document.</summary>
    /// <param name="root">The document's root object.</param>
    /// <param name="baseline">What the trusted sources give.</param>
    /// <param name="projectAgentExists">Whether a profile of a name exists in the project's <c>.rein/agents/</c> or is built in.</param>
    /// <returns>The kept settings and the keys left out (in document order).</returns>
    public static (JsonElement Kept, IReadOnlyList<string> Ignored) Filter(JsonElement root, TrustBaseline baseline, Func<string, bool> projectAgentExists)
    {
        var kept = new JsonObject();
        var ignored = new List<string>();
        foreach (var property in root.EnumerateObject())
        {
            var value = property.Value;
            switch (property.Name)
            {
                case "permissions":
                    KeepIf(kept, property.Name, FilterPermissions(value, "permissions", baseline.Mode, ignored));
                    break;
                case "environments":
                    KeepIf(kept, property.Name, FilterEnvironments(value, baseline, ignored));
                    break;
                case "sandbox":
                    KeepIf(kept, property.Name, FilterSandbox(value, baseline.Sandbox, ignored));
                    break;
                case "budgets":
                    KeepIf(kept, property.Name, FilterBudgets(value, baseline.Budgets, ignored));
                    break;
                case "approvals":
                    KeepIf(kept, property.Name, FilterApprovals(value, baseline, ignored));
                    break;
                case "max_steps":
                    Keep(kept, ignored, property, value.ValueKind != JsonValueKind.Number || !value.TryGetInt32(out var steps) || steps <= baseline.MaxSteps);
                    break;
                case "model":
                    Keep(kept, ignored, property, value.ValueKind != JsonValueKind.String || ModelMayChange(value.GetString()!, baseline));
                    break;
                case "agent":
                    Keep(kept, ignored, property, value.ValueKind != JsonValueKind.String || (baseline.Agent is null && projectAgentExists(value.GetString()!)));
                    break;
                case "memory":
                    KeepIf(kept, property.Name, FilterSwitch(value, "memory", "enabled", baseline.MemoryEnabled, ["scopes"], ignored));
                    break;
                case "telemetry":
                    KeepIf(kept, property.Name, FilterSwitch(value, "telemetry", "capture_content", baseline.CaptureContent, [], ignored));
                    break;
                case "context" or "name" or "description" or "tools" or "surfaces":
                    kept[property.Name] = JsonNode.Parse(value.GetRawText());
                    break;
                default:
                    // hooks, store, base_url, environment, prices and every key Rein does not know.
                    ignored.Add(property.Name);
                    break;
            }
        }

        return (JsonDocument.Parse(kept.ToJsonString()).RootElement.Clone(), [.. ignored.Select(Printable)]);
    }

    /// <summary>Whether an untrusted <c>model</c> may apply: it cannot send a key to an endpoint the trusted settings chose for another provider.</summary>
    internal static bool ModelMayChange(string model, TrustBaseline baseline) =>
        baseline.BaseUrl is null || (baseline.Model is { } trusted && Provider(trusted) == Provider(model));

    private static string Provider(string model) => model.IndexOf(':', StringComparison.Ordinal) is > 0 and var colon ? model[..colon] : model;

    private static void Keep(JsonObject kept, List<string> ignored, JsonProperty property, bool keep)
    {
        if (keep)
        {
            kept[property.Name] = JsonNode.Parse(property.Value.GetRawText());
        }
        else
        {
            ignored.Add(property.Name);
        }
    }

    private static void KeepIf(JsonObject kept, string name, JsonNode? value)
    {
        if (value is not null)
        {
            kept[name] = value;
        }
    }

    private static JsonNode? FilterPermissions(JsonElement permissions, string at, string trustedMode, List<string> ignored)
    {
        if (permissions.ValueKind != JsonValueKind.Object)
        {
            return JsonNode.Parse(permissions.GetRawText());
        }

        var kept = new JsonObject();
        foreach (var property in permissions.EnumerateObject())
        {
            var value = property.Value;
            var keep = property.Name switch
            {
                "deny" or "ask" => true,
                "allow" => value.ValueKind is JsonValueKind.Null || (value.ValueKind == JsonValueKind.Array && value.GetArrayLength() == 0),
                "defaultMode" => value.ValueKind != JsonValueKind.String || NoLooser(value.GetString()!, trustedMode),
                _ => false,
            };
            if (keep)
            {
                kept[property.Name] = JsonNode.Parse(value.GetRawText());
            }
            else
            {
                ignored.Add($"{at}.{property.Name}");
            }
        }

        return kept;
    }

    private static JsonNode? FilterEnvironments(JsonElement environments, TrustBaseline baseline, List<string> ignored)
    {
        if (environments.ValueKind != JsonValueKind.Object)
        {
            return JsonNode.Parse(environments.GetRawText());
        }

        var kept = new JsonObject();
        foreach (var environment in environments.EnumerateObject())
        {
            var at = $"environments.{environment.Name}";
            if (environment.Value.ValueKind != JsonValueKind.Object)
            {
                kept[environment.Name] = JsonNode.Parse(environment.Value.GetRawText());
                continue;
            }

            // Selecting an environment replaces the mode, so its mode is judged against that environment's trusted mode.
            var trustedMode = baseline.EnvironmentModes.TryGetValue(environment.Name, out var envMode) ? envMode : baseline.Mode;
            var keptEnvironment = new JsonObject();
            foreach (var property in environment.Value.EnumerateObject())
            {
                switch (property.Name)
                {
                    case "mode" when property.Value.ValueKind != JsonValueKind.String || NoLooser(property.Value.GetString()!, trustedMode):
                        keptEnvironment["mode"] = JsonNode.Parse(property.Value.GetRawText());
                        break;
                    case "permissions":
                        KeepIf(keptEnvironment, "permissions", FilterPermissions(property.Value, $"{at}.permissions", trustedMode, ignored));
                        break;
                    default:
                        ignored.Add($"{at}.{property.Name}");
                        break;
                }
            }

            kept[environment.Name] = keptEnvironment;
        }

        return kept;
    }

    private static bool NoLooser(string mode, string trustedMode)
    {
        try
        {
            return Rank(PermissionModes.Parse(mode)) <= Rank(trustedMode);
        }
        catch (FormatException)
        {
            // Kept, so the policy reader reports the unknown mode as it always does.
            return true;
        }
    }

    private static int Rank(string mode)
    {
        for (var rank = 0; rank < PermissionModes.All.Count; rank++)
        {
            if (PermissionModes.All[rank] == mode)
            {
                return rank;
            }
        }

        return int.MaxValue;
    }

    private static JsonNode? FilterSandbox(JsonElement sandbox, JsonElement? trusted, List<string> ignored)
    {
        if (sandbox.ValueKind != JsonValueKind.Object)
        {
            return JsonNode.Parse(sandbox.GetRawText());
        }

        // A sandbox section replaces the ones below it: start from the trusted one and tighten it.
        var kept = trusted is { ValueKind: JsonValueKind.Object } t ? (JsonObject)JsonNode.Parse(t.GetRawText())! : new JsonObject();
        var trustedOptions = trusted is { ValueKind: JsonValueKind.Object } section ? SandboxOptions.FromJson(section, "trusted settings") : new SandboxOptions();
        foreach (var property in sandbox.EnumerateObject())
        {
            var value = property.Value;
            switch (property.Name)
            {
                case "type" when value.ValueKind == JsonValueKind.String && value.GetString() == "bubblewrap":
                    kept["type"] = "bubblewrap";
                    break;
                case "network" when value.ValueKind == JsonValueKind.Object:
                    foreach (var network in value.EnumerateObject())
                    {
                        if (network.Name != "allow" || network.Value.ValueKind != JsonValueKind.Array)
                        {
                            ignored.Add($"sandbox.network.{network.Name}");
                            continue;
                        }

                        var allow = new JsonArray();
                        var extra = false;
                        foreach (var entry in network.Value.EnumerateArray())
                        {
                            if (entry.ValueKind == JsonValueKind.String && Allows(trustedOptions.AllowedDomains, entry.GetString()!))
                            {
                                allow.Add((JsonNode?)entry.GetString());
                            }
                            else
                            {
                                extra = true;
                            }
                        }

                        if (extra)
                        {
                            ignored.Add("sandbox.network.allow");
                        }

                        kept["network"] = new JsonObject { ["allow"] = allow };
                    }

                    break;
                case "limits" when value.ValueKind == JsonValueKind.Object:
                    var limits = kept["limits"] as JsonObject ?? [];
                    foreach (var limit in value.EnumerateObject())
                    {
                        int? current = limit.Name switch
                        {
                            "cpu_seconds" => trustedOptions.CpuSeconds,
                            "memory_mb" => trustedOptions.MemoryMb,
                            "processes" => trustedOptions.Processes,
                            "file_size_mb" => trustedOptions.FileSizeMb,
                            "open_files" => trustedOptions.OpenFiles,
                            _ => -1,
                        };
                        if (current != -1 && limit.Value.ValueKind == JsonValueKind.Number && limit.Value.TryGetInt32(out var n) && n > 0 && (current is null || n <= current))
                        {
                            limits[limit.Name] = n;
                        }
                        else
                        {
                            ignored.Add($"sandbox.limits.{limit.Name}");
                        }
                    }

                    kept["limits"] = limits;
                    break;
                default:
                    // type none, read_only_paths, writable_paths and unknown keys.
                    ignored.Add($"sandbox.{property.Name}");
                    break;
            }
        }

        return kept;
    }

    /// <summary>Whether the trusted allow-list already lets <paramref name="entry"/> through: the same entry, or a <c>*.domain</c> above it.</summary>
    private static bool Allows(IEnumerable<string> trusted, string entry)
    {
        var host = entry.TrimEnd('.');
        var bare = host.StartsWith("*.", StringComparison.Ordinal) ? host[2..] : host;
        return trusted.Select(t => t.TrimEnd('.')).Any(t =>
            string.Equals(t, host, StringComparison.OrdinalIgnoreCase)
            || (t.StartsWith("*.", StringComparison.Ordinal) && bare.EndsWith(t[1..], StringComparison.OrdinalIgnoreCase)));
    }

    private static JsonNode? FilterBudgets(JsonElement budgets, BudgetLimits trusted, List<string> ignored)
    {
        BudgetLimits project;
        try
        {
            project = BudgetLimits.FromJson(budgets, "project settings");
        }
        catch (FormatException)
        {
            // Kept as written, so the budget reader reports it with the file's name.
            return JsonNode.Parse(budgets.GetRawText());
        }

        var kept = new JsonObject();
        foreach (var property in budgets.EnumerateObject())
        {
            if (property.Name == "warn_at")
            {
                kept["warn_at"] = JsonNode.Parse(property.Value.GetRawText());
                continue;
            }

            var daily = property.Name == "daily";
            var scope = new JsonObject();
            foreach (var limit in property.Value.EnumerateObject())
            {
                var (mine, theirs) = (limit.Name, daily) switch
                {
                    ("max_tokens", false) => ((decimal?)project.MaxTokens, (decimal?)trusted.MaxTokens),
                    ("max_cost_usd", false) => (project.MaxCostUsd, trusted.MaxCostUsd),
                    ("max_steps", false) => (project.MaxSteps, trusted.MaxSteps),
                    ("max_tool_calls", false) => (project.MaxToolCalls, trusted.MaxToolCalls),
                    ("max_time", false) => ((decimal?)project.MaxTime?.Ticks, (decimal?)trusted.MaxTime?.Ticks),
                    ("max_tokens", true) => (project.DailyMaxTokens, trusted.DailyMaxTokens),
                    ("max_cost_usd", true) => (project.DailyMaxCostUsd, trusted.DailyMaxCostUsd),
                    ("max_steps", true) => (project.DailyMaxSteps, trusted.DailyMaxSteps),
                    _ => (project.DailyMaxToolCalls, trusted.DailyMaxToolCalls),
                };
                if (mine is not null && (theirs is null || mine <= theirs))
                {
                    scope[limit.Name] = JsonNode.Parse(limit.Value.GetRawText());
                }
                else
                {
                    ignored.Add($"budgets.{property.Name}.{limit.Name}");
                }
            }

            kept[property.Name] = scope;
        }

        return kept;
    }

    private static JsonNode? FilterApprovals(JsonElement approvals, TrustBaseline baseline, List<string> ignored)
    {
        if (approvals.ValueKind != JsonValueKind.Object)
        {
            return JsonNode.Parse(approvals.GetRawText());
        }

        var kept = new JsonObject();
        foreach (var property in approvals.EnumerateObject())
        {
            var value = property.Value;
            var keep = property.Name switch
            {
                // Naming someone the trusted settings do not let approve would hand them the decision.
                "approvers" => value.ValueKind != JsonValueKind.Array
                    || (value.GetArrayLength() > 0 && value.EnumerateArray().All(a => a.ValueKind != JsonValueKind.String || baseline.Approvers.Contains(a.GetString()!, StringComparer.Ordinal))),
                "timeout" => !TryDuration(value, out var timeout) || timeout <= baseline.ApprovalTimeout,
                _ => false,
            };
            if (keep)
            {
                kept[property.Name] = JsonNode.Parse(value.GetRawText());
            }
            else
            {
                ignored.Add($"approvals.{property.Name}");
            }
        }

        return kept;
    }

    private static bool TryDuration(JsonElement value, out TimeSpan duration)
    {
        duration = default;
        try
        {
            duration = BudgetLimits.ParseDuration(value.ValueKind == JsonValueKind.String ? value.GetString()! : value.GetRawText());
            return true;
        }
        catch (FormatException)
        {
            return false;
        }
    }

    /// <summary>A section with one on/off switch that untrusted settings may only turn off.</summary>
    private static JsonNode? FilterSwitch(JsonElement section, string name, string switchName, bool trusted, string[] alsoKept, List<string> ignored)
    {
        if (section.ValueKind != JsonValueKind.Object)
        {
            return JsonNode.Parse(section.GetRawText());
        }

        var kept = new JsonObject();
        foreach (var property in section.EnumerateObject())
        {
            var keep = property.Name == switchName
                ? property.Value.ValueKind != JsonValueKind.True || trusted
                : alsoKept.Contains(property.Name, StringComparer.Ordinal);
            if (keep)
            {
                kept[property.Name] = JsonNode.Parse(property.Value.GetRawText());
            }
            else
            {
                ignored.Add($"{name}.{property.Name}");
            }
        }

        return kept;
    }

    /// <summary>Key names come from the project: no control characters reach the terminal, and none runs on for ever.</summary>
    private static string Printable(string key)
    {
        var clean = new string([.. key.Select(c => char.IsControl(c) ? '?' : c)]);
        return clean.Length <= MaxReportedKeyLength ? clean : clean[..MaxReportedKeyLength] + "…";
    }
}
