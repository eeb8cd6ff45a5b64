using System.Globalization;

namespace Rein.Cli.Configuration;

/// <summary>The effective settings of one command, with where each came from.</summary>
internal sealed record ResolvedSettings(SettingsValues Values, string Workspace, string StorePath, IReadOnlyList<string> Sources);

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
        var sources = new List<string>();
        var values = new SettingsValues();
        foreach (var file in new[] { userFile, projectFile })
        {
            if (File.Exists(file))
            {
                values = values.Overlay(SettingsFile.Read(file));
                sources.Add(file);
            }
        }

        values = values.Overlay(FromEnvironment(env)).Overlay(flags);
        var store = values.Store is { Length: > 0 } s ? Path.GetFullPath(s, workspace) : ReinPaths.DefaultStore(env);
        return new ResolvedSettings(values, workspace, store, sources);
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
        };
    }

    private static string? Empty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;
}
