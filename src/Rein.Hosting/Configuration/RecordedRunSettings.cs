using Rein.Guard.Policy;
using Rein.Journal;

namespace Rein.Hosting.Configuration;

/// <summary>
/// Turns the settings a session runs with into what its journal records (<see cref="SessionStarted.RunSettings"/>,
/// <see cref="RunSettingsChanged"/>) and back, so a resume runs the session as it was started.
/// </summary>
internal static class RecordedRunSettings
{
    /// <summary>What a session records of its effective values: never a key, and no endpoint that carries a user name, password or query.</summary>
    public static SessionRunSettings From(SettingsValues values) => new(
        BaseUrl: values.BaseUrl is { } url && Uri.TryCreate(url, UriKind.Absolute, out var uri) && (uri.UserInfo.Length > 0 || uri.Query.Length > 0) ? null : values.BaseUrl,
        Mode: values.Mode is { } mode ? Canonical(mode) : null,
        Environment: values.Environment,
        Sandbox: values.Sandbox,
        MaxSteps: values.MaxSteps,
        MaxTokens: values.MaxTokens,
        MaxCostUsd: values.MaxCostUsd,
        MaxTimeSeconds: values.MaxTime is { } time ? (long)Math.Ceiling(time.TotalSeconds) : null);

    /// <summary>The values a resume starts from: the recorded ones, which its flags may override.</summary>
    public static SettingsValues ToValues(string model, string? agent, SessionRunSettings settings) => new()
    {
        Model = model,
        Agent = agent,
        BaseUrl = settings.BaseUrl,
        Mode = settings.Mode,
        Environment = settings.Environment,
        Sandbox = settings.Sandbox,
        MaxSteps = settings.MaxSteps,
        MaxTokens = settings.MaxTokens,
        MaxCostUsd = settings.MaxCostUsd,
        MaxTime = settings.MaxTimeSeconds is { } seconds ? TimeSpan.FromSeconds(seconds) : null,
    };

    /// <summary>
    /// The values a session runs with per its journal: what it was started with, then what resumes changed; null for a session
    /// journaled before Rein recorded them.
    /// </summary>
    public static SettingsValues? Latest(IEnumerable<RecordedEvent> events)
    {
        SettingsValues? recorded = null;
        foreach (var recordedEvent in events)
        {
            recorded = recordedEvent.Event switch
            {
                SessionStarted { RunSettings: { } run } started => ToValues(started.Model, started.Agent, run),
                RunSettingsChanged changed => ToValues(changed.Model, changed.Agent, changed.Settings),
                _ => recorded,
            };
        }

        return recorded;
    }

    /// <summary>The settings, by their settings-file names, that flags given to a resume change from the recorded ones.</summary>
    public static IReadOnlyList<string> Changed(SettingsValues recorded, SettingsValues flags)
    {
        var changed = new List<string>();
        Compare("model", recorded.Model, flags.Model);
        Compare("agent", recorded.Agent, flags.Agent);
        Compare("base_url", recorded.BaseUrl, flags.BaseUrl);
        Compare("mode", recorded.Mode, flags.Mode is { } mode ? Canonical(mode) : null);
        Compare("environment", recorded.Environment, flags.Environment);
        Compare("sandbox", recorded.Sandbox, flags.Sandbox);
        Compare("max_steps", recorded.MaxSteps, flags.MaxSteps);
        Compare("max_tokens", recorded.MaxTokens, flags.MaxTokens);
        Compare("max_cost_usd", recorded.MaxCostUsd, flags.MaxCostUsd);
        Compare("max_time", recorded.MaxTime, flags.MaxTime);
        return changed;

        void Compare<T>(string name, T? before, T? given)
        {
            if (given is not null && !EqualityComparer<T?>.Default.Equals(before, given))
            {
                changed.Add(name);
            }
        }
    }

    private static string Canonical(string mode)
    {
        try
        {
            return PermissionModes.Parse(mode);
        }
        catch (FormatException)
        {
            // Kept as given, so the policy reports it as it always does.
            return mode;
        }
    }
}
