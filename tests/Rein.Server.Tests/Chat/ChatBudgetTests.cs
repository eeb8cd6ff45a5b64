using System.Net;
using Rein.Testing.FakeChat;
using Rein.Testing.FakeProviders;

namespace Rein.Server.Tests.Chat;

/// <summary>One principal, one daily budget: what it spends over HTTP, Slack and Telegram adds up; another principal's does not.</summary>
[Trait("Category", "EndToEnd")]
public sealed class ChatBudgetTests(BudgetChatServe serve) : IClassFixture<BudgetChatServe>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task DailyBudget_IsCountedPerPrincipal_AcrossSurfaces()
    {
        serve.Script("kw-budget", (_, _) => FakeReply.Text("budget answer"));

        // ops spends one step over the HTTP API and one from Slack: its two for the day.
        var overHttp = await serve.StartSessionAsync("kw-budget over http", serve.NewWorkspace("budget"), "ask", principal: "ops");
        await serve.WaitForStatusAsync(overHttp, "completed");
        using (var slack = await serve.SendAsync(SlackRequests.Event(serve.Url("slack/events"), ChatServe.SigningSecret,
            SlackRequests.AppMention("EvBudget1", ChatServe.Team, "C0BUDGET", "U0OPS", "<@U0BOT> kw-budget from slack", "1700002000.000100"))))
        {
            Assert.Equal(HttpStatusCode.OK, slack.StatusCode);
        }

        await serve.Slack.WaitForAsync(c => c.Method == "chat.postMessage" && c.Str("channel") == "C0BUDGET" && c.Str("text") == "budget answer", cancellationToken: Ct);

        // From Telegram the same principal has nothing left, and is told so in the chat.
        using (var telegram = await serve.SendAsync(TelegramUpdates.Webhook(serve.Url("telegram/webhook"), ChatServe.WebhookSecret, TelegramUpdates.Text(910001, 2005, 2005, "kw-budget from telegram"))))
        {
            Assert.Equal(HttpStatusCode.OK, telegram.StatusCode);
        }

        var refused = await serve.Telegram.WaitForAsync(c => c.Method.Equals("sendMessage", StringComparison.OrdinalIgnoreCase) && c.Body.GetProperty("chat_id").GetRawText() == "2005"
            && c.Str("text")!.Contains("budget", StringComparison.Ordinal), cancellationToken: Ct);
        Assert.Contains("Stopped: budget exceeded", refused.Str("text")!.Replace("\\", "", StringComparison.Ordinal), StringComparison.Ordinal);

        // Another principal's budget is its own.
        using (var other = await serve.SendAsync(TelegramUpdates.Webhook(serve.Url("telegram/webhook"), ChatServe.WebhookSecret, TelegramUpdates.Text(910002, 3001, 3001, "kw-budget from ann"))))
        {
            Assert.Equal(HttpStatusCode.OK, other.StatusCode);
        }

        await serve.Telegram.WaitForAsync(c => c.Method.Equals("sendMessage", StringComparison.OrdinalIgnoreCase) && c.Body.GetProperty("chat_id").GetRawText() == "3001"
            && c.Str("text") == "budget answer", cancellationToken: Ct);
    }
}
