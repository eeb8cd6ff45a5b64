using System.Text.Json;
using Rein.Hosting.Configuration;

namespace Rein.Server.Chat;

/// <summary>
/// Reads the <c>slack</c> and <c>telegram</c> sections of the settings files (the user's, a trusted project's, the managed
/// ones; a later file's key wins). Secrets are never written in a settings file: they name an entry of Rein's secret store
/// as <c>secret:NAME</c>.
/// </summary>
internal static class ChatSettings
{
    private const string SecretPrefix = "secret:";

    private static readonly string[] SlackKeys = ["signing_secret", "bot_token", "api_url", "workspace", "agent"];

    private static readonly string[] TelegramKeys = ["bot_token", "webhook_secret", "api_url", "workspace", "agent"];

    /// <summary>Reads both sections.</summary>
    /// <param name="settings">The server's settings (an untrusted project's sections were already left out).</param>
    /// <param name="secret">Looks a stored secret up by name; null when the store has none of that name.</param>
    /// <returns>The options; a surface without a section is null.</returns>
    /// <exception cref="SettingsException">A section is malformed, or names a secret the store does not have.</exception>
    public static ChatOptions Read(ResolvedSettings settings, Func<string, string?> secret)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(secret);
        var options = new ChatOptions();
        if (Section(settings, "slack", SlackKeys) is { } slack)
        {
            options.Slack = new SlackOptions
            {
                SigningSecret = Secret(slack, "slack", "signing_secret", secret, required: true)!,
                BotToken = Secret(slack, "slack", "bot_token", secret, required: true)!,
                ApiUrl = Url(slack, "slack", "api_url", appendSlash: true) ?? new Uri("https://slack.com/api/"),
                Workspace = Folder(slack, "slack", settings.Workspace),
                Agent = Text(slack, "slack", "agent"),
            };
        }

        if (Section(settings, "telegram", TelegramKeys) is { } telegram)
        {
            options.Telegram = new TelegramOptions
            {
                BotToken = Secret(telegram, "telegram", "bot_token", secret, required: true)!,
                WebhookSecret = Secret(telegram, "telegram", "webhook_secret", secret, required: false),
                ApiUrl = Url(telegram, "telegram", "api_url", appendSlash: false) ?? new Uri("https://api.telegram.org"),
                Workspace = Folder(telegram, "telegram", settings.Workspace),
                Agent = Text(telegram, "telegram", "agent"),
            };
        }

        return options;
    }

    /// <summary>The section's keys from every file that has it, each from the last file that sets it, with the file it came from.</summary>
    private static Dictionary<string, (JsonElement Value, string File)>? Section(ResolvedSettings settings, string name, string[] keys)
    {
        Dictionary<string, (JsonElement, string)>? merged = null;
        foreach (var document in settings.Documents.Where(d => d.Source is "user" or "project" or "managed"))
        {
            if (document.Root.ValueKind != JsonValueKind.Object || !document.Root.TryGetProperty(name, out var section))
            {
                continue;
            }

            if (section.ValueKind != JsonValueKind.Object)
            {
                throw new SettingsException($"{document.Path}: \"{name}\" must be an object, e.g. {{\"bot_token\": \"secret:{name.ToUpperInvariant()}_BOT_TOKEN\"}}.");
            }

            merged ??= new(StringComparer.Ordinal);
            foreach (var property in section.EnumerateObject())
            {
                if (!keys.Contains(property.Name, StringComparer.Ordinal))
                {
                    var closest = NearestName.Closest(property.Name, keys);
                    throw new SettingsException(
                        $"{document.Path}: unknown key \"{name}.{property.Name}\"{(closest is null ? "" : $" (did you mean \"{name}.{closest}\"?)")}; the keys are {string.Join(", ", keys)}.");
                }

                merged[property.Name] = (property.Value.Clone(), document.Path);
            }
        }

        return merged;
    }

    private static string? Secret(Dictionary<string, (JsonElement Value, string File)> section, string name, string key, Func<string, string?> secret, bool required)
    {
        if (Text(section, name, key) is not { } reference)
        {
            return required
                ? throw new SettingsException($"\"{name}.{key}\" is required: name a stored secret, e.g. \"{key}\": \"secret:{name.ToUpperInvariant()}_{key.ToUpperInvariant()}\" after rein secrets set {name.ToUpperInvariant()}_{key.ToUpperInvariant()}.")
                : null;
        }

        var file = section[key].File;
        if (!reference.StartsWith(SecretPrefix, StringComparison.Ordinal) || reference.Length == SecretPrefix.Length)
        {
            // The value itself is not repeated: it may be the secret, written where it should not be.
            throw new SettingsException(
                $"{file}: \"{name}.{key}\" must name a stored secret as \"secret:NAME\" (store it with rein secrets set NAME); secrets are not written in settings files.");
        }

        var secretName = reference[SecretPrefix.Length..];
        return secret(secretName) is { Length: > 0 } value ? value
            : throw new SettingsException($"{file}: \"{name}.{key}\" names the secret {secretName}, which is not in the secret store: rein secrets set {secretName}");
    }

    private static string? Text(Dictionary<string, (JsonElement Value, string File)> section, string name, string key)
    {
        if (!section.TryGetValue(key, out var entry) || entry.Value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        return entry.Value.ValueKind == JsonValueKind.String && entry.Value.GetString() is { Length: > 0 } text ? text
            : throw new SettingsException($"{entry.File}: \"{name}.{key}\" must be a non-empty string.");
    }

    private static Uri? Url(Dictionary<string, (JsonElement Value, string File)> section, string name, string key, bool appendSlash)
    {
        if (Text(section, name, key) is not { } text)
        {
            return null;
        }

        if (!Uri.TryCreate(text, UriKind.Absolute, out var url) || url.Scheme is not ("https" or "http"))
        {
            throw new SettingsException($"{section[key].File}: \"{name}.{key}\" must be an http or https URL, not '{text}'.");
        }

        return appendSlash && !text.EndsWith('/') ? new Uri(text + "/") : url;
    }

    private static string? Folder(Dictionary<string, (JsonElement Value, string File)> section, string name, string relativeTo)
    {
        if (Text(section, name, "workspace") is not { } folder)
        {
            return null;
        }

        var file = section["workspace"].File;
        // A relative folder is below the one rein serve runs in.
        var path = Path.GetFullPath(folder, relativeTo);
        return Directory.Exists(path) ? path : throw new SettingsException($"{file}: \"{name}.workspace\" is {path}, which is not a folder.");
    }
}
