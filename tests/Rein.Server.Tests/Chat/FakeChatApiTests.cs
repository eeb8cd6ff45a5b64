using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Rein.Testing;
using Rein.Testing.FakeChat;
using Telegram.Bot;
using Telegram.Bot.Exceptions;
using Telegram.Bot.Types.Enums;
using Telegram.Bot.Types.ReplyMarkups;

namespace Rein.Server.Tests.Chat;

/// <summary>The fake Slack and Telegram APIs refuse what the real services refuse, and work with the real Telegram.Bot client.</summary>
public sealed class FakeChatApiTests
{
    private const string SlackToken = "xoxb-fake-token";
    private const string TelegramToken = "9000:fake-Token_1";
    private const long Chat = 4242;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    // ---- Telegram, through the real Telegram.Bot client ----

    [Fact]
    public async Task SendMessage_WellEscapedMarkdownV2_IsAcceptedAndParsed()
    {
        await using var fake = await FakeTelegramBotApi.StartAsync(TelegramToken, Ct);
        using var http = new HttpClient();
        var bot = Client(fake, http);

        var message = await bot.SendMessage(
            Chat, "*Done\\.* Ran `rm -rf a_b.txt` \\(exit 0\\) \\- see [the log](https://example.com/log?a=1)\\!", ParseMode.MarkdownV2,
            replyMarkup: new InlineKeyboardMarkup(InlineKeyboardButton.WithCallbackData("Approve", "approve:1")), cancellationToken: Ct);

        Assert.Equal("Done. Ran rm -rf a_b.txt (exit 0) - see the log!", message.Text);
        Assert.Equal(1, message.MessageId);
        Assert.Equal(fake.BotUserId, message.From!.Id);
        Assert.Equal([MessageEntityType.Bold, MessageEntityType.Code, MessageEntityType.TextLink], message.Entities!.Select(e => e.Type));
        Assert.Equal("https://example.com/log?a=1", message.Entities![2].Url);
        Assert.Equal("approve:1", message.ReplyMarkup!.InlineKeyboard.Single().Single().CallbackData);
        Assert.Equal(message.Text, fake.CurrentText(Chat, 1));
        Assert.Empty(fake.Violations);
        Assert.Equal(2, (await bot.SendMessage(Chat, "second", cancellationToken: Ct)).MessageId);
    }

    [Fact]
    public async Task SendMessage_UnescapedDot_Is400WithTelegramsWording()
    {
        await using var fake = await FakeTelegramBotApi.StartAsync(TelegramToken, Ct);
        using var http = new HttpClient();

        var e = await Assert.ThrowsAsync<ApiRequestException>(() => Client(fake, http).SendMessage(Chat, "Done.", ParseMode.MarkdownV2, cancellationToken: Ct));

        Assert.Equal(400, e.ErrorCode);
        Assert.Equal("Bad Request: can't parse entities: Character '.' is reserved and must be escaped with the preceding '\\'", e.Message);
        Assert.Equal("sendMessage: " + e.Message, Assert.Single(fake.Violations));
        Assert.False(Assert.Single(fake.Calls).Ok);
    }

    [Theory]
    [InlineData("*bold", "Can't find end of Bold entity at byte offset 0")]
    [InlineData("ok \\*not bold* _x_", "Can't find end of Bold entity at byte offset 13")]
    [InlineData("a | b", "Character '|' is reserved and must be escaped with the preceding '\\'")]
    [InlineData("é-", "Character '-' is reserved and must be escaped with the preceding '\\'")]
    [InlineData("[link](https://x.y", "Can't find end of a URL at byte offset 7")]
    [InlineData("```\ncode ` here```", "Character '`' is reserved and must be escaped with the preceding '\\'")]
    public async Task SendMessage_BrokenMarkdownV2_IsRefused(string text, string error)
    {
        await using var fake = await FakeTelegramBotApi.StartAsync(TelegramToken, Ct);
        using var http = new HttpClient();

        var e = await Assert.ThrowsAsync<ApiRequestException>(() => Client(fake, http).SendMessage(Chat, text, ParseMode.MarkdownV2, cancellationToken: Ct));

        Assert.Equal("Bad Request: can't parse entities: " + error, e.Message);
    }

    [Theory]
    [InlineData("```csharp\nvar x = a.b(c) - 1; // _*[]!\n``` after", "var x = a.b(c) - 1; // _*[]!\n after")]
    [InlineData("`a.b\\`c\\\\d`", "a.b`c\\d")]
    [InlineData("__under__ ~strike~ ||spoiler|| _it_", "under strike spoiler it")]
    [InlineData(">quoted line\n>second\nafter", "quoted line\nsecond\nafter")]
    [InlineData("  \n padded \\. ", "padded .")]
    public async Task SendMessage_ValidMarkdownV2_IsParsedLikeTelegram(string text, string expected)
    {
        await using var fake = await FakeTelegramBotApi.StartAsync(TelegramToken, Ct);
        using var http = new HttpClient();

        var message = await Client(fake, http).SendMessage(Chat, text, ParseMode.MarkdownV2, cancellationToken: Ct);

        Assert.Equal(expected, message.Text);
        Assert.Empty(fake.Violations);
    }

    [Fact]
    public async Task SendMessage_LengthCountsTextAfterParsing()
    {
        await using var fake = await FakeTelegramBotApi.StartAsync(TelegramToken, Ct);
        using var http = new HttpClient();
        var bot = Client(fake, http);

        // 4096 dots, escaped: 8192 characters sent, 4096 after parsing.
        var fits = await bot.SendMessage(Chat, string.Concat(Enumerable.Repeat("\\.", 4096)), ParseMode.MarkdownV2, cancellationToken: Ct);
        var tooLong = await Assert.ThrowsAsync<ApiRequestException>(() => bot.SendMessage(Chat, new string('a', 4097), cancellationToken: Ct));
        var empty = await Assert.ThrowsAsync<ApiRequestException>(() => bot.SendMessage(Chat, "*  *", ParseMode.MarkdownV2, cancellationToken: Ct));

        Assert.Equal(4096, fits.Text!.Length);
        Assert.Equal("Bad Request: message is too long", tooLong.Message);
        Assert.Equal("Bad Request: message text is empty", empty.Message);
        Assert.Equal(2, fake.Violations.Count);
    }

    [Fact]
    public async Task SendMessage_Html_IsCheckedLikeTelegram()
    {
        await using var fake = await FakeTelegramBotApi.StartAsync(TelegramToken, Ct);
        using var http = new HttpClient();
        var bot = Client(fake, http);

        var ok = await bot.SendMessage(Chat, "<b>x &lt; y</b> <a href=\"https://e.com\">e</a> <pre><code class=\"language-cs\">1</code></pre>", ParseMode.Html, cancellationToken: Ct);
        var unsupported = await Assert.ThrowsAsync<ApiRequestException>(() => bot.SendMessage(Chat, "a <br> b", ParseMode.Html, cancellationToken: Ct));
        var unclosed = await Assert.ThrowsAsync<ApiRequestException>(() => bot.SendMessage(Chat, "<b>a", ParseMode.Html, cancellationToken: Ct));

        Assert.Equal("x < y e 1", ok.Text);
        Assert.Equal("cs", ok.Entities!.Single(e => e.Type == MessageEntityType.Pre).Language);
        Assert.Equal("Bad Request: can't parse entities: Unsupported start tag \"br\" at byte offset 2", unsupported.Message);
        Assert.Equal("Bad Request: can't parse entities: Can't find end tag corresponding to start tag \"b\"", unclosed.Message);
    }

    [Fact]
    public async Task SendMessage_CallbackDataOver64Bytes_IsRefused()
    {
        await using var fake = await FakeTelegramBotApi.StartAsync(TelegramToken, Ct);
        using var http = new HttpClient();
        var bot = Client(fake, http);

        await bot.SendMessage(Chat, "fits", replyMarkup: new InlineKeyboardMarkup(InlineKeyboardButton.WithCallbackData("ok", new string('x', 64))), cancellationToken: Ct);
        var ascii = await Assert.ThrowsAsync<ApiRequestException>(() =>
            bot.SendMessage(Chat, "too long", replyMarkup: new InlineKeyboardMarkup(InlineKeyboardButton.WithCallbackData("no", new string('x', 65))), cancellationToken: Ct));
        // 33 characters, 66 bytes: the limit is in bytes.
        var multibyte = await Assert.ThrowsAsync<ApiRequestException>(() =>
            bot.SendMessage(Chat, "too long", replyMarkup: new InlineKeyboardMarkup(InlineKeyboardButton.WithCallbackData("no", new string('é', 33))), cancellationToken: Ct));

        Assert.Equal("Bad Request: BUTTON_DATA_INVALID", ascii.Message);
        Assert.Equal(400, multibyte.ErrorCode);
        Assert.Equal(2, fake.Violations.Count);
    }

    [Fact]
    public async Task SendMessage_ButtonWithoutCallbackOrUrl_IsRefused()
    {
        await using var fake = await FakeTelegramBotApi.StartAsync(TelegramToken, Ct);
        using var http = new HttpClient();
        using var content = new StringContent(
            """{"chat_id":1,"text":"x","reply_markup":{"inline_keyboard":[[{"text":"plain"}]]}}""", Encoding.UTF8, "application/json");

        using var response = await http.PostAsync(new Uri(fake.BaseUrl, $"/bot{TelegramToken}/sendMessage"), content, Ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("Text buttons are unallowed", await response.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
    }

    [Fact]
    public async Task EditMessageText_ChangesCurrentTextAndDropsKeyboardLikeTelegram()
    {
        await using var fake = await FakeTelegramBotApi.StartAsync(TelegramToken, Ct);
        using var http = new HttpClient();
        var bot = Client(fake, http);
        var keyboard = new InlineKeyboardMarkup(InlineKeyboardButton.WithCallbackData("Approve", "a"));
        var sent = await bot.SendMessage(Chat, "working", replyMarkup: keyboard, cancellationToken: Ct);

        var edited = await bot.EditMessageText(Chat, sent.MessageId, "working \\.\\.\\.", ParseMode.MarkdownV2, replyMarkup: keyboard, cancellationToken: Ct);
        Assert.Equal("working ...", edited.Text);
        Assert.NotNull(edited.EditDate);
        Assert.NotNull(fake.CurrentMarkup(Chat, sent.MessageId));

        var same = await Assert.ThrowsAsync<ApiRequestException>(() =>
            bot.EditMessageText(Chat, sent.MessageId, "working ...", replyMarkup: keyboard, cancellationToken: Ct));
        Assert.StartsWith("Bad Request: message is not modified", same.Message, StringComparison.Ordinal);

        await bot.EditMessageText(Chat, sent.MessageId, "done", cancellationToken: Ct);
        Assert.Equal("done", fake.CurrentText(Chat, sent.MessageId));
        Assert.Null(fake.CurrentMarkup(Chat, sent.MessageId));

        var missing = await Assert.ThrowsAsync<ApiRequestException>(() => bot.EditMessageText(Chat, 999, "x", cancellationToken: Ct));
        Assert.Equal("Bad Request: message to edit not found", missing.Message);
        Assert.Equal(2, fake.Violations.Count);
    }

    [Fact]
    public async Task EditMessageReplyMarkup_ReplacesAndRemovesKeyboard()
    {
        await using var fake = await FakeTelegramBotApi.StartAsync(TelegramToken, Ct);
        using var http = new HttpClient();
        var bot = Client(fake, http);
        var sent = await bot.SendMessage(Chat, "approve?", replyMarkup: new InlineKeyboardMarkup(InlineKeyboardButton.WithCallbackData("Yes", "y")), cancellationToken: Ct);

        await bot.EditMessageReplyMarkup(Chat, sent.MessageId, new InlineKeyboardMarkup(InlineKeyboardButton.WithUrl("Open", "https://example.com")), cancellationToken: Ct);
        Assert.Equal("https://example.com", fake.CurrentMarkup(Chat, sent.MessageId)!.Value.GetProperty("inline_keyboard")[0][0].GetProperty("url").GetString());

        await bot.EditMessageReplyMarkup(Chat, sent.MessageId, replyMarkup: null, cancellationToken: Ct);
        Assert.Null(fake.CurrentMarkup(Chat, sent.MessageId));
        Assert.Equal("approve?", fake.CurrentText(Chat, sent.MessageId));
        Assert.Empty(fake.Violations);
    }

    [Fact]
    public async Task AnswerCallbackQuery_OnceOk_TwiceOrLongTextRefused()
    {
        await using var fake = await FakeTelegramBotApi.StartAsync(TelegramToken, Ct);
        using var http = new HttpClient();
        var bot = Client(fake, http);

        await bot.AnswerCallbackQuery("q1", "Approved", cancellationToken: Ct);
        var twice = await Assert.ThrowsAsync<ApiRequestException>(() => bot.AnswerCallbackQuery("q1", cancellationToken: Ct));
        var longText = await Assert.ThrowsAsync<ApiRequestException>(() => bot.AnswerCallbackQuery("q2", new string('x', 201), cancellationToken: Ct));

        Assert.Contains("query is too old", twice.Message, StringComparison.Ordinal);
        Assert.Equal(400, longText.ErrorCode);
        Assert.Equal("Approved", fake.Calls[0].Str("text"));
    }

    [Fact]
    public async Task GetUpdates_LongPoll_ReturnsUpdateEnqueuedWhileWaiting()
    {
        await using var fake = await FakeTelegramBotApi.StartAsync(TelegramToken, Ct);
        using var http = new HttpClient();
        var bot = Client(fake, http);

        var poll = bot.GetUpdates(timeout: 25, allowedUpdates: [UpdateType.Message, UpdateType.CallbackQuery], cancellationToken: Ct);
        await fake.WaitForAsync(c => c.Method == "getUpdates", cancellationToken: Ct);
        fake.EnqueueUpdate(TelegramUpdates.Text(10, Chat, Chat, "/start now"));
        var first = Assert.Single(await poll);

        Assert.Equal(10, first.Id);
        Assert.Equal("/start now", first.Message!.Text);
        Assert.Equal(Chat, first.Message.From!.Id);
        Assert.Equal(ChatType.Private, first.Message.Chat.Type);
        Assert.Equal(MessageEntityType.BotCommand, first.Message.Entities!.Single().Type);
        Assert.Equal(6, first.Message.Entities!.Single().Length);

        fake.EnqueueUpdate(TelegramUpdates.CallbackQuery(11, "cb-1", Chat, Chat, 1, "approve:1"));
        var second = Assert.Single(await bot.GetUpdates(offset: 11, timeout: 25, cancellationToken: Ct));
        Assert.Equal("approve:1", second.CallbackQuery!.Data);
        Assert.Equal("cb-1", second.CallbackQuery.Id);
        Assert.Equal(1, second.CallbackQuery.Message!.MessageId);

        // The offset confirmed update 10; confirming 11 leaves nothing, and a zero timeout answers at once.
        Assert.Empty(await bot.GetUpdates(offset: 12, timeout: 0, cancellationToken: Ct));
        Assert.Equal(0, fake.PendingUpdates);
        Assert.Empty(fake.Violations);
    }

    [Fact]
    public async Task GetUpdates_SecondPoller_EndsTheFirstWithConflict()
    {
        await using var fake = await FakeTelegramBotApi.StartAsync(TelegramToken, Ct);
        using var http = new HttpClient();
        var bot = Client(fake, http);

        var first = bot.GetUpdates(timeout: 25, cancellationToken: Ct);
        await fake.WaitForAsync(c => c.Method == "getUpdates", cancellationToken: Ct);
        var second = bot.GetUpdates(timeout: 25, cancellationToken: Ct);
        var conflict = await Assert.ThrowsAsync<ApiRequestException>(() => first);
        fake.EnqueueUpdate(TelegramUpdates.Text(1, Chat, Chat, "hi"));

        Assert.Equal(409, conflict.ErrorCode);
        Assert.StartsWith("Conflict: terminated by other getUpdates request", conflict.Message, StringComparison.Ordinal);
        Assert.Equal("hi", Assert.Single(await second).Message!.Text);
    }

    [Fact]
    public async Task GetUpdates_PendingWhenFakeStops_AnswersEmpty()
    {
        var fake = await FakeTelegramBotApi.StartAsync(TelegramToken, Ct);
        using var http = new HttpClient();

        var poll = Client(fake, http).GetUpdates(timeout: 50, cancellationToken: Ct);
        await fake.WaitForAsync(c => c.Method == "getUpdates", cancellationToken: Ct);
        await fake.DisposeAsync();

        Assert.Empty(await poll);
    }

    [Fact]
    public async Task GetUpdates_WhileWebhookIsSet_IsConflict()
    {
        await using var fake = await FakeTelegramBotApi.StartAsync(TelegramToken, Ct);
        using var http = new HttpClient();
        var bot = Client(fake, http);

        var plainHttp = await Assert.ThrowsAsync<ApiRequestException>(() => bot.SetWebhook("http://example.com/hook", cancellationToken: Ct));
        await bot.SetWebhook("https://example.com/hook", secretToken: "s3cret_-", cancellationToken: Ct);
        var conflict = await Assert.ThrowsAsync<ApiRequestException>(() => bot.GetUpdates(cancellationToken: Ct));
        await bot.DeleteWebhook(cancellationToken: Ct);
        var none = await bot.GetUpdates(timeout: 0, cancellationToken: Ct);

        Assert.Contains("An HTTPS URL must be provided", plainHttp.Message, StringComparison.Ordinal);
        Assert.Equal(409, conflict.ErrorCode);
        Assert.Empty(none);
        Assert.Null(fake.WebhookUrl);
    }

    [Fact]
    public async Task WrongToken_Is401AndUnknownMethodIs404()
    {
        await using var fake = await FakeTelegramBotApi.StartAsync(TelegramToken, Ct);
        using var http = new HttpClient();

        var e = await Assert.ThrowsAsync<ApiRequestException>(() =>
            new TelegramBotClient(new TelegramBotClientOptions("9000:wrong", fake.BaseUrl.ToString()), http).GetMe(Ct));
        using var unknown = await http.PostAsync(new Uri(fake.BaseUrl, $"/bot{TelegramToken}/sendPigeon"), null, Ct);
        var me = await Client(fake, http).GetMe(Ct);

        Assert.Equal(401, e.ErrorCode);
        Assert.Equal("Unauthorized", e.Message);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal("""{"ok":false,"error_code":404,"description":"Not Found"}""", await unknown.Content.ReadAsStringAsync(Ct));
        Assert.True(me.IsBot);
        Assert.Equal(9000, me.Id);
        Assert.Equal(2, fake.Violations.Count);
    }

    [Fact]
    public async Task SendMessage_FormEncoded_IsReadLikeJson()
    {
        await using var fake = await FakeTelegramBotApi.StartAsync(TelegramToken, Ct);
        using var http = new HttpClient();
        using var form = new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["chat_id"] = "-100",
            ["text"] = "hi",
            ["reply_markup"] = """{"inline_keyboard":[[{"text":"A","callback_data":"a"}]]}""",
        });

        using var response = await http.PostAsync(new Uri(fake.BaseUrl, $"/bot{TelegramToken}/SENDMESSAGE"), form, Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("hi", fake.CurrentText(-100, 1));
        Assert.Equal("sendMessage", Assert.Single(fake.Calls).Method);
    }

    [Fact]
    public async Task Webhook_SendsUpdateWithSecretHeader()
    {
        string? secret = null;
        string? body = null;
        await using var rein = await LoopbackHttpServer.StartAsync(async context =>
        {
            secret = context.Request.Headers[TelegramUpdates.SecretTokenHeader];
            body = await new StreamReader(context.Request.Body).ReadToEndAsync(context.RequestAborted);
        }, Ct);
        using var http = new HttpClient();
        var update = TelegramUpdates.Text(1, Chat, Chat, "hello");

        using var request = TelegramUpdates.Webhook(rein.Url("telegram"), "s3cret", update);
        using var response = await http.SendAsync(request, Ct);

        Assert.Equal("s3cret", secret);
        Assert.Equal(update, body);
    }

    // ---- Slack, with a plain HttpClient ----

    [Fact]
    public async Task PostMessage_ValidBlocks_ReturnsIncreasingTs()
    {
        await using var fake = await FakeSlackApi.StartAsync(SlackToken, Ct);
        using var http = SlackClient(SlackToken);
        var blocks = new JsonArray(
            Section("Run *finished*"),
            new JsonObject { ["type"] = "context", ["elements"] = new JsonArray(new JsonObject { ["type"] = "mrkdwn", ["text"] = "session `s1`" }) },
            Actions(Button("Approve", "approve", "primary"), Button("Deny", "deny", "danger")));

        var first = await PostAsync(http, fake, "chat.postMessage", new JsonObject { ["channel"] = "C1", ["text"] = "Run finished", ["blocks"] = blocks });
        var second = await PostAsync(http, fake, "chat.postMessage", new JsonObject { ["channel"] = "C1", ["text"] = "reply", ["thread_ts"] = (string)first["ts"]! });

        Assert.True((bool)first["ok"]!);
        Assert.Equal("1700000000.000100", (string?)first["ts"]);
        Assert.Equal("C1", (string?)first["channel"]);
        Assert.Equal("Run finished", (string?)first["message"]!["text"]);
        Assert.Equal("1700000000.000200", (string?)second["ts"]);
        Assert.Equal("1700000000.000100", (string?)second["message"]!["thread_ts"]);
        Assert.Equal("Run finished", fake.CurrentText("C1", "1700000000.000100"));
        Assert.Equal(3, fake.CurrentBlocks("C1", "1700000000.000100")!.Value.GetArrayLength());
        var call = await fake.WaitForAsync(c => c.Method == "chat.postMessage" && c.Str("thread_ts") is not null, cancellationToken: Ct);
        Assert.Equal("Bearer " + SlackToken, call.Authorization);
        Assert.Empty(fake.Violations);
    }

    [Fact]
    public async Task PostMessage_MissingOrWrongAuth_IsRefused()
    {
        await using var fake = await FakeSlackApi.StartAsync(SlackToken, Ct);
        using var anonymous = new HttpClient();
        using var wrong = SlackClient("xoxb-wrong");

        var missing = await PostAsync(anonymous, fake, "chat.postMessage", new JsonObject { ["channel"] = "C1", ["text"] = "x" });
        var invalid = await PostAsync(wrong, fake, "chat.postMessage", new JsonObject { ["channel"] = "C1", ["text"] = "x" });

        Assert.Equal("not_authed", (string?)missing["error"]);
        Assert.Equal("invalid_auth", (string?)invalid["error"]);
        Assert.False((bool)invalid["ok"]!);
        Assert.Equal(2, fake.Violations.Count);
    }

    [Theory]
    [InlineData("long-button")]
    [InlineData("duplicate-action")]
    [InlineData("empty-section")]
    [InlineData("bad-style")]
    [InlineData("too-many-blocks")]
    public async Task PostMessage_InvalidBlocks_IsRefused(string problem)
    {
        await using var fake = await FakeSlackApi.StartAsync(SlackToken, Ct);
        using var http = SlackClient(SlackToken);
        JsonNode blocks = problem switch
        {
            "long-button" => new JsonArray(Actions(Button(new string('x', 76), "a"))),
            "duplicate-action" => new JsonArray(Actions(Button("Yes", "same")), Actions(Button("No", "same"))),
            "empty-section" => new JsonArray(Section(string.Empty)),
            "bad-style" => new JsonArray(Actions(Button("Yes", "a", "green"))),
            _ => new JsonArray([.. Enumerable.Range(0, 51).Select(_ => (JsonNode)new JsonObject { ["type"] = "divider" })]),
        };

        var answer = await PostAsync(http, fake, "chat.postMessage", new JsonObject { ["channel"] = "C1", ["text"] = "x", ["blocks"] = blocks });

        Assert.Equal("invalid_blocks", (string?)answer["error"]);
        Assert.StartsWith("chat.postMessage: invalid_blocks: ", Assert.Single(fake.Violations), StringComparison.Ordinal);
    }

    [Fact]
    public async Task PostMessage_MissingFieldsWrongContentTypeOrMethod_AreRefused()
    {
        await using var fake = await FakeSlackApi.StartAsync(SlackToken, Ct);
        using var http = SlackClient(SlackToken);

        var noChannel = await PostAsync(http, fake, "chat.postMessage", new JsonObject { ["text"] = "x" });
        var noText = await PostAsync(http, fake, "chat.postMessage", new JsonObject { ["channel"] = "C1" });
        var tooLong = await PostAsync(http, fake, "chat.postMessage", new JsonObject { ["channel"] = "C1", ["text"] = new string('x', 40_001) });
        var badThread = await PostAsync(http, fake, "chat.postMessage", new JsonObject { ["channel"] = "C1", ["text"] = "x", ["thread_ts"] = 1700000000.0001 });
        using var form = new FormUrlEncodedContent(new Dictionary<string, string> { ["channel"] = "C1", ["text"] = "x" });
        using var formResponse = await http.PostAsync(new Uri(fake.ApiUrl, "chat.postMessage"), form, Ct);
        using var unknown = await http.PostAsync(new Uri(fake.ApiUrl, "chat.meMessage"), JsonContent("{}"), Ct);

        Assert.Equal("channel_not_found", (string?)noChannel["error"]);
        Assert.Equal("no_text", (string?)noText["error"]);
        Assert.Equal("msg_too_long", (string?)tooLong["error"]);
        Assert.Equal("invalid_thread_ts", (string?)badThread["error"]);
        Assert.Equal("invalid_form_data", (string?)JsonNode.Parse(await formResponse.Content.ReadAsStringAsync(Ct))!["error"]);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal("unknown_method", (string?)JsonNode.Parse(await unknown.Content.ReadAsStringAsync(Ct))!["error"]);
        Assert.Equal(6, fake.Violations.Count);
    }

    [Fact]
    public async Task Update_KnownTsChangesText_UnknownTsIsMessageNotFound()
    {
        await using var fake = await FakeSlackApi.StartAsync(SlackToken, Ct);
        using var http = SlackClient(SlackToken);
        var posted = await PostAsync(http, fake, "chat.postMessage", new JsonObject { ["channel"] = "C1", ["text"] = "working", ["blocks"] = new JsonArray(Actions(Button("Stop", "stop"))) });
        var ts = (string)posted["ts"]!;

        var updated = await PostAsync(http, fake, "chat.update", new JsonObject { ["channel"] = "C1", ["ts"] = ts, ["text"] = "done", ["blocks"] = new JsonArray() });
        var otherChannel = await PostAsync(http, fake, "chat.update", new JsonObject { ["channel"] = "C2", ["ts"] = ts, ["text"] = "x" });
        var unknown = await PostAsync(http, fake, "chat.update", new JsonObject { ["channel"] = "C1", ["ts"] = "1700000000.999900", ["text"] = "x" });

        Assert.True((bool)updated["ok"]!);
        Assert.Equal(ts, (string?)updated["ts"]);
        Assert.Equal("done", (string?)updated["text"]);
        Assert.Equal("done", fake.CurrentText("C1", ts));
        Assert.Null(fake.CurrentBlocks("C1", ts));
        Assert.Equal("message_not_found", (string?)otherChannel["error"]);
        Assert.Equal("message_not_found", (string?)unknown["error"]);
        Assert.Equal(2, fake.Violations.Count);
    }

    [Fact]
    public async Task PostEphemeralAndAuthTest_AnswerLikeSlack()
    {
        await using var fake = await FakeSlackApi.StartAsync(SlackToken, Ct);
        using var http = SlackClient(SlackToken);

        var ephemeral = await PostAsync(http, fake, "chat.postEphemeral", new JsonObject { ["channel"] = "C1", ["user"] = "U1", ["text"] = "only you" });
        var noUser = await PostAsync(http, fake, "chat.postEphemeral", new JsonObject { ["channel"] = "C1", ["text"] = "x" });
        using var authResponse = await http.PostAsync(new Uri(fake.ApiUrl, "auth.test"), null, Ct);
        var auth = JsonNode.Parse(await authResponse.Content.ReadAsStringAsync(Ct))!;

        Assert.Equal("1700000000.000100", (string?)ephemeral["message_ts"]);
        Assert.False((bool)noUser["ok"]!);
        Assert.Equal(FakeSlackApi.BotUserId, (string?)auth["user_id"]);
        Assert.Equal("B0BOT", (string?)auth["bot_id"]);
        Assert.Single(fake.Violations);
    }

    [Fact]
    public async Task RateLimitNext_Answers429WithRetryAfterThenRecovers()
    {
        await using var fake = await FakeSlackApi.StartAsync(SlackToken, Ct);
        using var http = SlackClient(SlackToken);
        fake.RateLimitNext(1, 7);

        using var limited = await http.PostAsync(new Uri(fake.ApiUrl, "chat.postMessage"), JsonContent("""{"channel":"C1","text":"x"}"""), Ct);
        var next = await PostAsync(http, fake, "chat.postMessage", new JsonObject { ["channel"] = "C1", ["text"] = "x" });

        Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(7), limited.Headers.RetryAfter!.Delta);
        Assert.Equal("""{"ok":false,"error":"ratelimited"}""", await limited.Content.ReadAsStringAsync(Ct));
        Assert.True((bool)next["ok"]!);
        Assert.Equal(1, fake.RateLimited);
        Assert.Single(fake.Calls);
        Assert.Empty(fake.Violations);
    }

    [Fact]
    public async Task WaitForAsync_NoMatch_TimesOutListingCalls()
    {
        await using var fake = await FakeSlackApi.StartAsync(SlackToken, Ct);
        using var http = SlackClient(SlackToken);
        await PostAsync(http, fake, "chat.postMessage", new JsonObject { ["channel"] = "C1", ["text"] = "hello" });

        var e = await Assert.ThrowsAsync<TimeoutException>(() => fake.WaitForAsync(c => c.Method == "chat.update", TimeSpan.FromMilliseconds(50), Ct));

        Assert.Contains("chat.postMessage ok", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Sign_MatchesSlacksDocumentedExample()
    {
        // The worked example from Slack's "Verifying requests from Slack" page.
        const string Body = "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V"
            + "&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text="
            + "&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN"
            + "&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c";

        Assert.Equal(
            "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503",
            SlackRequests.Sign("8f742231b10e8888abcd99yyyzzz85a5", 1531420618, Body));
    }

    [Fact]
    public async Task EventAndInteraction_AreSignedOverTheExactBody()
    {
        var seen = new List<(Dictionary<string, string> Headers, string Body)>();
        await using var rein = await LoopbackHttpServer.StartAsync(async context =>
        {
            var body = await new StreamReader(context.Request.Body).ReadToEndAsync(context.RequestAborted);
            var headers = context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase);
            lock (seen)
            {
                seen.Add((headers, body));
            }
        }, Ct);
        using var http = new HttpClient();
        var mention = SlackRequests.AppMention("Ev1", "T1", "C1", "U1", "<@U0BOT> hi", "1700000001.000100", threadTs: "1700000000.000100");
        var action = SlackRequests.BlockAction("T1", "U1", "C1", "1700000000.000100", "approve", "call-1");

        using (var request = SlackRequests.Event(rein.Url("slack/events"), "secret", mention, timestamp: 1700000000, retryNum: 1))
        using (await http.SendAsync(request, Ct))
        using (var interaction = SlackRequests.Interaction(rein.Url("slack/interactions"), "secret", action, timestamp: 1700000000))
        using (await http.SendAsync(interaction, Ct))
        {
        }

        var (eventHeaders, eventBody) = seen[0];
        Assert.Equal(mention, eventBody);
        Assert.Equal(SlackRequests.Sign("secret", 1700000000, eventBody), eventHeaders["X-Slack-Signature"]);
        Assert.Equal("1700000000", eventHeaders["X-Slack-Request-Timestamp"]);
        Assert.Equal("1", eventHeaders["X-Slack-Retry-Num"]);
        Assert.Equal("http_timeout", eventHeaders["X-Slack-Retry-Reason"]);
        Assert.Equal("application/json", eventHeaders["Content-Type"]);
        var envelope = JsonNode.Parse(eventBody)!;
        Assert.Equal("event_callback", (string?)envelope["type"]);
        Assert.Equal("app_mention", (string?)envelope["event"]!["type"]);
        Assert.Equal("1700000000.000100", (string?)envelope["event"]!["thread_ts"]);

        var (actionHeaders, actionBody) = seen[1];
        Assert.Equal("application/x-www-form-urlencoded", actionHeaders["Content-Type"]);
        Assert.Equal(SlackRequests.Sign("secret", 1700000000, actionBody), actionHeaders["X-Slack-Signature"]);
        var payload = JsonNode.Parse(Uri.UnescapeDataString(actionBody["payload=".Length..]))!;
        Assert.Equal("block_actions", (string?)payload["type"]);
        Assert.Equal("approve", (string?)payload["actions"]![0]!["action_id"]);
        Assert.Equal("call-1", (string?)payload["actions"]![0]!["value"]);
        Assert.Equal("C1", (string?)payload["container"]!["channel_id"]);
    }

    private static TelegramBotClient Client(FakeTelegramBotApi fake, HttpClient http) =>
        new(new TelegramBotClientOptions(TelegramToken, fake.BaseUrl.ToString()), http);

    private static HttpClient SlackClient(string token)
    {
        var http = new HttpClient();
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return http;
    }

    private static StringContent JsonContent(string json) => new(json, Encoding.UTF8, "application/json");

    private static async Task<JsonNode> PostAsync(HttpClient http, FakeSlackApi fake, string method, JsonObject body)
    {
        using var content = JsonContent(body.ToJsonString());
        using var response = await http.PostAsync(new Uri(fake.ApiUrl, method), content, Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return JsonNode.Parse(await response.Content.ReadAsStringAsync(Ct))!;
    }

    private static JsonObject Section(string text) =>
        new() { ["type"] = "section", ["text"] = new JsonObject { ["type"] = "mrkdwn", ["text"] = text } };

    private static JsonObject Actions(params JsonObject[] buttons) =>
        new() { ["type"] = "actions", ["elements"] = new JsonArray([.. buttons]) };

    private static JsonObject Button(string text, string actionId, string? style = null)
    {
        var button = new JsonObject
        {
            ["type"] = "button",
            ["text"] = new JsonObject { ["type"] = "plain_text", ["text"] = text },
            ["action_id"] = actionId,
            ["value"] = actionId,
        };
        if (style is not null)
        {
            button["style"] = style;
        }

        return button;
    }
}
