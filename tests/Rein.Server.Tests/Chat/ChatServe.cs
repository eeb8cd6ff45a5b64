using System.Security.Cryptography;
using System.Text.Json;
using Rein.Guard.Secrets;
using Rein.Hosting.Configuration;
using Rein.Server.Tests.Api;
using Rein.Testing.FakeChat;

namespace Rein.Server.Tests.Chat;

/// <summary>
/// A real <c>rein serve</c> answering Slack and Telegram: its settings point both at fake APIs on loopback, its secrets
/// are in the store's secret file, and it fetches Telegram updates by long polling (the webhook answers too). Principals:
/// <c>ops</c> (operator, linked to Slack <c>U0OPS</c> and Telegram 2001–2009), <c>ann</c> (operator, <c>U0ANN</c>, 3001),
/// <c>vic</c> (viewer, <c>U0VIC</c>, 4001); sessions run in <c>ask</c> mode, so a shell command waits for approval.
/// </summary>
public class ChatServe : LiveServe
{
    public const string SigningSecret = "slack-signing-secret-0123456789";
    public const string SlackBotToken = "xoxb-1111-test-bot-token";
    public const string TelegramBotToken = "9000:telegram-test-token-abcdef";
    public const string WebhookSecret = "telegram-webhook-secret-0123456789";
    public const string Team = "T0FAKE";

    private readonly string _secretsKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

    public FakeSlackApi Slack { get; private set; } = null!;

    public FakeTelegramBotApi Telegram { get; private set; } = null!;

    protected override IReadOnlyDictionary<string, string> Environment => new Dictionary<string, string> { [StoredSecrets.KeyVariable] = _secretsKey };

    protected override IEnumerable<string> ServeArguments => Polling ? ["--mode", "ask", "--telegram-polling"] : ["--mode", "ask"];

    /// <summary>Settings besides the chat sections, in the user's settings file.</summary>
    protected virtual IReadOnlyDictionary<string, object> ExtraSettings => new Dictionary<string, object>();

    /// <summary>Whether the server fetches Telegram updates by long polling; without it only the webhook brings them.</summary>
    protected virtual bool Polling => true;

    protected override async Task BeforeServeAsync()
    {
        Slack = await FakeSlackApi.StartAsync(SlackBotToken);
        Telegram = await FakeTelegramBotApi.StartAsync(TelegramBotToken);
        var env = (string name) => name switch
        {
            "HOME" => Home.Path,
            "XDG_CONFIG_HOME" => Home.Combine("config"),
            "XDG_DATA_HOME" => Home.Combine("data"),
            StoredSecrets.KeyVariable => _secretsKey,
            _ => null,
        };
        var secrets = SecretStore.Open(StoredSecrets.Options(env));
        foreach (var (name, value) in new[]
        {
            ("SLACK_SIGNING_SECRET", SigningSecret), ("SLACK_BOT_TOKEN", SlackBotToken),
            ("TELEGRAM_BOT_TOKEN", TelegramBotToken), ("TELEGRAM_WEBHOOK_SECRET", WebhookSecret),
        })
        {
            await secrets.SetAsync(name, value, TestContext.Current.CancellationToken);
        }

        var settings = ReinPaths.UserConfigDirectory(env);
        Directory.CreateDirectory(settings);
        await File.WriteAllTextAsync(Path.Combine(settings, "settings.json"), JsonSerializer.Serialize(new Dictionary<string, object>(ExtraSettings)
        {
            ["slack"] = new Dictionary<string, string>
            {
                ["signing_secret"] = "secret:SLACK_SIGNING_SECRET",
                ["bot_token"] = "secret:SLACK_BOT_TOKEN",
                ["api_url"] = Slack.ApiUrl.ToString(),
            },
            ["telegram"] = new Dictionary<string, string>
            {
                ["bot_token"] = "secret:TELEGRAM_BOT_TOKEN",
                ["webhook_secret"] = "secret:TELEGRAM_WEBHOOK_SECRET",
                ["api_url"] = Telegram.BaseUrl.ToString(),
            },
        }), TestContext.Current.CancellationToken);

        foreach (var (name, role) in new[] { ("ann", "operator"), ("vic", "viewer") })
        {
            var added = await RunAsync(null, "principals", "add", name, "--role", role, "--json", "--store", StorePath);
            Tokens[name] = JsonDocument.Parse(added).RootElement.GetProperty("token").GetString()!;
        }

        await RunAsync(null, ["principals", "link", "ops", "slack:U0OPS", .. Enumerable.Range(2001, 9).Select(i => $"telegram:{i}"), "--store", StorePath]);
        await RunAsync(null, "principals", "link", "ann", "slack:U0ANN", "telegram:3001", "--store", StorePath);
        await RunAsync(null, "principals", "link", "vic", "slack:U0VIC", "telegram:4001", "--store", StorePath);
    }

    /// <summary>Sends a request to the server as Slack or Telegram would (no bearer token).</summary>
    public async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request)
    {
        using var client = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
        using (request)
        {
            return await client.SendAsync(request, TestContext.Current.CancellationToken);
        }
    }

    public Uri Url(string path) => new(BaseAddress, path);

    protected override async ValueTask DisposeCoreAsync()
    {
        await base.DisposeCoreAsync();
        if (Slack is not null)
        {
            await Slack.DisposeAsync();
        }

        if (Telegram is not null)
        {
            await Telegram.DisposeAsync();
        }
    }
}

/// <summary>A <see cref="ChatServe"/> whose Telegram updates arrive only at the webhook: nothing else has used the Bot API's JSON when the first one comes.</summary>
public sealed class WebhookChatServe : ChatServe
{
    protected override bool Polling => false;
}

/// <summary>A <see cref="ChatServe"/> where each principal may make two model calls a day, wherever it works from.</summary>
public sealed class BudgetChatServe : ChatServe
{
    protected override bool Polling => false;

    protected override IReadOnlyDictionary<string, object> ExtraSettings => new Dictionary<string, object>
    {
        ["budgets"] = new Dictionary<string, object> { ["daily"] = new Dictionary<string, int> { ["max_steps"] = 2 } },
    };
}
