using System.Globalization;
using System.Text.Json;
using Rein.Hosting.Configuration;
using Rein.Replay;

namespace Rein.Cli.Replay;

/// <summary>
/// The <c>"replay"</c> section of settings files: <c>{"replay": {"normalize": [{"pattern": "REGEX", "replacement": "&lt;x&gt;", "name": "…"}]}}</c>,
/// extra normalisation rules applied after the built-in ones (<see cref="ReplayNormalizer"/>), user settings first, then project.
/// </summary>
/// <remarks>
/// An untrusted project's <c>replay</c> section is ignored like every key that could loosen a check (<see cref="ProjectSettingsFilter"/>).
/// </remarks>
internal static class ReplaySettings
{
    /// <summary>The top-level settings key.</summary>
    public const string Section = "replay";

    /// <summary>The key of the rule list inside <see cref="Section"/>.</summary>
    public const string Normalize = "normalize";

    /// <summary>What a match becomes when a rule gives no <c>replacement</c>.</summary>
    public const string DefaultReplacement = "<masked>";

    /// <summary>The user rules of every settings document, in the order the documents are given.</summary>
    /// <exception cref="SettingsException">A rule is malformed or its pattern is not a valid regular expression; the message names the file and the setting.</exception>
    public static IReadOnlyList<NormalizationRule> ReadRules(IEnumerable<SettingsDocument> documents)
    {
        var rules = new List<NormalizationRule>();
        foreach (var document in documents)
        {
            if (document.Root.ValueKind != JsonValueKind.Object
                || !document.Root.TryGetProperty(Section, out var section)
                || section.ValueKind == JsonValueKind.Null)
            {
                continue;
            }

            if (section.ValueKind != JsonValueKind.Object)
            {
                throw new SettingsException($"{document.Path}: \"{Section}\" must be an object, e.g. {{\"{Section}\": {{\"{Normalize}\": [{{\"pattern\": \"pid [0-9]+\", \"replacement\": \"pid <pid>\"}}]}}}}.");
            }

            if (!section.TryGetProperty(Normalize, out var list) || list.ValueKind == JsonValueKind.Null)
            {
                continue;
            }

            if (list.ValueKind != JsonValueKind.Array)
            {
                throw new SettingsException($"{document.Path}: \"{Section}.{Normalize}\" must be a list of {{\"pattern\": \"REGEX\", \"replacement\": \"TEXT\"}}.");
            }

            var index = 0;
            foreach (var item in list.EnumerateArray())
            {
                rules.Add(ReadRule(item, $"{Section}.{Normalize}[{index.ToString(CultureInfo.InvariantCulture)}]", document.Path));
                index++;
            }
        }

        return rules;
    }

    private static NormalizationRule ReadRule(JsonElement item, string key, string path)
    {
        if (item.ValueKind != JsonValueKind.Object)
        {
            throw new SettingsException($"{path}: \"{key}\" must be an object such as {{\"pattern\": \"REGEX\", \"replacement\": \"TEXT\"}}.");
        }

        var pattern = ReadString(item, "pattern", key, path);
        if (string.IsNullOrEmpty(pattern))
        {
            throw new SettingsException($"{path}: \"{key}.pattern\" is missing or empty; give the regular expression to normalise.");
        }

        var replacement = ReadString(item, "replacement", key, path) ?? DefaultReplacement;
        var name = ReadString(item, "name", key, path) ?? key;
        try
        {
            return NormalizationRule.FromPattern(name, pattern, replacement);
        }
        catch (ArgumentException ex)
        {
            throw new SettingsException($"{path}: \"{key}.pattern\" is not a valid regular expression ({pattern}): {ex.Message}");
        }
    }

    private static string? ReadString(JsonElement item, string property, string key, string path) =>
        !item.TryGetProperty(property, out var value) || value.ValueKind == JsonValueKind.Null ? null
        : value.ValueKind == JsonValueKind.String ? value.GetString()
        : throw new SettingsException($"{path}: \"{key}.{property}\" must be a string, not {value.ValueKind.ToString().ToLowerInvariant()}.");
}
