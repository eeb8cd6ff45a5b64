using System.Net;
using System.Text;
using System.Text.Json;
using Rein.Testing.FakeProviders;

namespace Rein.Server.Tests.Api;

/// <summary>Sessions outlive the server: <c>kill -9</c> of a real <c>rein serve</c>, then a new one on the same store.</summary>
[Trait("Category", "e2e")]
public sealed class ServeRestartTests(LiveServe serve) : IClassFixture<LiveServe>
{
    private static IEnumerable<JsonElement> OfType(List<JsonElement> events, string type) => events.Where(e => e.GetProperty("type").GetString() == type);

    [Fact]
    public async Task KillAndRestart_WaitingAndMidToolSessions_ApprovalStillWaitsCallReportedInterruptedStreamResumes()
    {
        var ct = TestContext.Current.CancellationToken;
        serve.Script("task-waits", (_, tools) => tools == 0
            ? FakeReply.ToolCall("shell", JsonSerializer.Serialize(new { command = "echo approved-after-restart" }))
            : FakeReply.Text("Ran it after the restart."));
        var busyWorkspace = serve.NewWorkspace("busy");
        var marker = Path.Combine(busyWorkspace, "marker.txt");
        serve.Script("task-busy", (request, tools) => tools == 0
            ? FakeReply.ToolCall("shell", JsonSerializer.Serialize(new { command = "echo ran >> marker.txt && sleep 120" }))
            : FakeReply.Text(request.Body.Contains("interrupted", StringComparison.OrdinalIgnoreCase) ? "The command was interrupted; I will not run it again." : "Done."));
        // The model call the first server waits on never answers; the new server's call is answered at once.
        var thinking = 0;
        serve.Script("task-thinks", (_, _) => Interlocked.Increment(ref thinking) == 1
            ? new FakeReply { Message = "Never seen.", Delay = TimeSpan.FromMinutes(5) }
            : FakeReply.Text("Answered after the restart."));
        var waits = await serve.StartSessionAsync("task-waits: run it", serve.NewWorkspace("waits"), "ask");
        var waitsForCli = await serve.StartSessionAsync("task-waits: run it too", serve.NewWorkspace("waits-cli"), "ask", principal: "ops");
        await serve.WaitForStatusAsync(waits, "awaiting_approval");
        await serve.WaitForStatusAsync(waitsForCli, "awaiting_approval");
        var busy = await serve.StartSessionAsync("task-busy: run the long command", busyWorkspace, "full-auto");
        var thinks = await serve.StartSessionAsync("task-thinks: think hard", serve.NewWorkspace("thinks"), "ask");
        while (Volatile.Read(ref thinking) == 0)
        {
            await Task.Delay(100, ct);
        }

        List<SseFrame> before;
        await using (var stream = await SseReader.OpenAsync(serve, busy))
        {
            before = await stream.ReadUntilAsync(f => f.Event == "tool_started");
            while (!File.Exists(marker))
            {
                await Task.Delay(100, ct);
            }

            await serve.KillServerAsync();
        }

        await serve.StartServerAsync();

        // (b) The new server's recovery resumes the session: the cut-off call is reported interrupted, not run again.
        await serve.WaitForStatusAsync(busy, "completed");
        var events = await serve.EventsAsync(busy);
        var callId = Assert.Single(OfType(events, "tool_started")).GetProperty("call_id").GetString();
        var completed = Assert.Single(OfType(events, "tool_completed"));
        Assert.Equal(callId, completed.GetProperty("call_id").GetString());
        Assert.Equal("interrupted", completed.GetProperty("outcome").GetString());
        Assert.Equal(1, OfType(events, "session_resumed").Last().GetProperty("interrupted_calls").GetInt32());
        Assert.Contains(OfType(events, "model_called"), e => e.TryGetProperty("text", out var text) && text.GetString()!.StartsWith("The command was interrupted", StringComparison.Ordinal));
        Assert.Equal(["ran"], File.ReadAllLines(marker));

        // (b') The session cut off in the middle of a model call asks the model again and ends.
        await serve.WaitForStatusAsync(thinks, "completed");
        var thought = await serve.EventsAsync(thinks);
        Assert.Equal(["Answered after the restart."], OfType(thought, "model_called").Select(e => e.GetProperty("text").GetString()));
        Assert.Equal(0, Assert.Single(OfType(thought, "session_resumed")).GetProperty("interrupted_calls").GetInt32());

        // An SSE client that reconnects to the new server with its Last-Event-ID misses nothing and sees nothing twice.
        List<SseFrame> after;
        await using (var stream = await SseReader.OpenAsync(serve, busy, before.Last(f => f.Id is not null).Id))
        {
            after = await stream.ReadUntilAsync(f => f.Event == "session_ended");
        }

        ServeSessionTests.AssertSameAsJournal([.. before, .. after], await serve.EventsTextAsync(busy));

        // (a) The sessions waiting for approval still wait, are listed, and complete once approved: over HTTP, or with the
        // CLI in another process (the new server never ran that session before, yet it notices the answer and resumes it).
        Assert.Equal("awaiting_approval", (await serve.SessionAsync(waits)).GetProperty("status").GetString());
        using var client = serve.Client();
        var inbox = JsonDocument.Parse(await client.GetStringAsync(new Uri("v1/approvals", UriKind.Relative), ct)).RootElement;
        var reference = Assert.Single(inbox.EnumerateArray(), a => a.GetProperty("session_id").GetString() == waits).GetProperty("ref").GetString()!;
        var cliReference = Assert.Single(inbox.EnumerateArray(), a => a.GetProperty("session_id").GetString() == waitsForCli).GetProperty("ref").GetString()!;
        await serve.RunAsync(new Dictionary<string, string> { ["REIN_TOKEN"] = serve.Tokens["ops"] }, "approvals", "approve", cliReference, "--as", "ops", "--store", serve.StorePath);
        using var answer = await client.PostAsync(new Uri($"v1/approvals/{Uri.EscapeDataString(reference)}", UriKind.Relative),
            new StringContent("""{"decision":"approve"}""", Encoding.UTF8, "application/json"), ct);
        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        foreach (var id in new[] { waits, waitsForCli })
        {
            await serve.WaitForStatusAsync(id, "completed");
            events = await serve.EventsAsync(id);
            var ran = Assert.Single(OfType(events, "tool_completed"));
            Assert.Equal("success", ran.GetProperty("outcome").GetString());
            Assert.Contains("approved-after-restart", ran.GetProperty("result").GetString(), StringComparison.Ordinal);
            Assert.Contains(OfType(events, "model_called"), e => e.TryGetProperty("text", out var text) && text.GetString() == "Ran it after the restart.");
        }
    }
}
