using System.Globalization;

namespace Rein.Cli.Configuration;

/// <summary>The effective settings of one command, with where each came from.</summary>
/// <param name="Documents">The settings files read, lowest precedence first (user, project, then managed), for the sections other layers parse.</param>
internal sealed record ResolvedSettings(SettingsValues Values, string Workspace, string StorePath, IReadOnlyList<string> Sources, IReadOnlyList<SettingsDocument> Documents)
{
    /// <summary>The agent profile in use (the built-in <c>coder</c> unless another is named); its front matter is the lowest-precedence settings document.</summary>
    public Rein.Profiles.AgentProfile? Profile { get; init; }

    /// <summary>The folder of the store file, where Rein keeps data that belongs with the sessions (checkpoints).</summary>
    public string DataDirectory => Path.GetDirectoryName(StorePath) ?? ".";
}

/// <summary>One settings file.</summary>
/// <param name="Source"><c>profile</c>, <c>user</c>, <c>project</c> or <c>managed</c>.</param>
/// <param name="Path">The file.</param>
/// <param name="Root">Its JSON object.</param>
internal sealed record SettingsDocument(string Source, string Path, System.Text.Json.JsonElement Root);

/// <summary>Merges flags, <c>REIN_*</c> environment variables, the project's and the user's settings files.</summary>
internal static class SettingsResolver
{
    public const int DefaultMaxSteps = 50;

    /// <summary>Resolves settings for a workspace.</summary>
    /// <param name="flags">Values given on the command line.</param>
    /// <param name="workspace">The workspace folder (absolute).</param>
    /// <param name="env">Reads environment variables.</param>
    /// <exception cref="SettingsException">A source has a bad value.</exception>
    public static ResolvedSettings Resolve(SettingsValues flags, string workspace, Func<string, string?> env)
    {
        var userFile = Path.Combine(ReinPaths.UserConfigDirectory(env), "settings.json");
        var projectFile = Path.Combine(workspace, ".rein", "settings.json");
        var managedFile = env("REIN_MANAGED_SETTINGS") is { Length: > 0 } managed ? managed : "/etc/rein/managed-settings.json";
        var sources = new List<string>();
        var documents = new List<SettingsDocument>();
        var values = new SettingsValues();
        foreach (var (source, file) in new[] { ("user", userFile), ("project", projectFile), ("managed", managedFile) })
        {
            if (File.Exists(file))
            {
                var (fileValues, root) = SettingsFile.Load(file);
                // Managed settings only tighten (their policy and budget sections); they do not pick models or stores.
                values = source == "managed" ? values : values.Overlay(fileValues);
                documents.Add(new SettingsDocument(source, file, root));
                sources.Add(file);
            }
        }

        values = values.Overlay(FromEnvironment(env)).Overlay(flags);
        // Without --agent, REIN_AGENT or "agent" in a settings file, the built-in coder profile runs.
        var agent = values.Agent ?? Cli.Profiles.AgentProfiles.DefaultName;
        Rein.Profiles.AgentProfile profile;
        try
        {
            profile = Cli.Profiles.AgentProfiles.Load(agent, workspace, env);
        }
        catch (Exception ex) when (ex is FormatException or FileNotFoundException)
        {
            throw new SettingsException(ex.Message);
        }

        // The profile is the lowest-precedence source: settings files, variables and flags override it.
        documents.Insert(0, new SettingsDocument("profile", profile.Path, profile.Settings));
        sources.Insert(0, profile.Path);
        values = new SettingsValues { Model = profile.Model }.Overlay(values);

        var store = values.Store is { Length: > 0 } s ? Path.GetFullPath(s, workspace) : ReinPaths.DefaultStore(env);
        return new ResolvedSettings(values, workspace, store, sources, documents) { Profile = profile };
    }

    private static SettingsValues FromEnvironment(Func<string, string?> env)
    {
        int? maxSteps = null;
        if (env("REIN_MAX_STEPS") is { Length: > 0 } raw)
        {
            maxSteps = int.TryParse(raw, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0
                ? n
                : throw new SettingsException($"REIN_MAX_STEPS must be a positive whole number, not '{raw}'.");
        }

        return new SettingsValues
        {
            Model = Empty(env("REIN_MODEL")),
            BaseUrl = Empty(env("REIN_BASE_URL")),
            Store = Empty(env("REIN_STORE")),
            MaxSteps = maxSteps,
            Mode = Empty(env("REIN_MODE")),
            Agent = Empty(env("REIN_AGENT")),
            Environment = Empty(env("REIN_ENV")),
            Sandbox = Empty(env("REIN_SANDBOX")),
        };
    }

    private static string? Empty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;
}
