using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Rein.Hosting.Configuration;
using Rein.Guard.Secrets;
using Rein.Journal;
using Spectre.Console;

namespace Rein.Cli.Commands;

/// <summary><c>rein secrets set|list|rm</c>, and opening the secret store for a run.</summary>
internal static class SecretsCommand
{
    private const string KeyVariable = StoredSecrets.KeyVariable;

    public static Command Create()
    {
        var command = new Command("secrets", $"""
            Store secrets (API tokens, passwords) that shell commands run by the agent can use without the model seeing them.
            The model asks for a secret by name — "secrets": ["GITHUB_TOKEN"] in a shell call — and the command gets it as the
            environment variable $GITHUB_TOKEN. Values are redacted ([REDACTED:NAME]) from tool output before the model sees it
            and from every journal event before it is stored, also in base64, URL-encoded and JSON-escaped form
            (values shorter than {SecretRedactor.MinimumLength} characters are not redacted: they would match unrelated text).

            The secrets are kept in one file encrypted with AES-256-GCM: $REIN_SECRETS_FILE, default
            $XDG_DATA_HOME/rein/secrets.bin (~/.local/share/rein/secrets.bin). The key is ${KeyVariable} when set (base64 of 32 bytes,
            or any passphrase, stretched with PBKDF2-SHA256), else the key file $REIN_SECRETS_KEY_FILE, default
            $XDG_CONFIG_HOME/rein/secrets.key (~/.config/rein/secrets.key), created with 32 random bytes (mode 0600) by the
            first "set". Without the key the secrets cannot be read: back it up.
            """);
        command.Add(CreateSet());
        command.Add(CreateList());
        command.Add(CreateRemove());
        return command;
    }

    /// <summary>The store settings from the environment.</summary>
    private static Argument<string> NameArgument() => new("name")
    {
        Description = "The secret's name, as the environment variable the command gets: letters, digits and '_', not starting with a digit (e.g. GITHUB_TOKEN).",
    };

    private static Command CreateSet()
    {
        var name = NameArgument();
        var command = new Command("set", """
            Store a secret, or replace its value. The value is read from standard input when it is redirected
            (one trailing newline is dropped), e.g. printf %s "$TOKEN" | rein secrets set GITHUB_TOKEN;
            otherwise it is asked for without echoing it. Never pass a value on the command line.
            """)
        {
            name,
        };
        command.SetAction((parse, ct) => GuardAsync(async () =>
        {
            var secretName = parse.GetValue(name)!;
            RequireValidName(secretName);
            var options = StoredSecrets.Options(Environment.GetEnvironmentVariable);
            var store = SecretStore.Open(options);
            var value = Console.IsInputRedirected ? ReadRedirectedValue() : PromptHidden($"Value for {secretName}: ");
            if (value.Length == 0)
            {
                throw new SettingsException("The secret's value is empty; nothing was stored.");
            }

            if (value.Contains('\0', StringComparison.Ordinal))
            {
                throw new SettingsException("The secret's value contains a NUL character, which an environment variable cannot hold; nothing was stored.");
            }

            var keyFileExisted = options.Key is { Length: > 0 } || File.Exists(options.KeyFilePath);
            await store.SetAsync(secretName, value, ct);
            if (!keyFileExisted && File.Exists(options.KeyFilePath))
            {
                await Console.Error.WriteLineAsync($"Created the key file {options.KeyFilePath} (mode 0600). Back it up: without it the secrets cannot be read.");
            }

            await Console.Error.WriteLineAsync(value.Length < SecretRedactor.MinimumLength
                ? $"Stored {secretName} in {store.FilePath}. Note: values shorter than {SecretRedactor.MinimumLength} characters are not redacted from output."
                : $"Stored {secretName} in {store.FilePath}.");
            return ExitCodes.Success;
        }));
        return command;
    }

    private static Command CreateList()
    {
        var command = new Command("list", "List the stored secrets' names and when each was last set. Values are never shown.") { CommonOptions.Json };
        command.SetAction((parse, ct) => GuardAsync(async () =>
        {
            var store = SecretStore.Open(StoredSecrets.Options(Environment.GetEnvironmentVariable));
            var secrets = await store.ListAsync(ct);
            if (parse.GetValue(CommonOptions.Json))
            {
                foreach (var secret in secrets)
                {
                    var line = new JsonObject
                    {
                        ["name"] = secret.Name,
                        ["updated_at"] = secret.UpdatedAt.ToString("O", CultureInfo.InvariantCulture),
                    };
                    Console.Out.WriteLine(line.ToJsonString(JournalJson.Options));
                }

                return ExitCodes.Success;
            }

            if (secrets.Count == 0)
            {
                AnsiConsole.MarkupLine($"[grey]No secrets stored in {Markup.Escape(store.FilePath)}. Add one with: rein secrets set NAME[/]");
                return ExitCodes.Success;
            }

            var table = new Table().Border(TableBorder.Simple).AddColumns("name", "updated");
            foreach (var secret in secrets)
            {
                table.AddRow(Markup.Escape(secret.Name), secret.UpdatedAt.ToLocalTime().ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture));
            }

            AnsiConsole.Write(table);
            return ExitCodes.Success;
        }));
        return command;
    }

    private static Command CreateRemove()
    {
        var name = NameArgument();
        var command = new Command("rm", $"Remove a stored secret. Exit code {ExitCodes.SessionUnavailable} when no secret has that name.") { name };
        command.SetAction((parse, ct) => GuardAsync(async () =>
        {
            var secretName = parse.GetValue(name)!;
            RequireValidName(secretName);
            var store = SecretStore.Open(StoredSecrets.Options(Environment.GetEnvironmentVariable));
            if (!await store.RemoveAsync(secretName, ct))
            {
                var known = store.SecretNames.Count == 0 ? "no secrets are stored" : $"stored: {string.Join(", ", store.SecretNames)}";
                await Console.Error.WriteLineAsync($"rein: no secret named {secretName} ({known}).");

                // "Not found" shares the exit code of a missing session: scripts treat both the same way.
                return ExitCodes.SessionUnavailable;
            }

            await Console.Error.WriteLineAsync($"Removed {secretName}.");
            return ExitCodes.Success;
        }));
        return command;
    }

    private static async Task<int> GuardAsync(Func<Task<int>> action)
    {
        try
        {
            return await CommandErrors.GuardAsync(action);
        }
        catch (ArgumentException ex)
        {
            await Console.Error.WriteLineAsync($"rein: {ex.Message}");
            return ExitCodes.Usage;
        }
    }

    private static void RequireValidName(string name)
    {
        if (!SecretStore.IsValidName(name))
        {
            throw new SettingsException($"'{name}' is not a valid secret name: use letters, digits and '_', not starting with a digit (e.g. GITHUB_TOKEN).");
        }
    }

    private static string ReadRedirectedValue()
    {
        var value = Console.In.ReadToEnd();
        return value.EndsWith("\r\n", StringComparison.Ordinal) ? value[..^2]
            : value.EndsWith('\n') ? value[..^1]
            : value;
    }

    /// <summary>Asks for a value at the terminal without echoing it.</summary>
    internal static string PromptHidden(string prompt)
    {
        Console.Error.Write(prompt);
        var value = new StringBuilder();
        while (true)
        {
            var key = Console.ReadKey(intercept: true);
            if (key.Key == ConsoleKey.Enter)
            {
                break;
            }

            if (key.Key == ConsoleKey.Backspace)
            {
                if (value.Length > 0)
                {
                    value.Length--;
                }
            }
            else if (key.KeyChar != '\0')
            {
                value.Append(key.KeyChar);
            }
        }

        Console.Error.WriteLine();
        return value.ToString();
    }
}
