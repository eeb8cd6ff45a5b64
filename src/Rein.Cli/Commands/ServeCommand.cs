using System.CommandLine;
using System.Globalization;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Rein.Cli.Composition;
using Rein.Hosting.Composition;
using Rein.Hosting.Configuration;
using Rein.Hosting.Sessions;
using Rein.Identity;
using Rein.Server.Chat;
using Rein.Storage.Sqlite;

namespace Rein.Cli.Commands;

/// <summary><c>rein serve</c>: the HTTP API over this machine's store, for the web console and other programs.</summary>
internal static class ServeCommand
{
    public static Command Create(Interrupts interrupts)
    {
        var listen = new Option<string>("--listen")
        {
            Description = "Address and port to listen on, e.g. 127.0.0.1:8420 (port 0 picks a free one). An address other than loopback needs " +
                "--tls-cert and --tls-key, or --insecure-http.",
            DefaultValueFactory = _ => "127.0.0.1:8420",
        };
        var roots = new Option<string[]>("--workspace-root")
        {
            Description = "A folder sessions may be started in (or below); repeat for more. Settings: serve.workspace_roots. Default: the current folder.",
            AllowMultipleArgumentsPerToken = false,
        };
        var tlsCert = new Option<string?>("--tls-cert") { Description = "TLS certificate (PEM) to serve HTTPS with; needs --tls-key." };
        var tlsKey = new Option<string?>("--tls-key") { Description = "The certificate's private key (PEM)." };
        var insecure = new Option<bool>("--insecure-http") { Description = "Serve plain HTTP on an address other than loopback (tokens cross the network unencrypted)." };
        var rateLimit = new Option<int?>("--rate-limit") { Description = "Most API requests per minute for each principal. Settings: serve.rate_limit. Default: 600." };
        var telegramPolling = new Option<bool>("--telegram-polling")
        {
            Description = "Fetch Telegram updates by long polling instead of the webhook, for a machine Telegram cannot reach (needs the \"telegram\" settings).",
        };
        var command = new Command("serve", """
            Serve the HTTP API (and the web console) over this machine's session store. Every route but /healthz needs
            Authorization: Bearer TOKEN, a token from rein principals add|token. The first line printed is
            "Listening on http://HOST:PORT". --model, --mode, --agent and the budgets are the defaults of the sessions it starts.
            With "slack" or "telegram" settings it also answers Slack (POST /slack/events, /slack/interactions) and Telegram
            (POST /telegram/webhook, or --telegram-polling); accounts act as the principals they are linked to (rein principals link).
            """)
        {
            listen, roots, tlsCert, tlsKey, insecure, rateLimit, telegramPolling,
        };
        CommonOptions.AddRunOptions(command);
        command.SetAction((parse, ct) => CommandErrors.GuardAsync(() => ServeAsync(
            parse, parse.GetValue(listen)!, parse.GetValue(roots), parse.GetValue(tlsCert), parse.GetValue(tlsKey), parse.GetValue(insecure), parse.GetValue(rateLimit), interrupts, ct, parse.GetValue(telegramPolling))));
        return command;
    }

    /// <summary>Serves the HTTP API, the web console and the MCP endpoint (<c>/mcp</c>) until interrupted.</summary>
    internal static async Task<int> ServeAsync(
        ParseResult parse, string listenText, string[]? roots, string? tlsCert, string? tlsKey, bool insecure, int? rateLimit, Interrupts interrupts, CancellationToken ct, bool telegramPolling = false)
    {
        var endpoint = ParseListen(listenText);
        var (cert, key) = (tlsCert, tlsKey);
        if ((cert is null) != (key is null))
        {
            throw new SettingsException("--tls-cert and --tls-key go together: give both PEM files.");
        }

        var https = cert is not null;
        if (!IPAddress.IsLoopback(endpoint.Address) && !https)
        {
            if (!insecure)
            {
                throw new SettingsException(
                    $"--listen {listenText} is not a loopback address: serve HTTPS with --tls-cert FILE --tls-key FILE, or pass --insecure-http to send tokens unencrypted.");
            }

            await Console.Error.WriteLineAsync($"warning: serving plain HTTP on {endpoint}: tokens and session data cross the network unencrypted.");
        }

        var settings = CommonOptions.Resolve(parse);
        var workspaceRoots = roots is { Length: > 0 } given ? [.. given.Select(Path.GetFullPath)]
            : Setting(settings, "workspace_roots") is { ValueKind: JsonValueKind.Array } list ? [.. list.EnumerateArray().Select(r => Path.GetFullPath(r.GetString() ?? ""))]
            : new List<string> { settings.Workspace };
        var permits = rateLimit ?? (Setting(settings, "rate_limit") is { ValueKind: JsonValueKind.Number } n ? n.GetInt32() : 600);
        if (permits < 1)
        {
            throw new SettingsException($"--rate-limit expects a positive whole number of requests per minute, got {permits}.");
        }

        // The secret store is opened only when a chat setting names a secret.
        var secrets = new Lazy<Rein.Guard.Secrets.SecretStore?>(() => StoredSecrets.OpenExisting(Environment.GetEnvironmentVariable));
        var chat = ChatSettings.Read(settings, name => secrets.Value is { } store && store.TryGet(name, out var value) ? value : null);
        if (telegramPolling)
        {
            (chat.Telegram ?? throw new SettingsException("--telegram-polling needs the \"telegram\" settings (bot_token at least).")).Polling = true;
        }

        using var host = AgentHost.Open(settings);
        using var principals = new SqlitePrincipalStore(new SqliteSessionStoreOptions { Path = settings.StorePath });
        using var chats = new SqliteChatStore(new SqliteSessionStoreOptions { Path = settings.StorePath });
        using var logging = CliLogging.Create(settings.LogLevel);
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton(logging);
        builder.Services.Configure<ConsoleLifetimeOptions>(o => o.SuppressStatusMessages = true);
        builder.Services.AddSingleton(host.Store);
        builder.Services.AddSingleton<IPrincipalStore>(principals);
        builder.Services.AddSingleton<Rein.Chat.IChatStore>(chats);
        // Sessions started over HTTP run with the serve command's flags and settings as their defaults.
        builder.Services.AddRein(o => ApplySessionDefaults(o, settings, workspaceRoots));
        builder.Services.AddReinMcpServer();
        builder.Services.AddReinChat(chat);
        // Nothing is protected with keys that must outlive the process (tokens are bearer, not cookies): keep them in memory only.
        builder.Services.AddDataProtection().UseEphemeralDataProtectionProvider();
        builder.Services.Configure<Microsoft.AspNetCore.DataProtection.KeyManagement.KeyManagementOptions>(keys =>
        {
            keys.XmlRepository = new MemoryKeyRepository();
            keys.XmlEncryptor = new Microsoft.AspNetCore.DataProtection.XmlEncryption.NullXmlEncryptor();
        });
        builder.Services.AddReinServer(o =>
        {
            o.RateLimitPermits = permits;
            o.Redact = host.Redactor.Redact;
        });
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = 1024 * 1024;
            kestrel.Listen(endpoint, options =>
            {
                if (https)
                {
                    options.UseHttps(X509Certificate2.CreateFromPemFile(cert!, key));
                }
            });
        });

        await using var app = builder.Build();
        app.UseReinServer();
        app.MapRein();
        app.MapReinConsole();
        app.MapReinMcp();
        app.MapReinChat();
        using var run = interrupts.BeginRun(ct);
        try
        {
            await app.StartAsync(run.Token);

            // Sessions a killed server left running go on; those waiting for approval keep waiting.
            var recovered = await app.Services.GetRequiredService<SessionHost>().RecoverAsync(run.Token);
            if (recovered.Count > 0)
            {
                await Console.Error.WriteLineAsync($"rein serve: resumed {recovered.Count} session(s) left running: {string.Join(", ", recovered)}");
            }
            var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault()
                ?? $"{(https ? "https" : "http")}://{endpoint}";
            await Console.Out.WriteLineAsync($"Listening on {address}");
            await Console.Out.FlushAsync(run.Token);
            await app.WaitForShutdownAsync(run.Token);
        }
        catch (OperationCanceledException) when (run.IsCancellationRequested)
        {
        }
        finally
        {
            interrupts.EndRun();
            await app.StopAsync(CancellationToken.None);
        }

        return ExitCodes.Success;
    }

    /// <summary>
    /// The defaults of the sessions a server starts (<c>rein serve</c>, <c>rein mcp serve</c>): the settings' store, model,
    /// base URL, mode, agent and budgets, and the folders they may run in.
    /// </summary>
    internal static void ApplySessionDefaults(ReinOptions options, ResolvedSettings settings, IEnumerable<string> workspaceRoots)
    {
        var values = settings.Values;
        options.StorePath = settings.StorePath;
        options.Model = values.Model;
        options.BaseUrl = values.BaseUrl;
        options.Mode = values.Mode;
        options.Agent = values.Agent;
        options.MaxSteps = values.MaxSteps;
        options.MaxTokens = values.MaxTokens;
        options.MaxCostUsd = values.MaxCostUsd;
        options.MaxTime = values.MaxTime;
        foreach (var root in workspaceRoots)
        {
            options.WorkspaceRoots.Add(root);
        }
    }

    /// <summary>Reads <c>HOST:PORT</c>: an IP address (IPv6 in brackets) or <c>localhost</c>, and a port.</summary>
    /// <exception cref="SettingsException">It is neither.</exception>
    internal static IPEndPoint ParseListen(string text)
    {
        var colon = text.LastIndexOf(':');
        var host = colon > 0 ? text[..colon].Trim('[', ']') : "";
        if (colon <= 0 || !int.TryParse(text[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port > 65535)
        {
            throw new SettingsException($"--listen expects HOST:PORT, e.g. 127.0.0.1:8420, not '{text}'.");
        }

        var address = host == "localhost" ? IPAddress.Loopback
            : IPAddress.TryParse(host, out var parsed) ? parsed
            : throw new SettingsException($"--listen needs an IP address or localhost, not '{host}' (e.g. 127.0.0.1:8420 or 0.0.0.0:8420).");
        return new IPEndPoint(address, port);
    }

    /// <summary>A key of the <c>serve</c> section, from the settings file that decides (the last one that has it).</summary>
    private static JsonElement? Setting(ResolvedSettings settings, string key)
    {
        JsonElement? value = null;
        foreach (var document in settings.Documents)
        {
            if (document.Root.ValueKind == JsonValueKind.Object && document.Root.TryGetProperty("serve", out var serve)
                && serve.ValueKind == JsonValueKind.Object && serve.TryGetProperty(key, out var found))
            {
                value = found;
            }
        }

        return value;
    }

    /// <summary>Data protection keys kept in memory only, for the life of the server.</summary>
    private sealed class MemoryKeyRepository : Microsoft.AspNetCore.DataProtection.Repositories.IXmlRepository
    {
        private readonly List<System.Xml.Linq.XElement> _elements = [];

        public IReadOnlyCollection<System.Xml.Linq.XElement> GetAllElements()
        {
            lock (_elements)
            {
                return [.. _elements];
            }
        }

        public void StoreElement(System.Xml.Linq.XElement element, string friendlyName)
        {
            lock (_elements)
            {
                _elements.Add(element);
            }
        }
    }
}
