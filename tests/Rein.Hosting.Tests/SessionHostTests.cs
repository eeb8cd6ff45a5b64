using Rein.Engine;
using Rein.Guard.Approvals;
using Rein.Hosting.Sessions;
using Rein.Identity;
using Rein.Journal;
using SessionBusyException = Rein.Hosting.Sessions.SessionBusyException;

namespace Rein.Hosting.Tests;

public sealed class SessionHostTests : IDisposable
{
    private const string WriteNotes = """{"turns":[{"tool_calls":[{"name":"write_file","arguments":{"path":"notes.txt","content":"hello"}}]},{"text":"written"}]}""";

    // Long enough to be cancelled or found busy however slow the machine; cancelling it ends the test early.
    private const string Sleep = """{"turns":[{"tool_calls":[{"name":"shell","arguments":{"command":"sleep 60"}}]},{"text":"slept"}]}""";

    private readonly HostingTestbed _bed = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => _bed.Dispose();

    [Fact]
    public async Task StartAsync_ScriptedModel_RunsInBackgroundUntilCompleted()
    {
        var host = _bed.CreateHost(o => o.Model = _bed.Script(WriteNotes));

        var ticket = await host.StartAsync(new StartSessionRequest("write notes", _bed.Workspace) { Mode = "workspace-write", Origin = "test" }, Ct);
        var stopped = await host.WaitAsync(ticket.Id, Ct);

        Assert.Equal(SessionStatus.Running, ticket.Status);
        Assert.Equal(SessionStatus.Completed, stopped.Status);
        Assert.Equal("hello", File.ReadAllText(Path.Combine(_bed.Workspace, "notes.txt")));
        var started = Assert.IsType<SessionStarted>((await _bed.JournalAsync(ticket.Id))[0].Event);
        Assert.Equal("test", started.Origin);
    }

    [Fact]
    public async Task SendAsync_WhileRunning_ThrowsBusyAndCancelStopsTheRun()
    {
        var host = _bed.CreateHost(o => o.Model = _bed.Script(Sleep));
        var ticket = await host.StartAsync(new StartSessionRequest("sleep", _bed.Workspace) { Mode = "full-auto" }, Ct);

        await Assert.ThrowsAsync<SessionBusyException>(async () => await host.SendAsync(ticket.Id, new SendMessageRequest("again"), Ct));
        await Assert.ThrowsAsync<SessionBusyException>(async () => await host.RewindAsync(ticket.Id, new RewindRequest(), Ct));
        Assert.True(await host.CancelAsync(ticket.Id, Ct));
        var stopped = await host.WaitAsync(ticket.Id, Ct);

        Assert.Equal(SessionStatus.Suspended, stopped.Status);
        Assert.False(await host.CancelAsync(ticket.Id, Ct));
    }

    [Fact]
    public async Task SendAsync_RunEndedButItsStopHookStillRuns_WaitsForItAndContinues()
    {
        // The journal says completed while the runner is still in its Stop hook: a client that saw the end may send at once.
        Directory.CreateDirectory(_bed.Combine("config"));
        File.WriteAllText(_bed.Combine("config", "settings.json"), """{"hooks": {"Stop": [{"hooks": [{"type": "command", "command": "sleep 2"}]}]}}""");
        var host = _bed.CreateHost(o => o.Model = _bed.Script("""{"turns":[{"tool_calls":[{"name":"write_file","arguments":{"path":"notes.txt","content":"hello"}}]},{"text":"written"},{"text":"again, done"}]}"""));
        var ticket = await host.StartAsync(new StartSessionRequest("write notes", _bed.Workspace) { Mode = "workspace-write" }, Ct);
        using (var store = _bed.OpenStore())
        {
            while ((await store.GetAsync(ticket.Id, Ct))!.Status == SessionStatus.Running)
            {
                await Task.Delay(20, Ct);
            }
        }

        var sent = await host.SendAsync(ticket.Id, new SendMessageRequest("again"), Ct);
        var stopped = await host.WaitAsync(ticket.Id, Ct);

        Assert.Equal(SessionStatus.Running, sent.Status);
        Assert.Equal(SessionStatus.Completed, stopped.Status);
        Assert.Equal(2, (await _bed.JournalAsync(ticket.Id)).Count(e => e.Event is UserMessage));
    }

    [Fact]
    public async Task DisposeAsync_RunGoingOn_JournalsItSuspendedBeforeReturning()
    {
        var host = _bed.CreateHost(o => o.Model = _bed.Script(Sleep));
        var ticket = await host.StartAsync(new StartSessionRequest("sleep", _bed.Workspace) { Mode = "full-auto" }, Ct);

        await host.DisposeAsync();

        Assert.Equal(SessionStatus.Suspended, (await _bed.OpenStore().GetAsync(ticket.Id, Ct))!.Status);
    }

    [Fact]
    public async Task SendAsync_SessionHeldByAnotherWriter_ThrowsBusy()
    {
        var host = _bed.CreateHost(o => o.Model = _bed.Script("""{"turns":[{"text":"one"},{"text":"two"}]}"""));
        var ticket = await host.StartAsync(new StartSessionRequest("first", _bed.Workspace), Ct);
        await host.WaitAsync(ticket.Id, Ct);

        await using (await _bed.OpenStore().AcquireWriterAsync(ticket.Id, Ct))
        {
            await Assert.ThrowsAsync<SessionBusyException>(async () => await host.SendAsync(ticket.Id, new SendMessageRequest("second"), Ct));
        }

        await host.SendAsync(ticket.Id, new SendMessageRequest("second"), Ct);
        Assert.Equal(SessionStatus.Completed, (await host.WaitAsync(ticket.Id, Ct)).Status);
        var texts = (await _bed.JournalAsync(ticket.Id)).Select(e => e.Event).OfType<ModelCalled>().Select(m => m.Text);
        Assert.Equal(["one", "two"], texts);
    }

    [Fact]
    public async Task SendAsync_UnknownSession_ThrowsNotFound()
    {
        var host = _bed.CreateHost();

        await Assert.ThrowsAsync<SessionNotFoundException>(async () => await host.SendAsync("no-such-session", new SendMessageRequest("hi"), Ct));
    }

    [Fact]
    public async Task AnswerApprovalAsync_UnknownDecision_RefusedAndTheCallStillWaits()
    {
        var host = _bed.CreateHost(o => o.Model = _bed.Script(WriteNotes));
        var ticket = await host.StartAsync(new StartSessionRequest("write notes", _bed.Workspace) { Mode = "ask" }, Ct);
        Assert.Equal(SessionStatus.AwaitingApproval, (await host.WaitAsync(ticket.Id, Ct)).Status);
        var pending = Assert.Single(await new ApprovalInbox(_bed.OpenStore()).ListAsync(Ct));

        var error = await Assert.ThrowsAsync<ArgumentException>(async () => await host.AnswerApprovalAsync(new AnswerApprovalRequest(pending.Reference, "approve", LocalUser.Name), Ct));

        Assert.Contains("approve_once", error.Message, StringComparison.Ordinal);
        Assert.Single(await new ApprovalInbox(_bed.OpenStore()).ListAsync(Ct));
        Assert.DoesNotContain((await _bed.JournalAsync(ticket.Id)).Select(e => e.Event), e => e is ApprovalDecided);
    }

    [Fact]
    public async Task AnswerApprovalAsync_AwaitingSession_ResumesItToTheEnd()
    {
        var host = _bed.CreateHost(o => o.Model = _bed.Script(WriteNotes));
        var ticket = await host.StartAsync(new StartSessionRequest("write notes", _bed.Workspace) { Mode = "ask" }, Ct);
        Assert.Equal(SessionStatus.AwaitingApproval, (await host.WaitAsync(ticket.Id, Ct)).Status);
        Assert.False(File.Exists(Path.Combine(_bed.Workspace, "notes.txt")));
        var pending = Assert.Single(await new ApprovalInbox(_bed.OpenStore()).ListAsync(Ct));

        var outcome = await host.AnswerApprovalAsync(new AnswerApprovalRequest(pending.Reference, ApprovalDecisions.ApproveOnce, LocalUser.Name), Ct);
        var stopped = await host.WaitAsync(ticket.Id, Ct);

        Assert.True(outcome.Resumed);
        Assert.Equal(ApprovalDecisions.ApproveOnce, outcome.Decision);
        Assert.Equal(SessionStatus.Completed, stopped.Status);
        Assert.Equal("hello", File.ReadAllText(Path.Combine(_bed.Workspace, "notes.txt")));
    }

    [Fact]
    public async Task ResumeAnsweredAsync_ApprovedThroughTheStoreByAnotherProcess_WakesTheSession()
    {
        var host = _bed.CreateHost(o => o.Model = _bed.Script(WriteNotes));
        var ticket = await host.StartAsync(new StartSessionRequest("write notes", _bed.Workspace) { Mode = "ask" }, Ct);
        await host.WaitAsync(ticket.Id, Ct);
        Assert.Empty(await host.ResumeAnsweredAsync(Ct));

        // What `rein approvals approve` does in another terminal.
        var inbox = new ApprovalInbox(_bed.OpenStore());
        var pending = Assert.Single(await inbox.ListAsync(Ct));
        await inbox.AnswerAsync(pending, new ApprovalAnswer(ApprovalDecisions.ApproveOnce, LocalUser.Name, null), new ApprovalOptions { Principal = LocalUser.Name }, Ct);
        var resumed = await host.ResumeAnsweredAsync(Ct);
        var stopped = await host.WaitAsync(ticket.Id, Ct);

        Assert.Equal([ticket.Id], resumed);
        Assert.Equal(SessionStatus.Completed, stopped.Status);
        Assert.Equal("hello", File.ReadAllText(Path.Combine(_bed.Workspace, "notes.txt")));
    }

    [Fact]
    public async Task ResumeAnsweredAsync_AnsweringProcessStillHoldsTheSession_ResumesItOnTheNextScan()
    {
        var host = _bed.CreateHost(o => o.Model = _bed.Script(WriteNotes));
        var ticket = await host.StartAsync(new StartSessionRequest("write notes", _bed.Workspace) { Mode = "ask" }, Ct);
        await host.WaitAsync(ticket.Id, Ct);
        Assert.Empty(await host.ResumeAnsweredAsync(Ct));
        using var store = _bed.OpenStore();
        var inbox = new ApprovalInbox(store);
        await inbox.AnswerAsync(Assert.Single(await inbox.ListAsync(Ct)), new ApprovalAnswer(ApprovalDecisions.ApproveOnce, LocalUser.Name, null), new ApprovalOptions { Principal = LocalUser.Name }, Ct);

        // The answering process has not let go of the session yet when the host first looks.
        var lease = await store.AcquireWriterAsync(ticket.Id, Ct);
        Assert.Empty(await host.ResumeAnsweredAsync(Ct));
        await lease.DisposeAsync();
        var resumed = await host.ResumeAnsweredAsync(Ct);
        var stopped = await host.WaitAsync(ticket.Id, Ct);

        Assert.Equal([ticket.Id], resumed);
        Assert.Equal(SessionStatus.Completed, stopped.Status);
    }

    [Fact]
    public async Task WatchAsync_FromASequence_YieldsStoredThenLiveEventsEachOnceInOrderWithTheRunsText()
    {
        var host = _bed.CreateHost(o => o.Model = _bed.Script(WriteNotes));
        var ticket = await host.StartAsync(new StartSessionRequest("write notes", _bed.Workspace) { Mode = "ask" }, Ct);
        await host.WaitAsync(ticket.Id, Ct);
        var stored = await _bed.JournalAsync(ticket.Id);
        const long after = 2;
        var seen = new List<AgentUpdate>();
        var watching = new TaskCompletionSource();
        var watch = Task.Run(
            async () =>
            {
                await foreach (var update in host.WatchAsync(ticket.Id, after, Ct))
                {
                    seen.Add(update);
                    // Subscribed before the first stored event is read: the live part cannot be missed.
                    watching.TrySetResult();
                    if (update is EventAppended { Recorded: { Event: SessionEnded } ended } && ended.Sequence > stored[^1].Sequence)
                    {
                        break;
                    }
                }
            },
            Ct);
        await watching.Task.WaitAsync(Ct);

        // The rest is journaled while the watch goes on.
        var pending = Assert.Single(await new ApprovalInbox(_bed.OpenStore()).ListAsync(Ct));
        await host.AnswerApprovalAsync(new AnswerApprovalRequest(pending.Reference, ApprovalDecisions.ApproveOnce, LocalUser.Name), Ct);
        await host.WaitAsync(ticket.Id, Ct);
        await watch.WaitAsync(Ct);

        var all = await _bed.JournalAsync(ticket.Id);
        var sequences = seen.OfType<EventAppended>().Select(e => e.Recorded.Sequence).ToList();
        Assert.Equal(all.Where(e => e.Sequence > after).Select(e => e.Sequence), sequences);
        // The streamed answer comes before the model call that journals it.
        var text = seen.FindIndex(u => u is TextDelta { Text: "written" });
        var answered = seen.FindIndex(u => u is EventAppended { Recorded.Event: ModelCalled { Text: "written" } });
        Assert.InRange(text, 0, answered - 1);
    }

    [Fact]
    public async Task WatchAsync_WatchEndsAfterTheRun_HostKeepsNoFeedForTheSession()
    {
        var host = _bed.CreateHost(o => o.Model = _bed.Script("""{"turns":[{"text":"done"}]}"""));
        var ticket = await host.StartAsync(new StartSessionRequest("hi", _bed.Workspace), Ct);
        await host.WaitAsync(ticket.Id, Ct);
        using var watching = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var events = (await _bed.JournalAsync(ticket.Id)).Count;
        var count = 0;

        await foreach (var update in host.WatchAsync(ticket.Id, 0, watching.Token))
        {
            Assert.Equal(1, host.Feeds.Count);
            if (++count == events)
            {
                await watching.CancelAsync();
            }
        }

        Assert.Equal(0, host.Feeds.Count);
    }

    [Theory]
    [InlineData(false, ToolOutcome.Error)]
    [InlineData(null, ToolOutcome.Success)]
    public async Task StartAsync_MemoryOption_DecidesWhetherTheSessionHasTheRememberTool(bool? enabled, ToolOutcome expected)
    {
        var host = _bed.CreateHost(o =>
        {
            o.Model = _bed.Script("""{"turns":[{"tool_calls":[{"name":"remember","arguments":{"text":"tabs, not spaces"}}]},{"text":"noted"}]}""");
            o.Memory.Enabled = enabled;
        });

        var ticket = await host.StartAsync(new StartSessionRequest("remember my style", _bed.Workspace), Ct);
        await host.WaitAsync(ticket.Id, Ct);

        var completed = (await _bed.JournalAsync(ticket.Id)).Select(e => e.Event).OfType<ToolCompleted>().Single();
        Assert.True(expected == completed.Outcome, completed.Result);
    }

    [Fact]
    public async Task WatchAsync_Cancelled_Ends()
    {
        var host = _bed.CreateHost(o => o.Model = _bed.Script("""{"turns":[{"text":"done"}]}"""));
        var ticket = await host.StartAsync(new StartSessionRequest("hi", _bed.Workspace), Ct);
        await host.WaitAsync(ticket.Id, Ct);
        using var watching = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var count = 0;

        await foreach (var update in host.WatchAsync(ticket.Id, 0, watching.Token))
        {
            if (++count == (await _bed.JournalAsync(ticket.Id)).Count)
            {
                await watching.CancelAsync();
            }
        }

        Assert.Equal((await _bed.JournalAsync(ticket.Id)).Count, count);
    }

    [Fact]
    public async Task RecoverAsync_SessionOfAKilledProcess_ReportsTheStartedCallInterruptedWithoutRunningItAgain()
    {
        var model = _bed.Script("""{"turns":[{"tool_calls":[{"name":"shell","arguments":{"command":"echo ran >> ran.txt"}}]},{"text":"recovered"}]}""");
        var store = _bed.OpenStore();
        var sessionId = Guid.CreateVersion7().ToString("N");
        var arguments = System.Text.Json.JsonDocument.Parse("""{"command":"echo ran >> ran.txt"}""").RootElement;
        // The journal a process killed while the shell call ran leaves behind: the call started, no result, nobody holds the session.
        using (var writer = await SessionWriter.StartAsync(store, new SessionStarted(sessionId, _bed.Workspace, model, Principal: LocalUser.Name), Ct))
        {
            await writer.AppendAsync(new UserMessage("run it"), Ct);
            await writer.AppendAsync(new ModelCalled(1, model, null, [new ModelToolCall("c1", "shell", arguments)], "tool_calls", new TokenUsage(10, 5), 1), Ct);
            await writer.AppendAsync(new ToolCallProposed("c1", "shell", arguments), Ct);
            await writer.AppendAsync(new ToolStarted("c1", "shell"), Ct);
        }

        Assert.Equal(SessionStatus.Interrupted, (await store.GetAsync(sessionId, Ct))!.Status);
        var host = _bed.CreateHost(o => o.Mode = "full-auto");

        var resumed = await host.RecoverAsync(Ct);
        var stopped = await host.WaitAsync(sessionId, Ct);

        Assert.Equal([sessionId], resumed);
        Assert.Equal(SessionStatus.Completed, stopped.Status);
        Assert.False(File.Exists(Path.Combine(_bed.Workspace, "ran.txt")));
        var completed = Assert.Single((await _bed.JournalAsync(sessionId)).Select(e => e.Event).OfType<ToolCompleted>());
        Assert.Equal(ToolOutcome.Interrupted, completed.Outcome);
    }

    [Fact]
    public async Task RecoverAsync_SessionAwaitingApproval_KeepsWaiting()
    {
        var first = _bed.CreateHost(o => o.Model = _bed.Script(WriteNotes));
        var ticket = await first.StartAsync(new StartSessionRequest("write notes", _bed.Workspace) { Mode = "ask" }, Ct);
        await first.WaitAsync(ticket.Id, Ct);

        var resumed = await _bed.CreateHost().RecoverAsync(Ct);

        Assert.Empty(resumed);
        Assert.Equal(SessionStatus.AwaitingApproval, (await _bed.OpenStore().GetAsync(ticket.Id, Ct))!.Status);
    }

    [Fact]
    public async Task RecoverAsync_HostSessionAwaitingApprovalAnsweredByAnotherProcess_NewHostResumesIt()
    {
        var first = _bed.CreateHost(o => o.Model = _bed.Script(WriteNotes));
        var ticket = await first.StartAsync(new StartSessionRequest("write notes", _bed.Workspace) { Mode = "ask", Origin = "http" }, Ct);
        await first.WaitAsync(ticket.Id, Ct);
        var second = _bed.CreateHost();
        Assert.Empty(await second.RecoverAsync(Ct));

        // What `rein approvals approve` does in another terminal, while only the new host runs.
        var inbox = new ApprovalInbox(_bed.OpenStore());
        var pending = Assert.Single(await inbox.ListAsync(Ct));
        await inbox.AnswerAsync(pending, new ApprovalAnswer(ApprovalDecisions.ApproveOnce, LocalUser.Name, null), new ApprovalOptions { Principal = LocalUser.Name }, Ct);
        var resumed = await second.ResumeAnsweredAsync(Ct);
        var stopped = await second.WaitAsync(ticket.Id, Ct);

        Assert.Equal([ticket.Id], resumed);
        Assert.Equal(SessionStatus.Completed, stopped.Status);
        Assert.Equal("hello", File.ReadAllText(Path.Combine(_bed.Workspace, "notes.txt")));
    }

    [Fact]
    public async Task RecoverAsync_TerminalSessionAwaitingApprovalAnswered_StaysTheTerminals()
    {
        var model = _bed.Script(WriteNotes);
        var store = _bed.OpenStore();
        var sessionId = Guid.CreateVersion7().ToString("N");
        var arguments = System.Text.Json.JsonDocument.Parse("""{"path":"notes.txt","content":"hello"}""").RootElement;
        // What `rein run` leaves when it stops for an approval: no origin; its user resumes it with rein sessions resume.
        using (var writer = await SessionWriter.StartAsync(store, new SessionStarted(sessionId, _bed.Workspace, model, Principal: LocalUser.Name), Ct))
        {
            await writer.AppendAsync(new UserMessage("write notes"), Ct);
            await writer.AppendAsync(new ModelCalled(1, model, null, [new ModelToolCall("c1", "write_file", arguments)], "tool_calls", new TokenUsage(10, 5), 1), Ct);
            await writer.AppendAsync(new ToolCallProposed("c1", "write_file", arguments), Ct);
            await writer.AppendAsync(new ApprovalRequested("c1", "write_file", arguments, "asks"), Ct);
            await writer.AppendAsync(new SessionSuspended(StopReason.AwaitingApproval), Ct);
        }

        Assert.Equal(SessionStatus.AwaitingApproval, (await store.GetAsync(sessionId, Ct))!.Status);
        var host = _bed.CreateHost(o => o.Model = model);
        Assert.Empty(await host.RecoverAsync(Ct));
        var inbox = new ApprovalInbox(store);
        await inbox.AnswerAsync(Assert.Single(await inbox.ListAsync(Ct)), new ApprovalAnswer(ApprovalDecisions.ApproveOnce, LocalUser.Name, null), new ApprovalOptions { Principal = LocalUser.Name }, Ct);

        Assert.Empty(await host.ResumeAnsweredAsync(Ct));
        Assert.False(File.Exists(Path.Combine(_bed.Workspace, "notes.txt")));
    }
}
