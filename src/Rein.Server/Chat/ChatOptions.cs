namespace Rein.Server.Chat;

/// <summary>The chat surfaces <c>rein serve</c> answers on, from the <c>slack</c> and <c>telegram</c> settings.</summary>
public sealed class ChatOptions
{
    /// <summary>Gets or sets the Slack app, or <see langword="null"/> for none (its routes answer 404). Default: <see langword="null"/>.</summary>
    public SlackOptions? Slack { get; set; }

    /// <summary>Gets or sets the Telegram bot, or <see langword="null"/> for none (its route answers 404). Default: <see langword="null"/>.</summary>
    public TelegramOptions? Telegram { get; set; }

    /// <summary>Gets or sets how often the sessions started from a chat are looked at for updates to send back. Default: 500 ms.</summary>
    public TimeSpan RelayInterval { get; set; } = TimeSpan.FromMilliseconds(500);
}

/// <summary>A Slack app: its secrets, where its Web API is, and where the sessions it starts run.</summary>
public sealed class SlackOptions
{
    /// <summary>Gets or sets the app's signing secret, which every request from Slack is signed with. Required.</summary>
    public required string SigningSecret { get; set; }

    /// <summary>Gets or sets the bot token (<c>xoxb-…</c>) replies are posted with. Required.</summary>
    public required string BotToken { get; set; }

    /// <summary>Gets or sets the Web API's base URL, ending in <c>/</c>. Default: <c>https://slack.com/api/</c>.</summary>
    public Uri ApiUrl { get; set; } = new("https://slack.com/api/");

    /// <summary>Gets or sets the folder sessions started from Slack run in; <see langword="null"/> for the server's first workspace root. Default: <see langword="null"/>.</summary>
    public string? Workspace { get; set; }

    /// <summary>Gets or sets the agent profile of sessions started from Slack; <see langword="null"/> for the server's default. Default: <see langword="null"/>.</summary>
    public string? Agent { get; set; }

    /// <summary>Gets or sets how old a request's timestamp may be before it is refused as a replay. Default: 5 minutes.</summary>
    public TimeSpan MaxRequestAge { get; set; } = TimeSpan.FromMinutes(5);
}

/// <summary>A Telegram bot: its secrets, where the Bot API is, and where the sessions it starts run.</summary>
public sealed class TelegramOptions
{
    /// <summary>Gets or sets the bot token from BotFather. Required.</summary>
    public required string BotToken { get; set; }

    /// <summary>
    /// Gets or sets the secret Telegram sends in <c>X-Telegram-Bot-Api-Secret-Token</c> with every webhook call (given to
    /// <c>setWebhook</c> as <c>secret_token</c>); <see langword="null"/> refuses every webhook call (long polling only). Default: <see langword="null"/>.
    /// </summary>
    public string? WebhookSecret { get; set; }

    /// <summary>Gets or sets the Bot API's base URL. Default: <c>https://api.telegram.org</c>.</summary>
    public Uri ApiUrl { get; set; } = new("https://api.telegram.org");

    /// <summary>Gets or sets the folder sessions started from Telegram run in; <see langword="null"/> for the server's first workspace root. Default: <see langword="null"/>.</summary>
    public string? Workspace { get; set; }

    /// <summary>Gets or sets the agent profile of sessions started from Telegram; <see langword="null"/> for the server's default. Default: <see langword="null"/>.</summary>
    public string? Agent { get; set; }

    /// <summary>Gets or sets whether updates are fetched with long polling (<c>getUpdates</c>) instead of arriving at the webhook. Default: <see langword="false"/>.</summary>
    public bool Polling { get; set; }

    /// <summary>Gets or sets how long one <c>getUpdates</c> call waits for updates. Default: 30 seconds.</summary>
    public TimeSpan PollTimeout { get; set; } = TimeSpan.FromSeconds(30);
}
