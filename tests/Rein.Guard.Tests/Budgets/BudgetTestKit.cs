using System.Text.Json;
using Microsoft.Extensions.AI;
using Rein.Engine;
using Rein.Journal;
using Rein.Models;
using Rein.Tools;

namespace Rein.Guard.Tests.Budgets;

/// <summary>A clock that moves only when told to; wall-clock time and timestamps move together.</summary>
internal sealed class ManualTimeProvider(DateTimeOffset start) : TimeProvider
{
    private readonly Lock _gate = new();
    private DateTimeOffset _now = start;
    private long _timestamp;

    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    public override DateTimeOffset GetUtcNow()
    {
        lock (_gate)
        {
            return _now;
        }
    }

    public override long GetTimestamp()
    {
        lock (_gate)
        {
            return _timestamp;
        }
    }

    public void Advance(TimeSpan by)
    {
        lock (_gate)
        {
            _now += by;
            _timestamp += by.Ticks;
        }
    }
}

/// <summary>Counts the model calls that were actually made.</summary>
internal sealed class CountingChatClient(IChatClient inner) : DelegatingChatClient(inner)
{
    private int _calls;

    public int Calls => _calls;

    public override IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref _calls);
        return base.GetStreamingResponseAsync(messages, options, cancellationToken);
    }
}

/// <summary>A tool whose behaviour each test sets.</summary>
internal sealed class TestTool(string name, Func<ToolInvocation, ToolResult>? onInvoke = null) : ITool
{
    private int _calls;

    public ToolDefinition Definition { get; } = new(
        name,
        $"Test tool {name}.",
        JsonDocument.Parse("""{"type":"object","properties":{"text":{"type":"string"}},"additionalProperties":false}""").RootElement.Clone());

    public int Calls => _calls;

    public ValueTask<ToolResult> InvokeAsync(ToolInvocation invocation, CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref _calls);
        return ValueTask.FromResult(onInvoke?.Invoke(invocation) ?? ToolResult.Ok($"{name}: ok"));
    }
}

internal static class Turns
{
    private static readonly JsonElement Arguments = JsonDocument.Parse("""{"text":"x"}""").RootElement.Clone();

    /// <summary>Turns that each call <paramref name="tool"/> <paramref name="callsPerTurn"/> times, then a final answer.</summary>
    public static List<ScriptedTurn> Calling(string tool, int turns, TokenUsage? usage = null, int callsPerTurn = 1, string prefix = "t")
    {
        var list = new List<ScriptedTurn>();
        for (var t = 1; t <= turns; t++)
        {
            var calls = Enumerable.Range(1, callsPerTurn).Select(i => new ModelToolCall($"{prefix}{t}_{i}", tool, Arguments)).ToList();
            list.Add(new ScriptedTurn(null, calls, usage));
        }

        list.Add(new ScriptedTurn("done", [], usage));
        return list;
    }

    public static ScriptedChatClient Client(IReadOnlyList<ScriptedTurn> turns, string model = "gpt-4o") => new(turns, model);

    public static async Task<List<AgentUpdate>> DrainAsync(this IAsyncEnumerable<AgentUpdate> updates)
    {
        var list = new List<AgentUpdate>();
        await foreach (var update in updates)
        {
            list.Add(update);
        }

        return list;
    }

    public static async Task<List<SessionEvent>> JournalAsync(this ISessionStore store, string sessionId, CancellationToken cancellationToken) =>
        [.. (await store.ReadAsync(sessionId, 0, cancellationToken)).Select(e => e.Event)];
}

