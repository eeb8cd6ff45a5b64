using System.Text.Json;

namespace Rein.Hosting.Configuration;

/// <summary>
/// The values one settings source gives. Every value is optional; sources are merged by
/// <see cref="SettingsResolver"/> with flags first, then <c>REIN_*</c> variables, then the
/// project's <c>.rein/settings.json</c> (only what tightens unless the folder is trusted), then the user's <c>settings.json</c>.
/// </summary>
internal sealed record SettingsValues
{
    public string? Model { get; init; }

    public string? BaseUrl { get; init; }

    public string? Store { get; init; }

    public int? MaxSteps { get; init; }

    public string? ApiKey { get; init; }

    /// <summary>The agent profile to run (<c>--agent</c>, <c>REIN_AGENT</c>, <c>"agent"</c>).</summary>
    public string? Agent { get; init; }

    /// <summary>The permission mode (<c>--mode</c>, <c>REIN_MODE</c>).</summary>
    public string? Mode { get; init; }

    /// <summary>The named environment whose rules apply (<c>--env</c>, <c>REIN_ENV</c>, <c>"environment"</c>).</summary>
    public string? Environment { get; init; }

    /// <summary>Most tokens (input + output) a session may use (<c>--max-tokens</c>).</summary>
    public long? MaxTokens { get; init; }

    /// <summary>Most US dollars a session may spend (<c>--max-cost</c>).</summary>
    public decimal? MaxCostUsd { get; init; }

    /// <summary>Longest wall-clock time of a run (<c>--max-time</c>).</summary>
    public TimeSpan? MaxTime { get; init; }

    /// <summary>The sandbox for commands: <c>bubblewrap</c> or <c>none</c> (<c>--sandbox</c>, <c>REIN_SANDBOX</c>).</summary>
    public string? Sandbox { get; init; }

    /// <summary>Values from <paramref name="over"/> win where set.</summary>
    public SettingsValues Overlay(SettingsValues over) => new()
    {
        Model = over.Model ?? Model,
        BaseUrl = over.BaseUrl ?? BaseUrl,
        Store = over.Store ?? Store,
        MaxSteps = over.MaxSteps ?? MaxSteps,
        ApiKey = over.ApiKey ?? ApiKey,
        Agent = over.Agent ?? Agent,
        Mode = over.Mode ?? Mode,
        Environment = over.Environment ?? Environment,
        Sandbox = over.Sandbox ?? Sandbox,
        MaxTokens = over.MaxTokens ?? MaxTokens,
        MaxCostUsd = over.MaxCostUsd ?? MaxCostUsd,
        MaxTime = over.MaxTime ?? MaxTime,
    };
}

/// <summary>Thrown for a settings file or value that cannot be used; the message names the file, line and key.</summary>
internal sealed class SettingsException(string message) : Exception(message);

/// <summary>Reads <c>settings.json</c> files.</summary>
internal static class SettingsFile
{
    /// <summary>Reads a settings file; a missing file gives empty values.</summary>
    /// <exception cref="SettingsException">The file is not valid JSON or a key has the wrong type.</exception>
    public static SettingsValues Read(string path) => File.Exists(path) ? Load(path).Values : new SettingsValues();

    /// <summary>Reads a settings file: its plain values and the whole document, for the sections other layers read.</summary>
    /// <exception cref="SettingsException">The file is not valid JSON or a key has the wrong type.</exception>
    public static (SettingsValues Values, JsonElement Root) Load(string path)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(File.ReadAllText(path), new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        }
        catch (JsonException ex)
        {
            throw new SettingsException(Engine.ErrorText.Json(ex, path));
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new SettingsException($"{path}: settings must be a JSON object, e.g. {{\"model\": \"openai:gpt-5.5\"}}.");
            }

            return (ReadValues(root, path), root.Clone());
        }
    }

    /// <summary>The plain values of a settings object.</summary>
    /// <exception cref="SettingsException">A key has the wrong type.</exception>
    public static SettingsValues ReadValues(JsonElement root, string path) => new()
    {
        Model = ReadString(root, "model", path),
        BaseUrl = ReadString(root, "base_url", path),
        Store = ReadString(root, "store", path),
        MaxSteps = ReadInt(root, "max_steps", path),
        Environment = ReadString(root, "environment", path),
        Agent = ReadString(root, "agent", path),
        Sandbox = ReadSandbox(root, path),
    };

    private static string? ReadSandbox(JsonElement root, string path) =>
        root.TryGetProperty("sandbox", out var sandbox) && sandbox.ValueKind == JsonValueKind.Object
            ? ReadString(sandbox, "type", path + ": sandbox")
            : null;

    private static string? ReadString(JsonElement root, string key, string path) =>
        !root.TryGetProperty(key, out var value) || value.ValueKind == JsonValueKind.Null ? null
        : value.ValueKind == JsonValueKind.String ? value.GetString()
        : throw new SettingsException($"{path}: \"{key}\" must be a string, not {value.ValueKind.ToString().ToLowerInvariant()}.");

    private static int? ReadInt(JsonElement root, string key, string path) =>
        !root.TryGetProperty(key, out var value) || value.ValueKind == JsonValueKind.Null ? null
        : value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var n) && n > 0 ? n
        : throw new SettingsException($"{path}: \"{key}\" must be a positive whole number.");
}
