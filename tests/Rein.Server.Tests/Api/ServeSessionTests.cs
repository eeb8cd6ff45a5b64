using System.Net;
using System.Text;
using System.Text.Json;
using Rein.Testing.FakeProviders;

namespace Rein.Server.Tests.Api;

/// <summary>The write routes and the live event stream of a real <c>rein serve</c>, and the CLI working on the same store.</summary>
[Trait("Category", "e2e")]
public sealed class ServeSessionTests(LiveServe serve) : IClassFixture<LiveServe>
{
    private static Uri U(string path) => new(path, UriKind.Relative);

    private static StringContent Json(object body) => new(JsonSerializer.Serialize(body), Encoding.UTF8, "application/json");

    private static string Shell(string command) => JsonSerializer.Serialize(new { command });

    private static IEnumerable<JsonElement> OfType(List<JsonElement> events, string type) => events.Where(e => e.GetProperty("type").GetString() == type);

    [Fact]
    public async Task Session_StartContinueAndRewind_CompletesRefusesWhileRunningAndRestoresTheFile()
    {
        var ct = TestContext.Current.CancellationToken;
        var ws = serve.NewWorkspace("lifecycle");
        File.WriteAllText(Path.Combine(ws, "notes.txt"), "original");
        serve.Script("task-lifecycle", (request, tools) =>
            request.Body.Contains("second-request", StringComparison.Ordinal)
                ? new FakeReply { Message = "Second answer.", Delay = TimeSpan.FromSeconds(3) }
                : tools == 0 ? FakeReply.ToolCall("write_file", JsonSerializer.Serialize(new { path = "notes.txt", content = "changed" }))
                : FakeReply.Text("I wrote notes.txt."));

        var id = await serve.StartSessionAsync("task-lifecycle: write the notes", ws, "workspace-write");

        var session = await serve.WaitForStatusAsync(id, "completed", "stopped", "suspended", "awaiting_approval");
        Assert.Equal("completed", session.GetProperty("status").GetString());
        var events = await serve.EventsAsync(id);
        var done = Assert.Single(OfType(events, "tool_completed"));
        Assert.Equal("write_file", done.GetProperty("name").GetString());
        Assert.Equal("success", done.GetProperty("outcome").GetString());
        Assert.Contains(OfType(events, "model_called"), e => e.TryGetProperty("text", out var text) && text.GetString() == "I wrote notes.txt.");
        Assert.Equal("changed", File.ReadAllText(Path.Combine(ws, "notes.txt")));

        using var client = serve.Client();
        using (var sent = await client.PostAsync(U($"v1/sessions/{id}/messages"), Json(new { message = "second-request" }), ct))
        {
            Assert.Equal(HttpStatusCode.Accepted, sent.StatusCode);
        }

        // The model takes seconds to answer: the session is running, so another message and a rewind are refused.
        using (var busy = await client.PostAsync(U($"v1/sessions/{id}/messages"), Json(new { message = "third" }), ct))
        {
            Assert.Equal(HttpStatusCode.Conflict, busy.StatusCode);
            Assert.Equal("application/problem+json", busy.Content.Headers.ContentType?.MediaType);
            Assert.Contains("running", JsonDocument.Parse(await busy.Content.ReadAsStringAsync(ct)).RootElement.GetProperty("detail").GetString(), StringComparison.Ordinal);
        }

        using (var busy = await client.PostAsync(U($"v1/sessions/{id}/rewind"), Json(new { to_step = 1 }), ct))
        {
            Assert.Equal(HttpStatusCode.Conflict, busy.StatusCode);
        }

        Assert.Equal("completed", (await serve.WaitForStatusAsync(id, "completed", "stopped", "suspended")).GetProperty("status").GetString());
        events = await serve.EventsAsync(id);
        Assert.Equal(["task-lifecycle: write the notes", "second-request"], OfType(events, "user_message").Select(e => e.GetProperty("text").GetString()));
        Assert.Contains(OfType(events, "model_called"), e => e.TryGetProperty("text", out var text) && text.GetString() == "Second answer.");

        using var rewound = await client.PostAsync(U($"v1/sessions/{id}/rewind"), Json(new { to_step = 1 }), ct);
        var body = await rewound.Content.ReadAsStringAsync(ct);
        Assert.True(rewound.StatusCode == HttpStatusCode.OK, body);
        var outcome = JsonDocument.Parse(body).RootElement;
        Assert.Equal(id, outcome.GetProperty("session_id").GetString());
        Assert.Equal(1, outcome.GetProperty("to_step").GetInt32());
        Assert.True(outcome.GetProperty("restored_files").GetInt32() >= 1, body);
        Assert.Equal("original", File.ReadAllText(Path.Combine(ws, "notes.txt")));
        Assert.Single(OfType(await serve.EventsAsync(id), "workspace_rewound"));
    }

    [Fact]
    public async Task Cancel_RunStuckInSlowModelCall_StopsJournalsCancelledAndANewMessageRunsOn()
    {
        var ct = TestContext.Current.CancellationToken;
        serve.Script("task-stuck", (request, _) => request.Body.Contains("try again quickly", StringComparison.Ordinal)
            ? FakeReply.Text("Quick answer.")
            : new FakeReply { Message = "Too late.", Delay = TimeSpan.FromMinutes(5) });
        var id = await serve.StartSessionAsync("task-stuck: think hard", serve.NewWorkspace("stuck"), "ask");
        while (!serve.Model.Requests.Any(r => r.Body.Contains("task-stuck", StringComparison.Ordinal)))
        {
            await Task.Delay(100, ct);
        }

        Assert.Equal("running", (await serve.SessionAsync(id)).GetProperty("status").GetString());
        using var client = serve.Client();
        using var cancelled = await client.PostAsync(U($"v1/sessions/{id}/cancel"), null, ct);

        Assert.Equal(HttpStatusCode.Accepted, cancelled.StatusCode);
        var session = await serve.WaitForStatusAsync(id, "suspended", "stopped", "completed", "interrupted");
        Assert.NotEqual("completed", session.GetProperty("status").GetString());
        var events = await serve.EventsAsync(id);
        var last = events[^1];
        Assert.True(last.GetProperty("type").GetString() is "session_suspended" or "session_ended", last.ToString());
        Assert.Equal("cancelled", last.GetProperty("reason").GetString());
        Assert.DoesNotContain(OfType(events, "model_called"), e => e.TryGetProperty("text", out var text) && text.GetString() == "Too late.");

        // A cancelled session takes a new message and runs on.
        using var sent = await client.PostAsync(U($"v1/sessions/{id}/messages"), Json(new { message = "try again quickly" }), ct);
        Assert.Equal(HttpStatusCode.Accepted, sent.StatusCode);
        await serve.WaitForStatusAsync(id, "completed");
        Assert.Contains(OfType(await serve.EventsAsync(id), "model_called"), e => e.TryGetProperty("text", out var text) && text.GetString() == "Quick answer.");
    }

    [Fact]
    public async Task AnswerApproval_ApproveAndDeny_SessionsResumeAndTheModelGetsTheReason()
    {
        var ct = TestContext.Current.CancellationToken;
        serve.Script("task-approve", (_, tools) => tools == 0 ? FakeReply.ToolCall("shell", Shell("echo approved-run")) : FakeReply.Text("Approved and ran."));
        serve.Script("task-deny", (request, tools) => tools == 0 ? FakeReply.ToolCall("shell", Shell("echo denied-run"))
            : FakeReply.Text(request.Body.Contains("not on a Friday", StringComparison.Ordinal) ? "Understood: not on a Friday." : "No reason given."));
        var approved = await serve.StartSessionAsync("task-approve: run it", serve.NewWorkspace("approve"), "ask");
        var denied = await serve.StartSessionAsync("task-deny: run it", serve.NewWorkspace("deny"), "ask");
        foreach (var id in new[] { approved, denied })
        {
            await serve.WaitForStatusAsync(id, "awaiting_approval");
        }

        using var client = serve.Client();
        var inbox = JsonDocument.Parse(await client.GetStringAsync(U("v1/approvals"), ct)).RootElement.EnumerateArray().ToList();
        var waiting = new[] { approved, denied }.ToDictionary(id => id, id => Assert.Single(inbox, a => a.GetProperty("session_id").GetString() == id).GetProperty("ref").GetString()!);

        using (var answer = await client.PostAsync(U($"v1/approvals/{Uri.EscapeDataString(waiting[approved])}"), Json(new { decision = "approve", scope = "once" }), ct))
        {
            var body = await answer.Content.ReadAsStringAsync(ct);
            Assert.True(answer.StatusCode == HttpStatusCode.OK, body);
            var outcome = JsonDocument.Parse(body).RootElement;
            // The answer names the call as the inbox does.
            Assert.Equal(waiting[approved], outcome.GetProperty("ref").GetString());
            Assert.Equal(approved, outcome.GetProperty("session_id").GetString());
            Assert.Equal("boss", outcome.GetProperty("by").GetString());
        }

        using (var answer = await client.PostAsync(U($"v1/approvals/{Uri.EscapeDataString(waiting[denied])}"), Json(new { decision = "deny", reason = "not on a Friday" }), ct))
        {
            Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        }

        await serve.WaitForStatusAsync(approved, "completed");
        var events = await serve.EventsAsync(approved);
        var ran = Assert.Single(OfType(events, "tool_completed"));
        Assert.Equal("success", ran.GetProperty("outcome").GetString());
        Assert.Contains("approved-run", ran.GetProperty("result").GetString(), StringComparison.Ordinal);
        Assert.Contains(OfType(events, "model_called"), e => e.TryGetProperty("text", out var text) && text.GetString() == "Approved and ran.");

        await serve.WaitForStatusAsync(denied, "completed");
        events = await serve.EventsAsync(denied);
        Assert.Empty(OfType(events, "tool_started"));
        Assert.Contains(OfType(events, "model_called"), e => e.TryGetProperty("text", out var text) && text.GetString() == "Understood: not on a Friday.");
        Assert.DoesNotContain(waiting[denied], JsonDocument.Parse(await client.GetStringAsync(U("v1/approvals"), ct)).RootElement.EnumerateArray().Select(a => a.GetProperty("ref").GetString()));
    }

    [Fact]
    public async Task Events_StreamDroppedAndResumedWithLastEventId_EveryJournalEventOnceInOrder()
    {
        serve.Script("task-stream", (_, tools) => tools switch
        {
            0 => new FakeReply { Message = "Writing a file first.", Calls = [new FakeToolCall("write_file", JsonSerializer.Serialize(new { path = "a.txt", content = "a" }))], Delay = TimeSpan.FromSeconds(1) },
            1 => new FakeReply { Message = "And a second one.", Calls = [new FakeToolCall("write_file", JsonSerializer.Serialize(new { path = "b.txt", content = "b" }))], Delay = TimeSpan.FromSeconds(1) },
            _ => new FakeReply { Message = "Both files are written.", Delay = TimeSpan.FromSeconds(1) },
        });
        var id = await serve.StartSessionAsync("task-stream: write two files", serve.NewWorkspace("stream"), "workspace-write");

        List<SseFrame> first;
        await using (var stream = await SseReader.OpenAsync(serve, id))
        {
            // The connection drops midway, after the first tool call.
            first = await stream.ReadUntilAsync(f => f.Event == "tool_completed");
        }

        var lastId = first.Last(f => f.Id is not null).Id!;
        List<SseFrame> second;
        await using (var stream = await SseReader.OpenAsync(serve, id, lastId))
        {
            second = await stream.ReadUntilAsync(f => f.Event == "session_ended");
        }

        // Each model turn's text streams as it is generated, before the turn is journaled: live frames without an id.
        var deltas = first.Concat(second).Where(f => f.Event == "text_delta").ToList();
        Assert.NotEmpty(deltas);
        Assert.All(deltas, f => Assert.Null(f.Id));
        Assert.All(deltas, f => Assert.Equal(id, JsonDocument.Parse(f.Data).RootElement.GetProperty("session_id").GetString()));
        Assert.Contains("Both files are written.", string.Concat(second.Where(f => f.Event == "text_delta").Select(f => JsonDocument.Parse(f.Data).RootElement.GetProperty("text").GetString())), StringComparison.Ordinal);
        await serve.WaitForStatusAsync(id, "completed");
        AssertSameAsJournal([.. first, .. second], await serve.EventsTextAsync(id));
    }

    /// <summary>The journal frames of the streams, joined, are the NDJSON journal line for line: every event once, in order, same JSON.</summary>
    internal static void AssertSameAsJournal(IEnumerable<SseFrame> frames, string ndjson)
    {
        var journal = ndjson.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var streamed = frames.Where(f => f.Id is not null).ToList();
        Assert.Equal(journal, streamed.Select(f => f.Data));
        Assert.Equal(Enumerable.Range(1, journal.Length).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)), streamed.Select(f => f.Id));
        Assert.All(streamed, f => Assert.Equal(JsonDocument.Parse(f.Data).RootElement.GetProperty("type").GetString(), f.Event));
    }

    [Fact]
    public async Task Cli_SameStore_ListsTheHttpSessionAndItsApprovalWakesTheServerRun()
    {
        serve.Script("task-cli", (_, tools) => tools == 0 ? FakeReply.ToolCall("shell", Shell("echo from-cli-approval")) : FakeReply.Text("The CLI approved it."));
        var id = await serve.StartSessionAsync("task-cli: run it", serve.NewWorkspace("cli"), "ask", principal: "ops");
        using var ops = serve.Client("ops");
        // Listed while it runs, then again once it waits: the second listing folds only what was appended in between.
        await ops.GetStringAsync(U("v1/sessions"), TestContext.Current.CancellationToken);
        var session = await serve.WaitForStatusAsync(id, "awaiting_approval");
        var reference = $"{id}:{session.GetProperty("pending_approvals")[0].GetProperty("call_id").GetString()}";

        var listed = (await serve.RunAsync(null, "sessions", "list", "--json", "--store", serve.StorePath)).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var line = Assert.Single(listed, l => JsonDocument.Parse(l).RootElement.GetProperty("id").GetString() == id);
        Assert.Equal("awaiting_approval", JsonDocument.Parse(line).RootElement.GetProperty("status").GetString());
        using var mineResponse = await ops.GetAsync(U("v1/sessions?limit=2000"), TestContext.Current.CancellationToken);
        using var shown = await ops.GetAsync(U($"v1/sessions/{id}"), TestContext.Current.CancellationToken);
        Assert.Equal(shown.Content.Headers.ContentType, mineResponse.Content.Headers.ContentType);
        var mine = JsonDocument.Parse(await mineResponse.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).RootElement;
        Assert.Equal(line, Assert.Single(mine.EnumerateArray()).GetRawText());
        using var owner = serve.Client();
        var all = JsonDocument.Parse(await owner.GetStringAsync(U("v1/sessions?limit=2000"), TestContext.Current.CancellationToken)).RootElement;
        Assert.Equal(line, all.EnumerateArray().Single(s => s.GetProperty("id").GetString() == id).GetRawText());

        await serve.RunAsync(new Dictionary<string, string> { ["REIN_TOKEN"] = serve.Tokens["ops"] }, "approvals", "approve", reference, "--as", "ops", "--store", serve.StorePath);

        // Nobody told the server: its watcher sees the answer in the store and resumes the run.
        await serve.WaitForStatusAsync(id, "completed");
        var events = await serve.EventsAsync(id);
        Assert.Equal("ops", OfType(events, "approval_decided").Single().GetProperty("by").GetString());
        Assert.Equal("success", OfType(events, "tool_completed").Single().GetProperty("outcome").GetString());
        Assert.Contains(OfType(events, "model_called"), e => e.TryGetProperty("text", out var text) && text.GetString() == "The CLI approved it.");
    }
}
