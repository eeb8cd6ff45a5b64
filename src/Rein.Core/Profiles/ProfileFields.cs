using YamlDotNet.RepresentationModel;

namespace Rein.Profiles;

/// <summary>The profile fields with a fixed shape (<c>tools</c>, <c>memory</c>, <c>surfaces</c>), read from the YAML so errors name lines.</summary>
/// <param name="ToolLines">The file line of each entry of <paramref name="Tools"/>.</param>
internal sealed record ProfileFields(IReadOnlyList<string>? Tools, IReadOnlyList<int> ToolLines, ProfileMemory? Memory, IReadOnlyList<string>? Surfaces)
{
    private static readonly ProfileFields None = new(null, [], null, null);

    /// <exception cref="FormatException">A field has the wrong shape or an unknown value; the message names the file, line and field.</exception>
    public static ProfileFields Read(YamlMappingNode? root, string path)
    {
        if (root is null)
        {
            return None;
        }

        IReadOnlyList<string>? tools = null;
        IReadOnlyList<int> toolLines = [];
        if (Field(root, "tools") is { } toolsNode)
        {
            var entries = Names(toolsNode, path, "tools", "a list of tool names, e.g. [read_file, grep]", null);
            tools = [.. entries.Select(e => e.Name)];
            toolLines = [.. entries.Select(e => e.Line)];
        }

        IReadOnlyList<string>? surfaces = null;
        if (Field(root, "surfaces") is { } surfacesNode)
        {
            surfaces = [.. Names(surfacesNode, path, "surfaces", $"a list of surfaces ({string.Join(", ", AgentProfile.KnownSurfaces)})", AgentProfile.KnownSurfaces).Select(e => e.Name)];
        }

        return new ProfileFields(tools, toolLines, Field(root, "memory") is { } memory ? ReadMemory(memory, path) : null, surfaces);
    }

    private static YamlNode? Field(YamlMappingNode map, string name) =>
        map.Children.FirstOrDefault(pair => pair.Key is YamlScalarNode { Value: { } key } && key == name).Value;

    private static int Line(YamlNode node) => (int)node.Start.Line + 1;

    private static bool IsNull(YamlNode node) =>
        node is YamlScalarNode { Style: not (YamlDotNet.Core.ScalarStyle.SingleQuoted or YamlDotNet.Core.ScalarStyle.DoubleQuoted), Value: null or "" or "~" or "null" or "Null" or "NULL" };

    private static List<(string Name, int Line)> Names(YamlNode node, string path, string field, string shape, IReadOnlyList<string>? allowed)
    {
        if (node is not YamlSequenceNode list)
        {
            throw new FormatException($"{path}:{Line(node)}: field '{field}' must be {shape}.");
        }

        var names = new List<(string, int)>();
        foreach (var item in list.Children)
        {
            if (item is not YamlScalarNode { Value: { Length: > 0 } name } || IsNull(item))
            {
                throw new FormatException($"{path}:{Line(item)}: field '{field}' must be {shape}; this entry is not a name.");
            }

            if (allowed is not null && !allowed.Contains(name, StringComparer.Ordinal))
            {
                throw new FormatException($"{path}:{Line(item)}: field '{field}': unknown value '{name}'; expected one of {string.Join(", ", allowed)}.");
            }

            names.Add((name, Line(item)));
        }

        return names;
    }

    private static ProfileMemory ReadMemory(YamlNode node, string path)
    {
        const string Shape = "a mapping such as {enabled: true, scopes: [user, agent, project]}";
        if (node is not YamlMappingNode map)
        {
            throw new FormatException($"{path}:{Line(node)}: field 'memory' must be {Shape}.");
        }

        var enabled = true;
        IReadOnlyList<string> scopes = [];
        foreach (var (keyNode, value) in map.Children)
        {
            var key = (keyNode as YamlScalarNode)?.Value;
            switch (key)
            {
                case "enabled":
                    enabled = value is YamlScalarNode { Style: YamlDotNet.Core.ScalarStyle.Plain, Value: "true" or "True" or "TRUE" } ? true
                        : value is YamlScalarNode { Style: YamlDotNet.Core.ScalarStyle.Plain, Value: "false" or "False" or "FALSE" } ? false
                        : throw new FormatException($"{path}:{Line(value)}: field 'memory.enabled' must be true or false.");
                    break;
                case "scopes":
                    scopes = [.. Names(value, path, "memory.scopes", $"a list of scopes ({string.Join(", ", AgentProfile.KnownMemoryScopes)})", AgentProfile.KnownMemoryScopes)
                        .Select(e => e.Name).Distinct(StringComparer.Ordinal)];
                    break;
                default:
                    throw new FormatException($"{path}:{Line(keyNode)}: field 'memory.{key}' is unknown; memory has 'enabled' and 'scopes'.");
            }
        }

        return new ProfileMemory(enabled, scopes);
    }
}
