using System.Net;
using Rein.Testing.FakeChat;
using Rein.Testing.FakeProviders;

namespace Rein.Server.Tests.Chat;

/// <summary>Telegram by webhook alone, on a server that has not called the Bot API before the first update arrives.</summary>
[Trait("Category", "EndToEnd")]
public sealed class TelegramWebhookTests(WebhookChatServe serve) : IClassFixture<WebhookChatServe>
{
    [Fact]
    public async Task Webhook_FirstUpdateOfAFreshServer_IsReadAndAnswered()
    {
        serve.Script("kw-webhook-only", (_, _) => FakeReply.Text("answered from the webhook"));

        using var response = await serve.SendAsync(TelegramUpdates.Webhook(serve.Url("telegram/webhook"), ChatServe.WebhookSecret, TelegramUpdates.Text(810001, 2001, 2001, "kw-webhook-only")));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await serve.Telegram.WaitForAsync(c => c.Method.Equals("sendMessage", StringComparison.OrdinalIgnoreCase) && c.Str("text") == "answered from the webhook",
            cancellationToken: TestContext.Current.CancellationToken);
        Assert.DoesNotContain(serve.Telegram.Calls, c => c.Method.Equals("getUpdates", StringComparison.OrdinalIgnoreCase));
        Assert.Empty(serve.Telegram.Violations);
    }
}
