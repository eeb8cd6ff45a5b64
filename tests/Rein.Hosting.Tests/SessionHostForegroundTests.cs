using Rein.Engine;
using Rein.Hosting.Composition;
using Rein.Hosting.Configuration;
using Rein.Hosting.Sessions;
using Rein.Journal;
using SessionBusyException = Rein.Hosting.Sessions.SessionBusyException;

namespace Rein.Hosting.Tests;

/// <summary>A caller running a session in its own foreground through the host, as the CLI does.</summary>
public sealed class SessionHostForegroundTests : IDisposable
{
    private const string WriteNotes = """{"turns":[{"tool_calls":[{"name":"write_file","arguments":{"path":"notes.txt","content":"hello"}}]},{"text":"written"},{"text":"again, done"}]}""";

    private readonly HostingTestbed _bed = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => _bed.Dispose();

    [Fact]
    public async Task OpenAsync_ForegroundRunThatAsks_AsksOnTheGivenChannelAndTheHostRefusesASecondRunnerMeanwhile()
    {
        await using var host = _bed.CreateHost();
        var updates = new List<AgentUpdate>();
        var asked = new List<ApprovalRequested>();
        var refusals = new List<Exception>();
        SessionHandle? session = null;
        var options = Options(new SettingsValues { Model = _bed.Script(WriteNotes), Mode = "ask" }) with
        {
            OnUpdate = updates.Add,
            Approvals = composition => new ScriptedChannel(async request =>
            {
                asked.Add(request);
                // While the foreground run waits for its person, nobody else may run the session: not here, not in-process.
                refusals.Add(await Assert.ThrowsAsync<SessionBusyException>(async () => await host.SendAsync(session!.SessionId!, new SendMessageRequest("me too"), Ct)));
                refusals.Add(await Assert.ThrowsAsync<SessionBusyException>(async () => await host.ContinueAsync(session!.SessionId!, Options(new SettingsValues()), Ct)));
                return new ApprovalAnswer(ApprovalDecisions.ApproveOnce, composition.Approver);
            }),
        };

        session = await host.OpenAsync(options, Ct);
        SessionRunOutcome outcome;
        await using (session)
        {
            Assert.Null(session.SessionId);
            outcome = await session.RunAsync("write notes", Ct);
        }

        var sessionId = Assert.IsType<string>(session.SessionId);
        Assert.Equal(StopReason.Completed, outcome.Stopped?.Reason);
        Assert.Equal("write_file", Assert.Single(asked).Tool);
        Assert.Equal(2, refusals.Count);
        Assert.IsType<SessionStarted>(Assert.IsType<EventAppended>(updates[0]).Recorded.Event);
        Assert.Contains(updates, u => u is EventAppended { Recorded.Event: ApprovalDecided { Decision: ApprovalDecisions.ApproveOnce } });
        Assert.IsType<RunStopped>(updates[^1]);
        Assert.Equal("hello", File.ReadAllText(Path.Combine(_bed.Workspace, "notes.txt")));
        // Let go once disposed: the host runs it now.
        await host.SendAsync(sessionId, new SendMessageRequest("again"), Ct);
        Assert.Equal(SessionStatus.Completed, (await host.WaitAsync(sessionId, Ct)).Status);
    }

    [Fact]
    public async Task ContinueAsync_FlagsThatChangeTheRecordedSettings_JournalsRunSettingsChangedAndRuns()
    {
        await using var host = _bed.CreateHost();
        var model = _bed.Script(WriteNotes);
        string sessionId;
        await using (var first = await host.OpenAsync(Options(new SettingsValues { Model = model, Mode = "workspace-write" }), Ct))
        {
            await first.StartAsync(origin: null, Ct);
            sessionId = first.SessionId!;
        }

        var recorded = RecordedRunSettings.Latest(await _bed.JournalAsync(sessionId));
        var flags = new SettingsValues { MaxSteps = 7 };
        var options = Options(recorded!.Overlay(flags)) with { Flags = flags, Recorded = recorded };
        SessionRunOutcome outcome;
        await using (var resumed = await host.ContinueAsync(sessionId[..12], options, Ct))
        {
            outcome = await resumed.RunAsync("write notes", Ct);
        }

        var changed = Assert.Single((await _bed.JournalAsync(sessionId)).Select(e => e.Event).OfType<RunSettingsChanged>());
        Assert.Equal(["max_steps"], changed.Changed);
        Assert.Equal(7, changed.Settings.MaxSteps);
        Assert.Equal(StopReason.Completed, outcome.Stopped?.Reason);
    }

    private SessionRunOptions Options(SettingsValues flags) => new()
    {
        Settings = SettingsResolver.Resolve(flags with { Store = _bed.StorePath }, _bed.Workspace, _bed.Read),
    };

    private sealed class ScriptedChannel(Func<ApprovalRequested, Task<ApprovalAnswer?>> answer) : IApprovalChannel
    {
        public async ValueTask<ApprovalAnswer?> AskAsync(ApprovalRequested request, CancellationToken cancellationToken = default) => await answer(request);
    }
}
