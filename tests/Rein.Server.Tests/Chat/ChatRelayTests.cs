using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Rein.Journal;
using Rein.Server.Chat;
using Rein.Storage.Sqlite;
using Rein.Testing;

namespace Rein.Server.Tests.Chat;

public sealed class ChatRelayTests : IDisposable
{
    private readonly TempDirectory _dir = new("rein-chat-relay");
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 1, 9, 0, 0, TimeSpan.Zero));
    private readonly InMemorySessionStore _store;
    private readonly SqliteChatStore _chats;
    private readonly RecordingSurface _surface = new();
    private readonly ChatRelay _relay;

    public ChatRelayTests()
    {
        _store = new InMemorySessionStore(_time);
        _chats = new SqliteChatStore(new SqliteSessionStoreOptions { Path = _dir.Combine("store.db") });
        _relay = new ChatRelay(_store, _chats, [_surface], Options.Create(new ChatOptions()), Options.Create(new ReinServerOptions()), NullLogger<ChatRelay>.Instance, _time);
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose()
    {
        _relay.Dispose();
        _chats.Dispose();
        _dir.Dispose();
    }

    private async Task<string> SessionAsync(params SessionEvent[] events)
    {
        var id = Guid.NewGuid().ToString("N");
        await _store.AppendAsync(id, 0, [new SessionStarted(id, _dir.Path, "scripted", Principal: "ops", Origin: "test:C1"), .. events], cancellationToken: Ct);
        await _relay.FollowAsync(id, "test:C1", Ct);
        return id;
    }

    private static ModelCalled Answer(string text) => new(1, "scripted", text, [], "stop", new TokenUsage(1, 1), 1);

    [Fact]
    public async Task Look_EachAnswerGoesOutOnce_EvenWhenLookedAtAgain()
    {
        await SessionAsync(new UserMessage("hi"), Answer("hello"), new SessionEnded(StopReason.Completed));

        await _relay.LookAsync(everyFollowed: false, Ct);
        await _relay.LookAsync(everyFollowed: false, Ct);

        Assert.Equal(["answer C1: hello"], _surface.Sent);
    }

    [Fact]
    public async Task Look_FailingUpdate_IsTriedAgainWithBackoff_ThenGivenUp_AndLaterOnesStillGo()
    {
        var id = await SessionAsync(new UserMessage("hi"), Answer("first"), new SessionEnded(StopReason.Completed));
        _surface.FailAnswers = int.MaxValue;

        await _relay.LookAsync(everyFollowed: false, Ct);
        Assert.Equal(1, _surface.Attempts);
        // Before its wait is over the update is not tried again.
        await _relay.LookAsync(everyFollowed: false, Ct);
        Assert.Equal(1, _surface.Attempts);

        for (var i = 0; i < 20 && _surface.Attempts < 8; i++)
        {
            _time.Advance(TimeSpan.FromMinutes(1));
            await _relay.LookAsync(everyFollowed: false, Ct);
        }

        Assert.Equal(8, _surface.Attempts);
        _surface.FailAnswers = 0;
        await _store.AppendAsync(id, 3 + 1, [new UserMessage("again"), Answer("second"), new SessionEnded(StopReason.Completed)], cancellationToken: Ct);
        _time.Advance(TimeSpan.FromMinutes(1));
        await _relay.LookAsync(everyFollowed: false, Ct);

        // The given-up answer is not sent again; the next one goes out.
        Assert.Equal(["answer C1: second"], _surface.Sent);
    }

    [Fact]
    public async Task Look_UpdateThatFailsOnce_GoesOutAtTheNextTry()
    {
        await SessionAsync(new UserMessage("hi"), Answer("eventually"), new SessionEnded(StopReason.Completed));
        _surface.FailAnswers = 1;

        await _relay.LookAsync(everyFollowed: false, Ct);
        Assert.Empty(_surface.Sent);
        _time.Advance(TimeSpan.FromSeconds(1));
        await _relay.LookAsync(everyFollowed: false, Ct);

        Assert.Equal(["answer C1: eventually"], _surface.Sent);
    }

    [Fact]
    public async Task Look_SubAgentsAnswer_StaysWithItsParent()
    {
        var parent = Guid.NewGuid().ToString("N");
        var child = Guid.NewGuid().ToString("N");
        await _store.AppendAsync(child, 0, [new SessionStarted(child, _dir.Path, "scripted", ParentSessionId: parent, ParentCallId: "call_1"), new UserMessage("sub"), Answer("child report"), new SessionEnded(StopReason.Completed)], cancellationToken: Ct);
        await _store.AppendAsync(parent, 0, [new SessionStarted(parent, _dir.Path, "scripted", Origin: "test:C1"), new UserMessage("go"), new SubAgentStarted("call_1", child, null, "check"), Answer("parent answer"), new SessionEnded(StopReason.Completed)], cancellationToken: Ct);
        await _relay.FollowAsync(parent, "test:C1", Ct);

        await _relay.LookAsync(everyFollowed: false, Ct);
        await _relay.LookAsync(everyFollowed: false, Ct);

        Assert.Equal(["answer C1: parent answer"], _surface.Sent);
        Assert.Contains(await _chats.ListFollowedAsync(Ct), f => f.SessionId == child);
    }

    [Fact]
    public async Task Look_ApprovalButtonsAnswerAsSoonAsTheyAreSeen()
    {
        var arguments = System.Text.Json.JsonDocument.Parse("{\"command\":\"ls\"}").RootElement.Clone();
        var id = await SessionAsync(new UserMessage("hi"), new ApprovalRequested("call_1", "shell", arguments, "asks in ask mode"), new SessionSuspended(StopReason.AwaitingApproval));
        _surface.OnApproval = token => _chats.FindApprovalMessageAsync(token, Ct).AsTask();

        await _relay.LookAsync(everyFollowed: false, Ct);

        // While the message was being sent its token was already known; afterwards it names the message.
        var during = Assert.Single(_surface.TokensSeenWhileSending);
        Assert.NotNull(during);
        Assert.Equal(id, during.SessionId);
        Assert.Equal("ref", (await _chats.FindApprovalMessageAsync(id, "call_1", Ct))!.MessageRef);
    }

    /// <summary>A surface that records what it was asked to send, and fails answers on demand.</summary>
    private sealed class RecordingSurface : IChatSurface
    {
        public List<string> Sent { get; } = [];

        public int FailAnswers { get; set; }

        public int Attempts { get; private set; }

        public string Name => "test";

        public Task SendAnswerAsync(string address, string text, CancellationToken cancellationToken)
        {
            Attempts++;
            if (FailAnswers > 0)
            {
                FailAnswers--;
                throw new HttpRequestException("the network is down");
            }

            Sent.Add($"answer {address}: {text}");
            return Task.CompletedTask;
        }

        public Task SendNoticeAsync(string address, string text, CancellationToken cancellationToken)
        {
            Sent.Add($"notice {address}: {text}");
            return Task.CompletedTask;
        }

        public Func<string, Task<Rein.Chat.ChatApprovalMessage?>>? OnApproval { get; set; }

        public List<Rein.Chat.ChatApprovalMessage?> TokensSeenWhileSending { get; } = [];

        public async Task<string> SendApprovalAsync(string address, ChatApproval approval, string token, CancellationToken cancellationToken)
        {
            if (OnApproval is not null)
            {
                TokensSeenWhileSending.Add(await OnApproval(token));
            }

            Sent.Add($"approval {address}: {approval.Tool}");
            return "ref";
        }

        public Task MarkApprovalAsync(string messageRef, ChatApproval approval, string outcome, CancellationToken cancellationToken)
        {
            Sent.Add($"mark {messageRef}: {outcome}");
            return Task.CompletedTask;
        }

        public Task<string?> ShowProgressAsync(string address, string? progressRef, string text, CancellationToken cancellationToken) => Task.FromResult<string?>(null);
    }
}
