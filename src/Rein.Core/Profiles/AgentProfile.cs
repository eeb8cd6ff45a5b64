using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Rein.Profiles;

/// <summary>
/// An agent profile: a Markdown file whose YAML front matter configures the agent (<c>name</c>, <c>model</c>, <c>tools</c>,
/// <c>memory</c>, <c>surfaces</c>, <c>permissions</c>, <c>budgets</c>, <c>approvals</c>, …, the sections in the same shape as the settings files) and whose body
/// is the agent's onboarding doc, added to its instructions.
/// </summary>
/// <remarks>Immutable and thread-safe once loaded.</remarks>
public sealed class AgentProfile
{
    private readonly ProfileFields _fields;

    private AgentProfile(string name, string path, JsonElement settings, string body, ProfileFields fields)
    {
        Name = name;
        Path = path;
        Settings = settings;
        Body = body;
        _fields = fields;
    }

    /// <summary>Gets a copy of this profile whose settings are <paramref name="settings"/> (e.g. only the parts of an untrusted profile that tighten).</summary>
    /// <param name="settings">The front matter to use instead, as a JSON object.</param>
    /// <returns>The profile with the same name, path, body, tools, memory and surfaces.</returns>
    public AgentProfile WithSettings(JsonElement settings) => new(Name, Path, settings, Body, _fields);

    /// <summary>Gets the surfaces a profile may name in <c>surfaces</c>.</summary>
    public static IReadOnlyList<string> KnownSurfaces { get; } = ["cli", "http", "web", "slack", "telegram", "acp"];

    /// <summary>Gets the memory scopes a profile may name in <c>memory.scopes</c>.</summary>
    public static IReadOnlyList<string> KnownMemoryScopes { get; } = ["user", "agent", "project"];

    /// <summary>Gets the profile's name (front matter <c>name</c>, else the file name).</summary>
    public string Name { get; }

    /// <summary>Gets the file the profile was read from.</summary>
    public string Path { get; }

    /// <summary>Gets the front matter as a JSON object, readable by the same section readers as a settings file.</summary>
    public JsonElement Settings { get; }

    /// <summary>Gets the Markdown body: the onboarding doc.</summary>
    public string Body { get; }

    /// <summary>Gets the model the profile asks for (<c>model</c>), if any.</summary>
    public string? Model => Settings.TryGetProperty("model", out var model) && model.ValueKind == JsonValueKind.String ? model.GetString() : null;

    /// <summary>Gets the tools the agent may use (<c>tools</c>), in the order written; <see langword="null"/> when the profile does not limit them.</summary>
    /// <remarks>The names are checked against the tools that exist by <see cref="RequireKnownTools"/>, which the host calls when it loads the profile.</remarks>
    public IReadOnlyList<string>? Tools => _fields.Tools;

    /// <summary>Gets the agent's long-term memory settings (<c>memory</c>), or <see langword="null"/> when the profile has none.</summary>
    public ProfileMemory? Memory => _fields.Memory;

    /// <summary>Gets the surfaces the agent may run on (<c>surfaces</c>), or <see langword="null"/> for every surface.</summary>
    public IReadOnlyList<string>? Surfaces => _fields.Surfaces;

    /// <summary>Gets whether the agent may run on a surface.</summary>
    /// <param name="surface">One of <see cref="KnownSurfaces"/>, e.g. <c>cli</c>.</param>
    /// <returns>Whether <see cref="Surfaces"/> is unset or lists <paramref name="surface"/>.</returns>
    public bool AllowsSurface(string surface)
    {
        ArgumentException.ThrowIfNullOrEmpty(surface);
        return Surfaces is null || Surfaces.Contains(surface, StringComparer.Ordinal);
    }

    /// <summary>Checks that every name in <see cref="Tools"/> is a tool that exists.</summary>
    /// <param name="knownTools">The names of the tools the host offers.</param>
    /// <exception cref="FormatException">A name is unknown; the message names the file, the entry's line and the field.</exception>
    public void RequireKnownTools(IEnumerable<string> knownTools)
    {
        ArgumentNullException.ThrowIfNull(knownTools);
        if (Tools is null)
        {
            return;
        }

        var known = knownTools.ToHashSet(StringComparer.Ordinal);
        for (var i = 0; i < Tools.Count; i++)
        {
            if (!known.Contains(Tools[i]))
            {
                throw new FormatException(
                    $"{Path}:{_fields.ToolLines[i]}: field 'tools': unknown tool '{Tools[i]}'. Known tools: {string.Join(", ", known.Order(StringComparer.Ordinal))}.");
            }
        }
    }

    /// <summary>Finds a profile by name: <c>NAME.md</c> in the first folder that has one.</summary>
    /// <param name="name">The profile name.</param>
    /// <param name="folders">The folders to look in, in order (project's <c>.rein/agents</c> first, then the user's).</param>
    /// <returns>The profile.</returns>
    /// <exception cref="FormatException">The file is not a valid profile; the message names the file, line and field.</exception>
    /// <exception cref="FileNotFoundException">No folder has the profile.</exception>
    public static AgentProfile Load(string name, IReadOnlyList<string> folders)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(folders);
        foreach (var folder in folders)
        {
            var file = System.IO.Path.Combine(folder, name + ".md");
            if (File.Exists(file))
            {
                return Parse(File.ReadAllText(file), file);
            }
        }

        throw new FileNotFoundException($"No agent profile '{name}'. Looked for {name}.md in: {string.Join(", ", folders)}.");
    }

    /// <summary>Parses a profile.</summary>
    /// <param name="text">The file's text.</param>
    /// <param name="path">The file, for the name and error messages.</param>
    /// <returns>The profile.</returns>
    /// <exception cref="FormatException">The front matter is missing or invalid; the message names the file, line and field.</exception>
    public static AgentProfile Parse(string text, string path)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(path);
        var lines = text.ReplaceLineEndings("\n").Split('\n');
        if (lines.Length == 0 || lines[0].Trim() != "---")
        {
            throw new FormatException($"{path}:1: an agent profile starts with YAML front matter between two '---' lines.");
        }

        var end = Array.FindIndex(lines, 1, line => line.Trim() == "---");
        if (end < 0)
        {
            throw new FormatException($"{path}: the front matter has no closing '---' line.");
        }

        var yaml = string.Join('\n', lines[1..end]);
        JsonNode? front;
        YamlNode? root;
        try
        {
            var stream = new YamlStream();
            stream.Load(new StringReader(yaml));
            root = stream.Documents.Count == 0 ? null : stream.Documents[0].RootNode;
            front = root is null ? new JsonObject() : ToJson(root, path);
        }
        catch (YamlException ex)
        {
            // Line numbers in the front matter start after the opening '---'.
            throw new FormatException($"{path}:{ex.Start.Line + 1}: invalid YAML front matter: {ex.Message}", ex);
        }

        if (front is not JsonObject settings)
        {
            throw new FormatException($"{path}:2: the front matter must be a mapping of fields (name, model, permissions, budgets, …).");
        }

        var name = System.IO.Path.GetFileNameWithoutExtension(path);
        if (settings["name"] is { } nameNode)
        {
            name = nameNode.GetValueKind() == JsonValueKind.String ? nameNode.GetValue<string>()
                : throw new FormatException($"{path}:{LineOf(yaml, "name")}: field 'name' must be a string.");
        }

        if (settings["model"] is { } model && model.GetValueKind() != JsonValueKind.String)
        {
            throw new FormatException($"{path}:{LineOf(yaml, "model")}: field 'model' must be a string such as openai:gpt-5.5.");
        }

        var fields = ProfileFields.Read(root as YamlMappingNode, path);
        var element = JsonSerializer.SerializeToElement(settings, Journal.JournalJson.Options.GetTypeInfo(typeof(JsonNode)));
        return new AgentProfile(name, path, element, string.Join('\n', lines[(end + 1)..]).Trim(), fields);
    }

    /// <summary>The line of a top-level field in the file (the front matter starts on line 2), for error messages.</summary>
    /// <param name="yaml">The front matter.</param>
    /// <param name="field">The field.</param>
    /// <returns>The 1-based line in the file, or 2 when not found.</returns>
    public static int LineOf(string yaml, string field)
    {
        ArgumentNullException.ThrowIfNull(yaml);
        var lines = yaml.Split('\n');
        var index = Array.FindIndex(lines, l => l.StartsWith(field + ":", StringComparison.Ordinal));
        return index < 0 ? 2 : index + 2;
    }

    private static JsonNode? ToJson(YamlNode node, string path) => node switch
    {
        YamlMappingNode map => new JsonObject(map.Children.Select(pair => KeyValuePair.Create(
            pair.Key is YamlScalarNode { Value: { } key } ? key : throw new FormatException($"{path}:{pair.Key.Start.Line + 1}: keys must be plain names."),
            ToJson(pair.Value, path)))),
        YamlSequenceNode list => new JsonArray([.. list.Children.Select(child => ToJson(child, path))]),
        YamlScalarNode scalar => Scalar(scalar),
        _ => throw new FormatException($"{path}:{node.Start.Line + 1}: unsupported YAML (anchors and aliases are not allowed)."),
    };

    private static JsonValue? Scalar(YamlScalarNode scalar)
    {
        var value = scalar.Value ?? "";
        if (scalar.Style is ScalarStyle.SingleQuoted or ScalarStyle.DoubleQuoted or ScalarStyle.Literal or ScalarStyle.Folded)
        {
            return JsonValue.Create(value);
        }

        return value switch
        {
            "" or "~" or "null" or "Null" or "NULL" => null,
            "true" or "True" or "TRUE" => JsonValue.Create(true),
            "false" or "False" or "FALSE" => JsonValue.Create(false),
            _ when long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var whole) => JsonValue.Create(whole),
            _ when decimal.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) => JsonValue.Create(number),
            _ => JsonValue.Create(value),
        };
    }
}
