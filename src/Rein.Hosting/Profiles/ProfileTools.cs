using Rein.Hosting.Configuration;
using Rein.Profiles;
using Rein.Tools;

namespace Rein.Hosting.Profiles;

/// <summary>Applies an agent profile's <c>tools</c> and <c>surfaces</c> fields.</summary>
internal static class ProfileTools
{
    /// <summary>Tools the host adds beside the built-ins: the context engine's, long-term memory's and sub-agents'.</summary>
    private static readonly string[] ComposedTools = ["read_output", "remember", "recall", "forget", "task"];

    private static readonly Lazy<IReadOnlyList<string>> Names = new(() => [.. BuiltInTools.CreateAll().Select(tool => tool.Definition.Name), .. ComposedTools]);

    /// <summary>The names of the tools Rein offers, which a profile's <c>tools</c> may list.</summary>
    public static IReadOnlyList<string> KnownNames => Names.Value;

    /// <summary>The tools the profile allows, in their order; all of them without a profile or a <c>tools</c> field.</summary>
    public static IEnumerable<ITool> Select(IEnumerable<ITool> tools, AgentProfile? profile) =>
        profile?.Tools is { } names ? tools.Where(tool => names.Contains(tool.Definition.Name, StringComparer.Ordinal)) : tools;

    /// <summary>Refuses a profile that may not run on a surface.</summary>
    /// <exception cref="SettingsException">The profile's <c>surfaces</c> leave the surface out.</exception>
    public static void RequireSurface(AgentProfile? profile, string surface)
    {
        if (profile is not null && !profile.AllowsSurface(surface))
        {
            throw new SettingsException(
                $"{profile.Path}: agent '{profile.Name}' does not run on the '{surface}' surface (field 'surfaces': {string.Join(", ", profile.Surfaces ?? [])}). " +
                $"Add {surface} to its surfaces or pick another agent with --agent.");
        }
    }
}
