using System.Globalization;

namespace Rein.Hosting.Configuration;

/// <summary>The effective settings of one command, with where each came from.</summary>
/// <param name="Documents">The settings files read, lowest precedence first (user, project, then managed), for the sections other layers parse.</param>
internal sealed record ResolvedSettings(SettingsValues Values, string Workspace, string StorePath, IReadOnlyList<string> Sources, IReadOnlyList<SettingsDocument> Documents)
{
    /// <summary>The agent profile in use (the built-in <c>coder</c> unless another is named); its front matter is the lowest-precedence settings document.</summary>
    public Rein.Profiles.AgentProfile? Profile { get; init; }

    /// <summary>Whether the workspace's project settings apply in full (the user trusts the folder); otherwise they only tighten.</summary>
    public bool ProjectTrusted { get; init; } = true;

    /// <summary>What untrusted project sources set that was left out (empty when trusted).</summary>
    public IReadOnlyList<IgnoredSettings> Ignored { get; init; } = [];

    /// <summary>Why the trust file could not be read (then no folder is trusted), or null.</summary>
    public string? TrustError { get; init; }

    /// <summary>One line for each key of a settings file or profile that Rein does not know (<see cref="KnownSettings"/>), lowest precedence first.</summary>
    public IReadOnlyList<string> UnknownKeys { get; init; } = [];

    /// <summary>
    /// Why commands run without the sandbox when a command rather than the user turned it off (<c>rein demo</c> on a
    /// machine without bubblewrap); journaled instead of the <c>--sandbox none</c> warning. Null when the user chose.
    /// </summary>
    public string? SandboxOffReason { get; init; }

    /// <summary>How much the command logs on standard error (<c>REIN_LOG_LEVEL</c>, <c>--verbose</c>); warnings and worse by default.</summary>
    public Microsoft.Extensions.Logging.LogLevel LogLevel { get; init; } = Microsoft.Extensions.Logging.LogLevel.Warning;

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
    /// <param name="trusted">
    /// Whether the workspace's project settings are trusted; null looks the workspace up in the user's trusted folders
    /// (<see cref="TrustedFolders"/>). Untrusted project sources only tighten (<see cref="ProjectSettingsFilter"/>).
    /// </param>
    /// <exception cref="SettingsException">A source has a bad value.</exception>
    public static ResolvedSettings Resolve(SettingsValues flags, string workspace, Func<string, string?> env, bool? trusted = null)
    {
        var userFile = Path.Combine(ReinPaths.UserConfigDirectory(env), "settings.json");
        var projectFile = Path.Combine(workspace, ".rein", "settings.json");
        var managedFile = env("REIN_MANAGED_SETTINGS") is { Length: > 0 } managed ? managed : "/etc/rein/managed-settings.json";
        var loaded = new Dictionary<string, (SettingsValues Values, SettingsDocument Document)>(StringComparer.Ordinal);
        foreach (var (source, file) in new[] { ("user", userFile), ("project", projectFile), ("managed", managedFile) })
        {
            if (File.Exists(file))
            {
                var (fileValues, root) = SettingsFile.Load(file);
                loaded[source] = (fileValues, new SettingsDocument(source, file, root));
            }
        }

        string? trustError = null;
        if (trusted is null)
        {
            var folders = TrustedFolders.Load(env);
            trusted = folders.IsTrusted(workspace);
            trustError = folders.Error;
        }

        var user = loaded.TryGetValue("user", out var u) ? u : (new SettingsValues(), null);
        var project = loaded.TryGetValue("project", out var p) ? p : (new SettingsValues(), null);
        var environment = FromEnvironment(env);
        var trustedValues = user.Values.Overlay(environment).Overlay(flags);

        // Without --agent, REIN_AGENT or "agent" in a settings file, the built-in coder profile runs.
        var projectAgent = project.Values.Agent;
        if (trusted == false && projectAgent is not null && !(trustedValues.Agent is null && IsProjectOrBuiltInProfile(projectAgent, workspace)))
        {
            projectAgent = null;
        }

        var agent = flags.Agent ?? environment.Agent ?? projectAgent ?? user.Values.Agent ?? Profiles.AgentProfiles.DefaultName;
        Rein.Profiles.AgentProfile profile;
        try
        {
            profile = Profiles.AgentProfiles.Load(agent, workspace, env);
        }
        catch (Exception ex) when (ex is FormatException or FileNotFoundException)
        {
            throw new SettingsException(ex.Message);
        }

        // Read before the untrusted filter drops them: a typo is worth naming wherever it is.
        var unknownKeys = new List<string>();
        if (!profile.Path.StartsWith("built-in:", StringComparison.Ordinal))
        {
            unknownKeys.AddRange(KnownSettings.Warnings(profile.Settings, profile.Path, profile: true));
        }

        foreach (var source in new[] { "user", "project", "managed" })
        {
            if (loaded.TryGetValue(source, out var file))
            {
                unknownKeys.AddRange(KnownSettings.Warnings(file.Document.Root, file.Document.Path));
            }
        }

        var ignored = new List<IgnoredSettings>();
        var profileIsProject = IsInProjectAgents(profile.Path, workspace);
        if (trusted == false && (profileIsProject || project.Document is not null))
        {
            var lower = new List<SettingsDocument>();
            if (!profileIsProject)
            {
                lower.Add(new SettingsDocument("profile", profile.Path, profile.Settings));
            }

            if (user.Document is { } userDocument)
            {
                lower.Add(userDocument);
            }

            var baseline = TrustBaseline.From(lower, loaded.TryGetValue("managed", out var m) ? m.Document : null, trustedValues, Principal.Current(env));
            if (profileIsProject)
            {
                var (kept, keys) = Filter(new SettingsDocument("profile", profile.Path, profile.Settings), baseline, workspace);
                profile = profile.WithSettings(kept);
                AddIgnored(ignored, profile.Path, keys);
            }

            if (project.Document is { } projectDocument)
            {
                var (kept, keys) = Filter(projectDocument, baseline, workspace);
                project = (SettingsFile.ReadValues(kept, projectFile) with { Agent = projectAgent }, projectDocument with { Root = kept });
                AddIgnored(ignored, projectFile, keys);
            }
        }

        // A project's MCP servers are programs it would start on this machine: only a trusted folder may name them.
        var mcpFile = Path.Combine(workspace, Rein.Mcp.Configuration.McpConfig.ProjectFile);
        if (trusted == false && File.Exists(mcpFile))
        {
            AddIgnored(ignored, mcpFile, [Rein.Mcp.Configuration.McpConfig.Key]);
        }

        var sources = new List<string>();
        var documents = new List<SettingsDocument>();
        foreach (var document in new[] { user.Document, project.Document, loaded.TryGetValue("managed", out var mm) ? mm.Document : null })
        {
            if (document is not null)
            {
                documents.Add(document);
                sources.Add(document.Path);
            }
        }

        // Managed settings only tighten (their policy and budget sections); they do not pick models or stores.
        var values = user.Values.Overlay(project.Values).Overlay(environment).Overlay(flags);

        // The profile is the lowest-precedence source: settings files, variables and flags override it.
        documents.Insert(0, new SettingsDocument("profile", profile.Path, profile.Settings));
        sources.Insert(0, profile.Path);
        values = new SettingsValues { Model = profile.Model }.Overlay(values);

        var store = values.Store is { Length: > 0 } s ? Path.GetFullPath(s, workspace) : ReinPaths.DefaultStore(env);
        return new ResolvedSettings(values, workspace, store, sources, documents)
        {
            Profile = profile,
            ProjectTrusted = trusted.Value,
            Ignored = ignored,
            TrustError = trustError,
            UnknownKeys = unknownKeys,
            LogLevel = LogLevelSetting.Read(env, verbose: false),
        };
    }

    /// <summary>The line that tells the user what an untrusted folder's settings could not do, or null when nothing was ignored.</summary>
    public static string? IgnoredWarning(ResolvedSettings settings) =>
        settings.Ignored.Count == 0 ? null
        : $"rein: ignored from untrusted {string.Join("; ", settings.Ignored.Select(i => $"{Path.GetRelativePath(settings.Workspace, i.File)}: {string.Join(", ", i.Keys)}"))} " +
          "(run 'rein trust' to trust this folder)";

    private static (System.Text.Json.JsonElement Kept, IReadOnlyList<string> Keys) Filter(SettingsDocument document, TrustBaseline baseline, string workspace)
    {
        try
        {
            // Broken settings are reported as they always were, trusted or not.
            Guard.Policy.PolicyConfig.Read(document.Root, document.Source, document.Path);
            new Guard.Approvals.ApprovalOptions().Read(document.Root, document.Path);
            if (TrustBaseline.Section(document.Root, "sandbox") is { } sandbox)
            {
                Guard.Sandbox.SandboxOptions.FromJson(sandbox, document.Path);
            }

            if (TrustBaseline.Section(document.Root, "budgets") is { } budgets)
            {
                Guard.Budgets.BudgetLimits.FromJson(budgets, document.Path);
            }
        }
        catch (Exception ex) when (ex is Guard.Policy.PolicyConfigException or FormatException)
        {
            throw new SettingsException(ex.Message);
        }

        return ProjectSettingsFilter.Filter(document.Root, baseline, name => IsProjectOrBuiltInProfile(name, workspace));
    }

    private static void AddIgnored(List<IgnoredSettings> ignored, string file, IReadOnlyList<string> keys)
    {
        if (keys.Count > 0)
        {
            ignored.Add(new IgnoredSettings(file, keys));
        }
    }

    private static bool IsProjectOrBuiltInProfile(string name, string workspace) =>
        Profiles.AgentProfiles.BuiltIn.Contains(name)
        || (name.IndexOfAny(['/', '\\']) < 0 && File.Exists(Path.Combine(workspace, ".rein", "agents", name + ".md")));

    private static bool IsInProjectAgents(string profilePath, string workspace) =>
        !profilePath.StartsWith("built-in:", StringComparison.Ordinal)
        && string.Equals(Path.GetDirectoryName(Path.GetFullPath(profilePath)), Path.Combine(workspace, ".rein", "agents"), StringComparison.Ordinal);

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
