using Rein.Journal;

namespace Rein.Guard.Policy;

/// <summary>Combines settings files into <see cref="PolicyOptions"/>.</summary>
public static class PolicyOptionsBuilder
{
    /// <summary>Combines the policy parts of the settings files in force.</summary>
    /// <param name="workspace">The absolute workspace root.</param>
    /// <param name="lowestFirst">The configurations, lowest precedence first: user, then project; managed ones (source <c>managed</c>) may come anywhere and always tighten.</param>
    /// <param name="environment">The environment to select (<c>--env</c>), or null.</param>
    /// <param name="modeOverride">A mode chosen on the command line (<c>--mode</c>), or null.</param>
    /// <returns>The options. Managed allow rules are dropped and reported in <see cref="PolicyOptions.Warnings"/>.</returns>
    /// <remarks>
    /// The mode is, from lowest to highest: <c>ask</c>; user then project <c>defaultMode</c>; managed <c>defaultMode</c>;
    /// the environment's mode; <paramref name="modeOverride"/>. Managed <c>allowedModes</c> (intersected when several
    /// managed files set it) must contain the mode chosen; when nobody chose one and <c>ask</c> is not allowed, the
    /// first allowed mode is used.
    /// </remarks>
    /// <exception cref="ArgumentNullException"><paramref name="workspace"/> or <paramref name="lowestFirst"/> is null.</exception>
    /// <exception cref="PolicyConfigException">The environment is unknown (the message lists the known ones), the mode is unknown, or managed settings forbid the mode (the message names the managed file).</exception>
    public static PolicyOptions Combine(string workspace, IReadOnlyList<PolicyConfig> lowestFirst, string? environment, string? modeOverride)
    {
        ArgumentNullException.ThrowIfNull(workspace);
        ArgumentNullException.ThrowIfNull(lowestFirst);
        var rules = new List<PermissionRule>();
        var warnings = new List<string>();
        string? mode = null;
        string? managedMode = null;
        string? environmentMode = null;
        IReadOnlyList<string>? allowedModes = null;
        var allowedBy = new List<string>();

        void AddRules(PolicyConfig config, IReadOnlyList<PermissionRule> source, string where)
        {
            foreach (var rule in source)
            {
                if (IsManaged(config) && rule.Decision == PolicyDecisions.Allow)
                {
                    warnings.Add($"{config.Path}: the allow rule {rule.Text}{where} is ignored; managed settings can only tighten the policy.");
                    continue;
                }

                rules.Add(IsManaged(config) ? rule with { Source = PolicySources.Managed } : rule);
            }
        }

        foreach (var config in lowestFirst)
        {
            ArgumentNullException.ThrowIfNull(config);
            AddRules(config, config.Rules, "");
            if (IsManaged(config))
            {
                managedMode = config.DefaultMode ?? managedMode;
                if (config.AllowedModes is { } allowed)
                {
                    allowedModes = allowedModes is null ? allowed : [.. allowedModes.Intersect(allowed)];
                    allowedBy.Add(config.Path);
                }
            }
            else
            {
                mode = config.DefaultMode ?? mode;
            }
        }

        if (environment is not null)
        {
            var found = false;
            foreach (var config in lowestFirst)
            {
                if (config.Environments.TryGetValue(environment, out var env))
                {
                    found = true;
                    AddRules(config, env.Rules, $" (environment {environment})");
                    environmentMode = env.DefaultMode ?? environmentMode;
                }
            }

            if (!found)
            {
                var known = lowestFirst.SelectMany(c => c.Environments.Keys).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
                throw new PolicyConfigException(known.Count == 0
                    ? $"Unknown environment '{environment}': no environments are defined in the settings."
                    : $"Unknown environment '{environment}'; known environments: {string.Join(", ", known)}.");
            }
        }

        string? overridden = null;
        if (modeOverride is not null)
        {
            try
            {
                overridden = PermissionModes.Parse(modeOverride);
            }
            catch (FormatException ex)
            {
                throw new PolicyConfigException(ex.Message, ex);
            }
        }

        var chosen = overridden ?? environmentMode ?? managedMode ?? mode;
        if (allowedModes is not null)
        {
            if (allowedModes.Count == 0)
            {
                throw new PolicyConfigException($"Managed settings ({string.Join(", ", allowedBy)}) allow no permission mode.");
            }

            if (chosen is null)
            {
                chosen = allowedModes.Contains(PermissionModes.Ask) ? PermissionModes.Ask : allowedModes[0];
            }
            else if (!allowedModes.Contains(chosen))
            {
                throw new PolicyConfigException($"The permission mode '{chosen}' is not allowed by managed settings ({string.Join(", ", allowedBy)}); allowed modes: {string.Join(", ", allowedModes)}.");
            }
        }

        return new PolicyOptions
        {
            Workspace = workspace,
            Mode = chosen ?? PermissionModes.Ask,
            Rules = rules,
            Warnings = warnings,
            Environment = environment,
        };
    }

    private static bool IsManaged(PolicyConfig config) => string.Equals(config.Source, PolicySources.Managed, StringComparison.Ordinal);
}
