using System.Collections.Concurrent;
using System.Reflection;
using Rein.Hosting.Configuration;
using Rein.Profiles;

namespace Rein.Hosting.Profiles;

/// <summary>Where agent profiles come from: the project's <c>.rein/agents</c>, the user's <c>agents</c> folder, then the ones Rein ships.</summary>
internal static class AgentProfiles
{
    /// <summary>The profile used when no <c>--agent</c>, <c>REIN_AGENT</c> or settings <c>agent</c> names one.</summary>
    public const string DefaultName = "coder";

    /// <summary>The profiles that ship with Rein.</summary>
    public static IReadOnlyList<string> BuiltIn { get; } = [DefaultName];

    public static IReadOnlyList<string> Folders(string workspace, Func<string, string?> env) =>
        [Path.Combine(workspace, ".rein", "agents"), Path.Combine(ReinPaths.UserConfigDirectory(env), "agents")];

    /// <summary>Loads a profile by name; a file in the folders wins over a built-in profile of the same name.</summary>
    /// <exception cref="FormatException">The profile is invalid (file, line and field named).</exception>
    /// <exception cref="FileNotFoundException">No such profile.</exception>
    public static AgentProfile Load(string name, string workspace, Func<string, string?> env)
    {
        var folders = Folders(workspace, env);
        var profile = folders.Any(folder => File.Exists(Path.Combine(folder, name + ".md"))) || !BuiltIn.Contains(name)
            ? AgentProfile.Load(name, folders)
            : ParsedBuiltIn(name);
        profile.RequireKnownTools(ProfileTools.KnownNames);
        return profile;
    }

    /// <summary>Every profile visible from a workspace, files first, with where each came from; invalid files are listed with their error.</summary>
    public static IReadOnlyList<(string Name, string Source, AgentProfile? Profile, string? Error)> List(string workspace, Func<string, string?> env)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var result = new List<(string, string, AgentProfile?, string?)>();
        foreach (var folder in Folders(workspace, env).Where(Directory.Exists))
        {
            foreach (var file in Directory.EnumerateFiles(folder, "*.md").Order(StringComparer.Ordinal))
            {
                var name = Path.GetFileNameWithoutExtension(file);
                if (!seen.Add(name))
                {
                    continue;
                }

                try
                {
                    var profile = AgentProfile.Parse(File.ReadAllText(file), file);
                    profile.RequireKnownTools(ProfileTools.KnownNames);
                    result.Add((name, file, profile, null));
                }
                catch (FormatException ex)
                {
                    result.Add((name, file, null, ex.Message));
                }
            }
        }

        foreach (var name in BuiltIn.Where(seen.Add))
        {
            result.Add((name, "built-in", ParsedBuiltIn(name), null));
        }

        return result;
    }

    // Built-in profiles never change while the process runs, and every session start loads one: parsed once.
    private static readonly ConcurrentDictionary<string, AgentProfile> BuiltInProfiles = new(StringComparer.Ordinal);

    private static AgentProfile ParsedBuiltIn(string name) =>
        BuiltInProfiles.GetOrAdd(name, static n => AgentProfile.Parse(BuiltInText(n), $"built-in:{n}.md"));

    /// <summary>The text of a built-in profile (also the template for <c>rein agents new</c>).</summary>
    public static string BuiltInText(string name)
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream($"Rein.Hosting.Profiles.{name}.md")
            ?? throw new FileNotFoundException($"No built-in agent profile '{name}'.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
