using System.Net;
using System.Text;
using System.Text.Json;
using Rein.Testing.FakeChat;
using Rein.Testing.FakeProviders;

namespace Rein.Server.Tests.Chat;

/// <summary>
/// Slack and Telegram against a real <c>rein serve</c>: requests are checked (signatures, secrets), linked accounts act as
/// their principals and others start nothing, approvals are answered with buttons or from another surface, and the answer
/// goes back to the thread or chat that started the session.
/// </summary>
[Trait("Category", "EndToEnd")]
public sealed class ChatSurfaceTests(ChatServe serve) : IClassFixture<ChatServe>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static long Now => DateTimeOffset.UtcNow.ToUnixTimeSeconds();

    /// <summary>A task that runs one shell command (which waits for approval in ask mode), then answers.</summary>
    private void ScriptShell(string keyword, string answer) =>
        serve.Script(keyword, (_, tools) => tools == 0
            ? FakeReply.ToolCall("shell", JsonSerializer.Serialize(new { command = $"echo {keyword}" }))
            : FakeReply.Text(answer));

    private async Task<HttpStatusCode> SlackEventAsync(string body, string? secret = ChatServe.SigningSecret, long? timestamp = null, int? retry = null)
    {
        using var response = await serve.SendAsync(SlackRequests.Event(serve.Url("slack/events"), secret ?? "", body, timestamp, retry));
        return response.StatusCode;
    }

    private async Task<HttpStatusCode> SlackPressAsync(string user, string channel, string messageTs, string action, string token, string thread)
    {
        using var response = await serve.SendAsync(SlackRequests.Interaction(serve.Url("slack/interactions"), ChatServe.SigningSecret,
            SlackRequests.BlockAction(ChatServe.Team, user, channel, messageTs, action, token, thread)));
        return response.StatusCode;
    }

    private async Task<HttpStatusCode> TelegramWebhookAsync(string update, string? secret = ChatServe.WebhookSecret)
    {
        using var response = await serve.SendAsync(TelegramUpdates.Webhook(serve.Url("telegram/webhook"), secret, update));
        return response.StatusCode;
    }

    /// <summary>The sessions (as GET /v1/sessions lists them) that came from an origin.</summary>
    private async Task<List<JsonElement>> SessionsFromAsync(string origin)
    {
        using var client = serve.Client();
        var all = JsonDocument.Parse(await client.GetStringAsync(new Uri("v1/sessions?limit=1000", UriKind.Relative), Ct)).RootElement;
        return [.. all.EnumerateArray().Where(s => s.GetProperty("origin").GetString() == origin)];
    }

    private async Task<string> OnlySessionFromAsync(string origin)
    {
        for (var i = 0; i < 100; i++)
        {
            if (await SessionsFromAsync(origin) is [var session])
            {
                return session.GetProperty("id").GetString()!;
            }

            await Task.Delay(100, Ct);
        }

        Assert.Fail($"No session from {origin}:\n{serve.ServerErrors}");
        return "";
    }

    private static string Buttons(JsonElement blocks) =>
        string.Join(",", blocks.EnumerateArray().Where(b => b.GetProperty("type").GetString() == "actions")
            .SelectMany(b => b.GetProperty("elements").EnumerateArray()).Select(e => $"{e.GetProperty("text").GetProperty("text").GetString()}:{e.GetProperty("action_id").GetString()}"));

    private static string Token(JsonElement blocks) =>
        blocks.EnumerateArray().First(b => b.GetProperty("type").GetString() == "actions").GetProperty("elements")[0].GetProperty("value").GetString()!;

    [Fact]
    public async Task Slack_UrlVerification_AnswersTheChallenge()
    {
        using var response = await serve.SendAsync(SlackRequests.Event(serve.Url("slack/events"), ChatServe.SigningSecret, SlackRequests.UrlVerification("challenge-3eZbrw1aBm")));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("challenge-3eZbrw1aBm", JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct)).RootElement.GetProperty("challenge").GetString());
    }

    [Fact]
    public async Task Slack_UnsignedStaleOrForgedRequests_Are401AndStartNothing()
    {
        ScriptShell("kw-forged", "never");
        var mention = SlackRequests.AppMention("EvForged1", ChatServe.Team, "C0FORGED", "U0OPS", "<@U0BOT> kw-forged", "1700000100.000100");

        using (var unsigned = new HttpRequestMessage(HttpMethod.Post, serve.Url("slack/events")) { Content = new StringContent(mention, Encoding.UTF8, "application/json") })
        using (var response = await serve.SendAsync(unsigned))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        }

        Assert.Equal(HttpStatusCode.Unauthorized, await SlackEventAsync(mention, secret: "not-the-signing-secret"));
        Assert.Equal(HttpStatusCode.Unauthorized, await SlackEventAsync(mention, timestamp: Now - 301));
        Assert.Equal(HttpStatusCode.Unauthorized, await SlackEventAsync(mention, timestamp: Now + 400));
        // A body changed after signing: the signature is over the original.
        var signed = SlackRequests.Event(serve.Url("slack/events"), ChatServe.SigningSecret, mention);
        signed.Content = new StringContent(mention.Replace("kw-forged", "kw-forgex", StringComparison.Ordinal), Encoding.UTF8, "application/json");
        using (var tampered = await serve.SendAsync(signed))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, tampered.StatusCode);
        }

        using (var press = await serve.SendAsync(SlackRequests.Interaction(serve.Url("slack/interactions"), "wrong", SlackRequests.BlockAction(ChatServe.Team, "U0OPS", "C0FORGED", "1.2", "rein_approve", "x"))))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, press.StatusCode);
        }

        // The same event, properly signed, is then new: none of the refused ones was recorded as delivered.
        Assert.Equal(HttpStatusCode.OK, await SlackEventAsync(mention));
        await OnlySessionFromAsync($"slack:{ChatServe.Team}/C0FORGED/1700000100.000100");
        Assert.DoesNotContain(serve.Model.Requests, r => r.Body.Contains("kw-forgex", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Slack_MentionApprovedOverHttp_AnswerIsPostedInTheThread()
    {
        ScriptShell("kw-cross", "All done: the build is green & fast.");
        const string thread = "1700000200.000100";
        var origin = $"slack:{ChatServe.Team}/C0CROSS/{thread}";

        Assert.Equal(HttpStatusCode.OK, await SlackEventAsync(SlackRequests.AppMention("EvCross1", ChatServe.Team, "C0CROSS", "U0OPS", "<@U0BOT> kw-cross please", thread)));

        var asked = await serve.Slack.WaitForAsync(c => c.Method == "chat.postMessage" && c.Str("channel") == "C0CROSS" && c.Body.TryGetProperty("blocks", out _), cancellationToken: Ct);
        Assert.Equal(thread, asked.Str("thread_ts"));
        Assert.Equal("Bearer " + ChatServe.SlackBotToken, asked.Authorization);
        Assert.Equal("Approve:rein_approve,Deny:rein_deny", Buttons(asked.Body.GetProperty("blocks")));
        Assert.Contains("echo kw-cross", asked.Body.GetProperty("blocks").GetRawText(), StringComparison.Ordinal);

        var sessionId = await OnlySessionFromAsync(origin);
        var session = await serve.WaitForStatusAsync(sessionId, "awaiting_approval");
        Assert.Equal("ops", session.GetProperty("principal").GetString());
        var callId = session.GetProperty("pending_approvals")[0].GetProperty("call_id").GetString()!;

        // Approved from another surface: the HTTP API, by the same principal's token.
        using (var client = serve.Client("ops"))
        using (var approved = await client.PostAsync(new Uri($"v1/approvals/{callId}", UriKind.Relative),
            new StringContent(JsonSerializer.Serialize(new { decision = "approve", session_id = sessionId }), Encoding.UTF8, "application/json"), Ct))
        {
            Assert.Equal(HttpStatusCode.OK, approved.StatusCode);
        }

        var answer = await serve.Slack.WaitForAsync(c => c.Method == "chat.postMessage" && c.Str("channel") == "C0CROSS" && c.Str("text")!.Contains("All done", StringComparison.Ordinal), cancellationToken: Ct);
        Assert.Equal(thread, answer.Str("thread_ts"));
        Assert.Equal("All done: the build is green &amp; fast.", answer.Str("text"));
        // The approval message itself now says who decided, and has no buttons.
        var marked = await serve.Slack.WaitForAsync(c => c.Method == "chat.update" && c.Str("channel") == "C0CROSS" && c.Str("text")!.Contains("by ops", StringComparison.Ordinal), cancellationToken: Ct);
        Assert.Contains("Approved by ops", serve.Slack.CurrentText("C0CROSS", marked.Str("ts")!), StringComparison.Ordinal);
        Assert.Equal("", Buttons(serve.Slack.CurrentBlocks("C0CROSS", marked.Str("ts")!)!.Value));
        Assert.Empty(serve.Slack.Violations);

        // Where it came from is journaled and listed.
        var events = await serve.EventsAsync(sessionId);
        Assert.Equal(origin, events[0].GetProperty("origin").GetString());
        var listed = await serve.RunAsync(null, "sessions", "list", "--store", serve.StorePath, "--json");
        Assert.Contains(listed.Split('\n'), line => line.Contains(sessionId, StringComparison.Ordinal) && line.Contains($"\"origin\":\"{origin}\"", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Slack_RetriedDelivery_IsHandledOnce()
    {
        ScriptShell("kw-retry", "retried");
        var mention = SlackRequests.AppMention("EvRetry1", ChatServe.Team, "C0RETRY", "U0OPS", "<@U0BOT> kw-retry", "1700000300.000100");

        Assert.Equal(HttpStatusCode.OK, await SlackEventAsync(mention));
        Assert.Equal(HttpStatusCode.OK, await SlackEventAsync(mention, retry: 1));
        Assert.Equal(HttpStatusCode.OK, await SlackEventAsync(mention, retry: 2));

        var sessionId = await OnlySessionFromAsync($"slack:{ChatServe.Team}/C0RETRY/1700000300.000100");
        await serve.WaitForStatusAsync(sessionId, "awaiting_approval");
        await serve.Slack.WaitForAsync(c => c.Method == "chat.postMessage" && c.Str("channel") == "C0RETRY" && !IsProgress(c), cancellationToken: Ct);
        Assert.Single(await SessionsFromAsync($"slack:{ChatServe.Team}/C0RETRY/1700000300.000100"));
        Assert.Single(await serve.EventsAsync(sessionId), e => e.GetProperty("type").GetString() == "user_message");
        Assert.Single(serve.Slack.Calls, c => c.Method == "chat.postMessage" && c.Str("channel") == "C0RETRY" && !IsProgress(c));
    }

    [Fact]
    public async Task Slack_UnlinkedUserAndViewer_StartNothing()
    {
        ScriptShell("kw-nobody", "never");

        Assert.Equal(HttpStatusCode.OK, await SlackEventAsync(SlackRequests.AppMention("EvNobody1", ChatServe.Team, "C0NOBODY", "U0STRANGER", "<@U0BOT> kw-nobody", "1700000400.000100")));
        Assert.Equal(HttpStatusCode.OK, await SlackEventAsync(SlackRequests.DirectMessage("EvNobody2", ChatServe.Team, "D0VIC", "U0VIC", "kw-nobody too", "1700000400.000200")));

        var stranger = await serve.Slack.WaitForAsync(c => c.Method == "chat.postEphemeral" && c.Str("user") == "U0STRANGER" && c.Str("channel") == "C0NOBODY", cancellationToken: Ct);
        Assert.Contains("rein principals link NAME slack:U0STRANGER", stranger.Str("text"), StringComparison.Ordinal);
        var viewer = await serve.Slack.WaitForAsync(c => c.Method == "chat.postEphemeral" && c.Str("user") == "U0VIC" && c.Str("channel") == "D0VIC", cancellationToken: Ct);
        Assert.Contains("viewer", viewer.Str("text"), StringComparison.Ordinal);
        Assert.Empty(await SessionsFromAsync($"slack:{ChatServe.Team}/C0NOBODY/1700000400.000100"));
        Assert.Empty(await SessionsFromAsync($"slack:{ChatServe.Team}/D0VIC/1700000400.000200"));
        Assert.DoesNotContain(serve.Model.Requests, r => r.Body.Contains("kw-nobody", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Slack_ButtonPressedByTheWrongPerson_ChangesNothing_ThenTheApproverDenies()
    {
        ScriptShell("kw-press", "I did not run it.");
        const string thread = "1700000500.000100";
        Assert.Equal(HttpStatusCode.OK, await SlackEventAsync(SlackRequests.DirectMessage("EvPress1", ChatServe.Team, "D0OPS", "U0OPS", "kw-press", thread)));
        var asked = await serve.Slack.WaitForAsync(c => c.Method == "chat.postMessage" && c.Str("channel") == "D0OPS" && c.Body.TryGetProperty("blocks", out _), cancellationToken: Ct);
        var token = Token(asked.Body.GetProperty("blocks"));
        // Rein finds the call by the button's token; the message's ts is Slack's own detail of the press.
        const string messageTs = "1700000500.000200";
        var sessionId = await OnlySessionFromAsync($"slack:{ChatServe.Team}/D0OPS/{thread}");
        await serve.WaitForStatusAsync(sessionId, "awaiting_approval");

        // Another operator (not an approver of ops' session), a viewer and a stranger press Approve.
        foreach (var user in new[] { "U0ANN", "U0VIC", "U0STRANGER" })
        {
            Assert.Equal(HttpStatusCode.OK, await SlackPressAsync(user, "D0OPS", messageTs, "rein_approve", token, thread));
            var refusal = await serve.Slack.WaitForAsync(c => c.Method == "chat.postEphemeral" && c.Str("user") == user && c.Str("channel") == "D0OPS", cancellationToken: Ct);
            Assert.Matches("may not answer|not linked", refusal.Str("text")!);
        }

        var still = await serve.SessionAsync(sessionId);
        Assert.Equal("awaiting_approval", still.GetProperty("status").GetString());
        Assert.DoesNotContain(await serve.EventsAsync(sessionId), e => e.GetProperty("type").GetString() == "approval_decided");
        Assert.DoesNotContain(serve.Slack.Calls, c => c.Method == "chat.update" && c.Str("channel") == "D0OPS" && c.Str("text")!.Contains(" by ", StringComparison.Ordinal));

        // A made-up token changes nothing either.
        Assert.Equal(HttpStatusCode.OK, await SlackPressAsync("U0OPS", "D0OPS", messageTs, "rein_approve", "0000feedface", thread));
        await serve.Slack.WaitForAsync(c => c.Method == "chat.postEphemeral" && c.Str("user") == "U0OPS" && c.Str("text")!.Contains("does not know", StringComparison.Ordinal), cancellationToken: Ct);

        Assert.Equal(HttpStatusCode.OK, await SlackPressAsync("U0OPS", "D0OPS", messageTs, "rein_deny", token, thread));
        var answer = await serve.Slack.WaitForAsync(c => c.Method == "chat.postMessage" && c.Str("channel") == "D0OPS" && c.Str("text") == "I did not run it.", cancellationToken: Ct);
        Assert.Equal(thread, answer.Str("thread_ts"));
        var marked = await serve.Slack.WaitForAsync(c => c.Method == "chat.update" && c.Str("channel") == "D0OPS" && c.Str("text")!.Contains("by ops", StringComparison.Ordinal), cancellationToken: Ct);
        Assert.Contains("Denied by ops", serve.Slack.CurrentText("D0OPS", marked.Str("ts")!), StringComparison.Ordinal);
        var decided = (await serve.EventsAsync(sessionId)).Single(e => e.GetProperty("type").GetString() == "approval_decided");
        Assert.Equal("deny", decided.GetProperty("decision").GetString());
        Assert.Equal("ops", decided.GetProperty("by").GetString());
        Assert.Empty(serve.Slack.Violations);
    }

    [Fact]
    public async Task Slack_ReplyInTheThread_ContinuesTheSameSession()
    {
        serve.Script("kw-thread", (request, _) => FakeReply.Text(request.Body.Contains("second kw-thread", StringComparison.Ordinal) ? "second answer" : "first answer"));
        const string thread = "1700000600.000100";
        Assert.Equal(HttpStatusCode.OK, await SlackEventAsync(SlackRequests.AppMention("EvThread1", ChatServe.Team, "C0THREAD", "U0OPS", "<@U0BOT> first kw-thread", thread)));
        await serve.Slack.WaitForAsync(c => c.Method == "chat.postMessage" && c.Str("channel") == "C0THREAD" && c.Str("text") == "first answer", cancellationToken: Ct);

        Assert.Equal(HttpStatusCode.OK, await SlackEventAsync(SlackRequests.AppMention("EvThread2", ChatServe.Team, "C0THREAD", "U0OPS", "<@U0BOT> second kw-thread", "1700000600.000300", threadTs: thread)));
        await serve.Slack.WaitForAsync(c => c.Method == "chat.postMessage" && c.Str("channel") == "C0THREAD" && c.Str("text") == "second answer", cancellationToken: Ct);

        var sessionId = await OnlySessionFromAsync($"slack:{ChatServe.Team}/C0THREAD/{thread}");
        Assert.Equal(2, (await serve.EventsAsync(sessionId)).Count(e => e.GetProperty("type").GetString() == "user_message"));
        // Someone else writing in the thread does not take the session over.
        Assert.Equal(HttpStatusCode.OK, await SlackEventAsync(SlackRequests.AppMention("EvThread3", ChatServe.Team, "C0THREAD", "U0ANN", "<@U0BOT> third kw-thread", "1700000600.000500", threadTs: thread)));
        var refused = await serve.Slack.WaitForAsync(c => c.Method == "chat.postEphemeral" && c.Str("user") == "U0ANN" && c.Str("channel") == "C0THREAD", cancellationToken: Ct);
        Assert.Contains("belongs to ops", refused.Str("text"), StringComparison.Ordinal);
        Assert.Equal(2, (await serve.EventsAsync(sessionId)).Count(e => e.GetProperty("type").GetString() == "user_message"));
    }

    [Fact]
    public async Task Slack_LongAnswer_IsSplitIntoMessagesInTheThread()
    {
        var paragraphs = Enumerable.Range(1, 30).Select(i => $"Paragraph {i}: " + string.Concat(Enumerable.Repeat("words <and> more ", 20)).TrimEnd());
        var text = string.Join("\n\n", paragraphs);
        serve.Script("kw-long", (_, _) => FakeReply.Text(text));
        const string thread = "1700000700.000100";

        Assert.Equal(HttpStatusCode.OK, await SlackEventAsync(SlackRequests.AppMention("EvLong1", ChatServe.Team, "C0LONG", "U0OPS", "<@U0BOT> kw-long", thread)));
        await serve.Slack.WaitForAsync(c => c.Method == "chat.postMessage" && c.Str("channel") == "C0LONG" && c.Str("text")!.Contains("Paragraph 30:", StringComparison.Ordinal), cancellationToken: Ct);

        var parts = serve.Slack.Calls.Where(c => c.Method == "chat.postMessage" && c.Str("channel") == "C0LONG" && !IsProgress(c)).ToList();
        Assert.True(parts.Count >= 3, $"{parts.Count} messages");
        Assert.All(parts, p => Assert.Equal(thread, p.Str("thread_ts")));
        Assert.All(parts, p => Assert.True(p.Str("text")!.Length <= 4000));
        // Escaped first, then cut between paragraphs: nothing is lost, and no cut falls inside an escape.
        var joined = string.Join("\n\n", parts.Select(p => p.Str("text")));
        Assert.Equal(text.Replace("<", "&lt;", StringComparison.Ordinal).Replace(">", "&gt;", StringComparison.Ordinal), joined);
    }

    [Fact]
    public async Task Slack_RunThatTakesAWhile_ShowsProgressInOneMessage()
    {
        serve.Script("kw-progress", (_, tools) => tools == 0
            ? FakeReply.ToolCall("read_file", JsonSerializer.Serialize(new { path = "missing.txt" }))
            // Long enough for the relay to look at the run while it is between steps.
            : FakeReply.Text("progress answer") with { Delay = TimeSpan.FromSeconds(3) });
        const string thread = "1700000800.000100";

        Assert.Equal(HttpStatusCode.OK, await SlackEventAsync(SlackRequests.AppMention("EvProgress1", ChatServe.Team, "C0PROGRESS", "U0OPS", "<@U0BOT> kw-progress", thread)));

        var working = await serve.Slack.WaitForAsync(c => c.Method == "chat.postMessage" && c.Str("channel") == "C0PROGRESS" && IsProgress(c), cancellationToken: Ct);
        Assert.Equal("_Working… step 1: read_file_", working.Str("text"));
        Assert.Equal(thread, working.Str("thread_ts"));
        await serve.Slack.WaitForAsync(c => c.Method == "chat.postMessage" && c.Str("channel") == "C0PROGRESS" && c.Str("text") == "progress answer", cancellationToken: Ct);
        var finished = await serve.Slack.WaitForAsync(c => c.Method == "chat.update" && c.Str("channel") == "C0PROGRESS" && c.Str("text") == "_Finished._", cancellationToken: Ct);
        // One progress message, edited, not one per step.
        Assert.Single(serve.Slack.Calls, c => c.Method == "chat.postMessage" && c.Str("channel") == "C0PROGRESS" && IsProgress(c));
        Assert.Equal("_Finished._", serve.Slack.CurrentText("C0PROGRESS", finished.Str("ts")!));
        Assert.Empty(serve.Slack.Violations);
    }

    [Fact]
    public async Task Slack_RateLimited_RetriesAfterRetryAfter()
    {
        serve.Script("kw-limited", (_, _) => FakeReply.Text("answer after a 429"));
        serve.Slack.RateLimitNext(1, 1);

        Assert.Equal(HttpStatusCode.OK, await SlackEventAsync(SlackRequests.AppMention("EvLimited1", ChatServe.Team, "C0LIMITED", "U0OPS", "<@U0BOT> kw-limited", "1700000900.000100")));

        await serve.Slack.WaitForAsync(c => c.Method == "chat.postMessage" && c.Str("channel") == "C0LIMITED" && c.Str("text") == "answer after a 429", cancellationToken: Ct);
        Assert.Equal(1, serve.Slack.RateLimited);
    }

    [Fact]
    public async Task Slack_ApprovedFromTheTerminal_AnswerIsPostedInTheThread()
    {
        ScriptShell("kw-terminal", "Approved at a terminal.");
        const string thread = "1700001000.000100";
        Assert.Equal(HttpStatusCode.OK, await SlackEventAsync(SlackRequests.AppMention("EvTerminal1", ChatServe.Team, "C0TERMINAL", "U0OPS", "<@U0BOT> kw-terminal", thread)));
        var sessionId = await OnlySessionFromAsync($"slack:{ChatServe.Team}/C0TERMINAL/{thread}");
        var session = await serve.WaitForStatusAsync(sessionId, "awaiting_approval");
        var callId = session.GetProperty("pending_approvals")[0].GetProperty("call_id").GetString()!;

        // ops answers from a terminal with its token (the session's approver); the server resumes the session.
        await serve.RunAsync(new Dictionary<string, string> { ["REIN_TOKEN"] = serve.Tokens["ops"] }, "approvals", "approve", $"{sessionId}:{callId}", "--as", "ops", "--store", serve.StorePath);

        var answer = await serve.Slack.WaitForAsync(c => c.Method == "chat.postMessage" && c.Str("channel") == "C0TERMINAL" && c.Str("text") == "Approved at a terminal.", cancellationToken: Ct);
        Assert.Equal(thread, answer.Str("thread_ts"));
        await serve.Slack.WaitForAsync(c => c.Method == "chat.update" && c.Str("channel") == "C0TERMINAL" && c.Str("text")!.Contains("Approved by ops", StringComparison.Ordinal), cancellationToken: Ct);
    }

    [Fact]
    public async Task Slack_SubAgentsApproval_IsAskedInTheThread_AndOnlyTheParentAnswers()
    {
        serve.Script("kw-sub", (request, tools) => request.Body.Contains("kw-sub-parent", StringComparison.Ordinal)
            ? tools == 0
                ? FakeReply.ToolCall("task", JsonSerializer.Serialize(new { description = "run the check", prompt = "kw-sub-child: run the check and report" }))
                : FakeReply.Text("parent answer after the sub-agent")
            : tools == 0
                ? FakeReply.ToolCall("shell", JsonSerializer.Serialize(new { command = "echo kw-sub-child" }))
                : FakeReply.Text("child report"));
        const string thread = "1700001100.000100";

        Assert.Equal(HttpStatusCode.OK, await SlackEventAsync(SlackRequests.AppMention("EvSub1", ChatServe.Team, "C0SUB", "U0OPS", "<@U0BOT> kw-sub-parent", thread)));

        var asked = await serve.Slack.WaitForAsync(c => c.Method == "chat.postMessage" && c.Str("channel") == "C0SUB" && c.Body.TryGetProperty("blocks", out _), cancellationToken: Ct);
        Assert.Equal(thread, asked.Str("thread_ts"));
        Assert.Contains("echo kw-sub-child", asked.Body.GetProperty("blocks").GetRawText(), StringComparison.Ordinal);

        Assert.Equal(HttpStatusCode.OK, await SlackPressAsync("U0OPS", "C0SUB", "1700001100.000200", "rein_approve", Token(asked.Body.GetProperty("blocks")), thread));

        await serve.Slack.WaitForAsync(c => c.Method == "chat.postMessage" && c.Str("channel") == "C0SUB" && c.Str("text") == "parent answer after the sub-agent", cancellationToken: Ct);
        Assert.DoesNotContain(serve.Slack.Calls, c => c.Method == "chat.postMessage" && c.Str("channel") == "C0SUB" && c.Str("text") == "child report");
        Assert.Empty(serve.Slack.Violations);
    }

    [Fact]
    public async Task Slack_ServerKilledWhileWaiting_AfterRestartNothingIsRepeatedOrLost()
    {
        ScriptShell("kw-restart", "Answer after the restart.");
        const string thread = "1700001200.000100";
        Assert.Equal(HttpStatusCode.OK, await SlackEventAsync(SlackRequests.AppMention("EvRestart1", ChatServe.Team, "C0RESTART", "U0OPS", "<@U0BOT> kw-restart", thread)));
        var asked = await serve.Slack.WaitForAsync(c => c.Method == "chat.postMessage" && c.Str("channel") == "C0RESTART" && c.Body.TryGetProperty("blocks", out _), cancellationToken: Ct);
        var sessionId = await OnlySessionFromAsync($"slack:{ChatServe.Team}/C0RESTART/{thread}");
        await serve.WaitForStatusAsync(sessionId, "awaiting_approval");

        await serve.KillServerAsync();
        await serve.StartServerAsync();
        // The same delivery again (Slack retries what the dead server did not answer) is still known.
        Assert.Equal(HttpStatusCode.OK, await SlackEventAsync(SlackRequests.AppMention("EvRestart1", ChatServe.Team, "C0RESTART", "U0OPS", "<@U0BOT> kw-restart", thread), retry: 1));
        // The button posted before the restart still answers.
        Assert.Equal(HttpStatusCode.OK, await SlackPressAsync("U0OPS", "C0RESTART", "1700001200.000200", "rein_approve", Token(asked.Body.GetProperty("blocks")), thread));

        await serve.Slack.WaitForAsync(c => c.Method == "chat.postMessage" && c.Str("channel") == "C0RESTART" && c.Str("text") == "Answer after the restart.", cancellationToken: Ct);
        await serve.Slack.WaitForAsync(c => c.Method == "chat.update" && c.Str("channel") == "C0RESTART" && c.Str("text")!.Contains("Approved by ops", StringComparison.Ordinal), cancellationToken: Ct);
        Assert.Single(serve.Slack.Calls, c => c.Method == "chat.postMessage" && c.Str("channel") == "C0RESTART" && c.Body.TryGetProperty("blocks", out _));
        Assert.Single(serve.Slack.Calls, c => c.Method == "chat.postMessage" && c.Str("channel") == "C0RESTART" && c.Str("text") == "Answer after the restart.");
        Assert.Single(await serve.EventsAsync(sessionId), e => e.GetProperty("type").GetString() == "user_message");
    }

    [Fact]
    public async Task Telegram_WebhookWithoutTheSecret_Is401AndDoesNothing()
    {
        ScriptShell("kw-tg-forged", "never");
        var update = TelegramUpdates.Text(710001, 2009, 2009, "kw-tg-forged");

        Assert.Equal(HttpStatusCode.Unauthorized, await TelegramWebhookAsync(update, secret: null));
        Assert.Equal(HttpStatusCode.Unauthorized, await TelegramWebhookAsync(update, secret: "wrong-secret"));
        Assert.Equal(HttpStatusCode.Unauthorized, await TelegramWebhookAsync(update, secret: ChatServe.WebhookSecret + "x"));

        Assert.Empty(await SessionsFromAsync("telegram:2009"));
        Assert.DoesNotContain(serve.Telegram.Calls, c => c.Method.Equals("sendMessage", StringComparison.OrdinalIgnoreCase) && c.Body.GetProperty("chat_id").GetRawText() == "2009");
    }

    [Fact]
    public async Task Telegram_TaskApprovedWithItsInlineButton_AnswersInTheChat()
    {
        ScriptShell("kw-tg-button", "Done: 1 + 1 = 2 (see `notes.md`).");
        Assert.Equal(HttpStatusCode.OK, await TelegramWebhookAsync(TelegramUpdates.Text(720001, 2001, 2001, "kw-tg-button please")));

        var asked = await serve.Telegram.WaitForAsync(c => IsSend(c, 2001) && c.Body.TryGetProperty("reply_markup", out _), cancellationToken: Ct);
        var keyboard = asked.Body.GetProperty("reply_markup").GetProperty("inline_keyboard")[0];
        Assert.Equal("Approve", keyboard[0].GetProperty("text").GetString());
        Assert.Equal("Deny", keyboard[1].GetProperty("text").GetString());
        Assert.Contains("echo kw-tg-button", asked.Str("text"), StringComparison.Ordinal);
        var sessionId = await OnlySessionFromAsync("telegram:2001");
        await serve.WaitForStatusAsync(sessionId, "awaiting_approval");
        const int messageId = 1;

        // Another operator's press is refused with an alert, and changes nothing.
        Assert.Equal(HttpStatusCode.OK, await TelegramWebhookAsync(TelegramUpdates.CallbackQuery(720002, "cbq-ann", 3001, 2001, messageId, keyboard[0].GetProperty("callback_data").GetString()!)));
        var refusal = await serve.Telegram.WaitForAsync(c => c.Method.Equals("answerCallbackQuery", StringComparison.OrdinalIgnoreCase) && c.Str("callback_query_id") == "cbq-ann", cancellationToken: Ct);
        Assert.Contains("may not answer", refusal.Str("text"), StringComparison.Ordinal);
        Assert.Equal("awaiting_approval", (await serve.SessionAsync(sessionId)).GetProperty("status").GetString());

        Assert.Equal(HttpStatusCode.OK, await TelegramWebhookAsync(TelegramUpdates.CallbackQuery(720003, "cbq-ops", 2001, 2001, messageId, keyboard[0].GetProperty("callback_data").GetString()!)));
        await serve.Telegram.WaitForAsync(c => c.Method.Equals("answerCallbackQuery", StringComparison.OrdinalIgnoreCase) && c.Str("callback_query_id") == "cbq-ops", cancellationToken: Ct);
        var answer = await serve.Telegram.WaitForAsync(c => IsSend(c, 2001) && c.Str("text")!.Contains("Done", StringComparison.Ordinal), cancellationToken: Ct);
        Assert.Equal(@"Done: 1 \+ 1 \= 2 \(see `notes.md`\)\.", answer.Str("text"));
        Assert.Equal("MarkdownV2", answer.Str("parse_mode"), ignoreCase: true);
        var edit = await serve.Telegram.WaitForAsync(c => c.Method.Equals("editMessageText", StringComparison.OrdinalIgnoreCase) && c.Body.GetProperty("chat_id").GetRawText() == "2001", cancellationToken: Ct);
        var edited = edit.Body.GetProperty("message_id").GetInt32();
        Assert.Contains("Approved by ops", serve.Telegram.CurrentText(2001, edited), StringComparison.Ordinal);
        Assert.Null(serve.Telegram.CurrentMarkup(2001, edited));
        Assert.Equal("completed", (await serve.SessionAsync(sessionId)).GetProperty("status").GetString());
        Assert.Empty(serve.Telegram.Violations);
    }

    [Fact]
    public async Task Telegram_ByLongPolling_UnlinkedUserGetsHowToLink_AndNewStartsAFreshSession()
    {
        serve.Script("kw-tg-poll", (request, _) => FakeReply.Text("polled answer"));
        serve.Telegram.EnqueueUpdate(TelegramUpdates.Text(730001, 5005, 5005, "kw-tg-poll from a stranger"));
        var stranger = await serve.Telegram.WaitForAsync(c => IsSend(c, 5005), cancellationToken: Ct);
        Assert.Contains("telegram:5005", stranger.Str("text")!.Replace("\\", "", StringComparison.Ordinal), StringComparison.Ordinal);
        Assert.Empty(await SessionsFromAsync("telegram:5005"));

        serve.Telegram.EnqueueUpdate(TelegramUpdates.Text(730002, 2002, 2002, "kw-tg-poll one"));
        await serve.Telegram.WaitForAsync(c => IsSend(c, 2002) && c.Str("text") == "polled answer", cancellationToken: Ct);
        serve.Telegram.EnqueueUpdate(TelegramUpdates.Text(730003, 2002, 2002, "kw-tg-poll two"));
        await serve.Telegram.WaitForAsync(c => IsSend(c, 2002) && c.Str("text") == "polled answer" && serve.Telegram.Calls.Count(x => IsSend(x, 2002) && x.Str("text") == "polled answer") == 2, cancellationToken: Ct);
        var first = await OnlySessionFromAsync("telegram:2002");
        Assert.Equal(2, (await serve.EventsAsync(first)).Count(e => e.GetProperty("type").GetString() == "user_message"));

        serve.Telegram.EnqueueUpdate(TelegramUpdates.Text(730004, 2002, 2002, "/new kw-tg-poll three"));
        for (var i = 0; i < 100 && (await SessionsFromAsync("telegram:2002")).Count < 2; i++)
        {
            await Task.Delay(100, Ct);
        }

        var sessions = await SessionsFromAsync("telegram:2002");
        Assert.Equal(2, sessions.Count);
        var second = sessions.Select(s => s.GetProperty("id").GetString()!).Single(id => id != first);
        Assert.Single(await serve.EventsAsync(second), e => e.GetProperty("type").GetString() == "user_message");
        Assert.Empty(serve.Telegram.Violations);
    }

    [Fact]
    public async Task Telegram_SessionContinuedOverHttpAndFromTheTerminal_AnswersInTheTelegramChat()
    {
        serve.Script("kw-tg-http", (request, _) => FakeReply.Text(
            request.Body.Contains("from the terminal", StringComparison.Ordinal) ? "answer to the terminal message"
            : request.Body.Contains("from the api", StringComparison.Ordinal) ? "answer to the api message"
            : "first telegram answer"));
        Assert.Equal(HttpStatusCode.OK, await TelegramWebhookAsync(TelegramUpdates.Text(740001, 2003, 2003, "kw-tg-http")));
        await serve.Telegram.WaitForAsync(c => IsSend(c, 2003) && c.Str("text") == "first telegram answer", cancellationToken: Ct);
        var sessionId = await OnlySessionFromAsync("telegram:2003");
        await serve.WaitForStatusAsync(sessionId, "completed");

        using (var client = serve.Client("ops"))
        using (var sent = await client.PostAsync(new Uri($"v1/sessions/{sessionId}/messages", UriKind.Relative),
            new StringContent(JsonSerializer.Serialize(new { message = "kw-tg-http from the api" }), Encoding.UTF8, "application/json"), Ct))
        {
            Assert.Equal(HttpStatusCode.Accepted, sent.StatusCode);
        }

        await serve.Telegram.WaitForAsync(c => IsSend(c, 2003) && c.Str("text") == "answer to the api message", cancellationToken: Ct);
        await serve.WaitForStatusAsync(sessionId, "completed");

        // Continued at a terminal, in another process: the server reads the journal and still answers in the chat.
        var resumed = await serve.RunAsync(null, "sessions", "resume", sessionId, "kw-tg-http from the terminal", "--json", "--store", serve.StorePath);
        Assert.Contains("answer to the terminal message", resumed, StringComparison.Ordinal);
        await serve.Telegram.WaitForAsync(c => IsSend(c, 2003) && c.Str("text") == "answer to the terminal message", cancellationToken: Ct);
    }

    [Fact]
    public async Task Telegram_LongAnswer_IsSplitAtTheLimitAndEscaped()
    {
        var lines = Enumerable.Range(1, 300).Select(i => $"Line {i}: value_{i} = {i}.5 (ok) [x] #tag!");
        var text = string.Join('\n', lines);
        serve.Script("kw-tg-long", (_, _) => FakeReply.Text(text));

        Assert.Equal(HttpStatusCode.OK, await TelegramWebhookAsync(TelegramUpdates.Text(750001, 2004, 2004, "kw-tg-long")));
        await serve.Telegram.WaitForAsync(c => IsSend(c, 2004) && c.Str("text")!.Contains("Line 300:", StringComparison.Ordinal), cancellationToken: Ct);

        var parts = serve.Telegram.Calls.Where(c => IsSend(c, 2004)).ToList();
        Assert.True(parts.Count >= 3, $"{parts.Count} messages");
        Assert.All(parts, p => Assert.True(p.Ok, p.Error));
        Assert.Empty(serve.Telegram.Violations);
    }

    /// <summary>Whether a Slack post is a run's progress line (italic), not an answer or an approval request.</summary>
    private static bool IsProgress(SlackCall call) => call.Str("text") is { } text && text.StartsWith('_') && text.EndsWith('_');

    private static bool IsSend(TelegramCall call, long chat) =>
        call.Method.Equals("sendMessage", StringComparison.OrdinalIgnoreCase) && call.Ok && call.Body.TryGetProperty("chat_id", out var id) && id.GetRawText().Trim('"') == chat.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
