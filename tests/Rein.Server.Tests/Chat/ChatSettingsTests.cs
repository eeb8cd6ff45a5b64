using System.Text.Json;
using Rein.Hosting.Configuration;
using Rein.Server.Chat;
using Rein.Testing;

namespace Rein.Server.Tests.Chat;

public sealed class ChatSettingsTests : IDisposable
{
    private readonly TempDirectory _dir = new("rein-chat-settings");

    private static readonly Dictionary<string, string> Secrets = new(StringComparer.Ordinal)
    {
        ["SLACK_SIGNING_SECRET"] = "signing-value",
        ["SLACK_BOT_TOKEN"] = "xoxb-value",
        ["TELEGRAM_BOT_TOKEN"] = "123:telegram-value",
        ["TELEGRAM_WEBHOOK_SECRET"] = "hook-value",
    };

    public void Dispose() => _dir.Dispose();

    private ResolvedSettings Settings(params (string Source, string Json)[] documents) => new(
        new SettingsValues(), _dir.Path, _dir.Combine("store.db"), [],
        [.. documents.Select((d, i) => new SettingsDocument(d.Source, _dir.Combine($"{d.Source}{i}.json"), JsonDocument.Parse(d.Json).RootElement.Clone()))]);

    private static string? Secret(string name) => Secrets.GetValueOrDefault(name);

    [Fact]
    public void Read_NoSections_NoSurfaces()
    {
        var options = ChatSettings.Read(Settings(("user", """{"model":"openai:gpt-5.5"}""")), Secret);

        Assert.Null(options.Slack);
        Assert.Null(options.Telegram);
    }

    [Fact]
    public void Read_BothSections_ResolveSecretsAndDefaults()
    {
        Directory.CreateDirectory(_dir.Combine("chat-ws"));
        var options = ChatSettings.Read(Settings(("user", """
            {"slack": {"signing_secret": "secret:SLACK_SIGNING_SECRET", "bot_token": "secret:SLACK_BOT_TOKEN", "api_url": "http://127.0.0.1:9/api", "workspace": "chat-ws", "agent": "coder"},
             "telegram": {"bot_token": "secret:TELEGRAM_BOT_TOKEN", "webhook_secret": "secret:TELEGRAM_WEBHOOK_SECRET"}}
            """)), Secret);

        Assert.Equal("signing-value", options.Slack!.SigningSecret);
        Assert.Equal("xoxb-value", options.Slack.BotToken);
        Assert.Equal("http://127.0.0.1:9/api/", options.Slack.ApiUrl.ToString());
        Assert.Equal(_dir.Combine("chat-ws"), options.Slack.Workspace);
        Assert.Equal("coder", options.Slack.Agent);
        Assert.Equal("123:telegram-value", options.Telegram!.BotToken);
        Assert.Equal("hook-value", options.Telegram.WebhookSecret);
        Assert.Equal("https://api.telegram.org/", options.Telegram.ApiUrl.ToString());
        Assert.Null(options.Telegram.Workspace);
    }

    [Fact]
    public void Read_LaterFileWinsPerKey()
    {
        var options = ChatSettings.Read(Settings(
            ("user", """{"slack": {"signing_secret": "secret:SLACK_SIGNING_SECRET", "bot_token": "secret:SLACK_BOT_TOKEN", "api_url": "https://one.example/api/"}}"""),
            ("project", """{"slack": {"api_url": "https://two.example/api/"}}""")), Secret);

        Assert.Equal("https://two.example/api/", options.Slack!.ApiUrl.ToString());
        Assert.Equal("xoxb-value", options.Slack.BotToken);
    }

    [Fact]
    public void Read_ProfileFrontMatter_IsNotASource()
    {
        var options = ChatSettings.Read(Settings(("profile", """{"slack": {"bot_token": "secret:SLACK_BOT_TOKEN"}}""")), Secret);

        Assert.Null(options.Slack);
    }

    [Theory]
    [InlineData("""{"slack": {"signing_secret": "secret:SLACK_SIGNING_SECRET", "bot_token": "xoxb-literal-token"}}""", "must name a stored secret")]
    [InlineData("""{"slack": {"signing_secret": "secret:SLACK_SIGNING_SECRET", "bot_token": "secret:MISSING"}}""", "rein secrets set MISSING")]
    [InlineData("""{"slack": {"signing_secret": "secret:SLACK_SIGNING_SECRET"}}""", "\"slack.bot_token\" is required")]
    [InlineData("""{"slack": {"signing_secret": "secret:SLACK_SIGNING_SECRET", "bot_token": "secret:SLACK_BOT_TOKEN", "bot_tokn": "x"}}""", "did you mean \"slack.bot_token\"")]
    [InlineData("""{"slack": {"signing_secret": "secret:SLACK_SIGNING_SECRET", "bot_token": "secret:SLACK_BOT_TOKEN", "api_url": "ftp://x"}}""", "http or https URL")]
    [InlineData("""{"telegram": "secret:TELEGRAM_BOT_TOKEN"}""", "must be an object")]
    [InlineData("""{"telegram": {"bot_token": "secret:TELEGRAM_BOT_TOKEN", "workspace": "no-such-folder"}}""", "not a folder")]
    [InlineData("""{"telegram": {"bot_token": 42}}""", "non-empty string")]
    public void Read_BadSection_IsAClearError(string json, string expected)
    {
        var error = Assert.Throws<SettingsException>(() => ChatSettings.Read(Settings(("user", json)), Secret));

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
        // A literal value is never repeated in the error: it may be the secret itself.
        Assert.DoesNotContain("xoxb-literal-token", error.Message, StringComparison.Ordinal);
    }
}
