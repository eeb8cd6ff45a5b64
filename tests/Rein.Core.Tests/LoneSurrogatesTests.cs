using System.Text.Json;
using Rein.Engine;
using Rein.Journal;
using Rein.Models;
using Rein.Testing;
using Rein.Tools;

namespace Rein.Core.Tests;

public sealed class LoneSurrogatesTests
{
    private readonly CancellationToken _ct = TestContext.Current.CancellationToken;

    [Fact]
    public void Replace_LoneSurrogates_BecomeReplacementCharacters()
    {
        // Built at run time: attribute arguments cannot carry a lone surrogate.
        Assert.Equal("a\ufffdb", LoneSurrogates.Replace("a" + (char)0xD800 + "b"));
        Assert.Equal("a\ufffdb", LoneSurrogates.Replace("a" + (char)0xDC00 + "b"));
        Assert.Equal("end\ufffd", LoneSurrogates.Replace("end" + (char)0xD800));
        Assert.Equal("\ufffd\ufffd", LoneSurrogates.Replace(string.Concat((char)0xDC00, (char)0xD800)));
    }

    [Fact]
    public void Replace_WellFormedText_ReturnsSameInstance()
    {
        var text = "emoji \ud83d\ude00 and plain";

        Assert.Same(text, LoneSurrogates.Replace(text));
    }

    [Theory]
    [InlineData("""{"a":"x\ud800y"}""", """{"a":"x\uFFFDy"}""")]
    [InlineData("""{"a":"x\uDC00"}""", """{"a":"x\uFFFD"}""")]
    [InlineData("""{"a":"\ud800\ud800\udc00"}""", """{"a":"\uFFFD\ud800\udc00"}""")]
    [InlineData("""{"a":"\\ud800"}""", """{"a":"\\ud800"}""")]
    [InlineData("""{"a":"\\\ud800"}""", """{"a":"\\\uFFFD"}""")]
    [InlineData("""{"a":"\u0041\n"}""", """{"a":"\u0041\n"}""")]
    public void ReplaceInJson_EscapedLoneSurrogates_ReplacedAndEverythingElseKept(string json, string expected)
    {
        var result = LoneSurrogates.ReplaceInJson(json);

        Assert.Equal(expected, result);
        using var parsed = JsonDocument.Parse(result);
        _ = parsed.RootElement.GetProperty("a").GetString();
    }

    [Fact]
    public void Deserialize_StoredEventWithLoneSurrogateEscape_LoadsWithReplacement()
    {
        var json = """{"type":"user_message","text":"broken \ud800 text"}""";

        var e = Assert.IsType<UserMessage>(JournalJson.Deserialize(json));

        Assert.Equal("broken \ufffd text", e.Text);
    }

    [Fact]
    public async Task RunAsync_ToolCallArgumentsWithLoneSurrogate_RunsToolAndCompletes()
    {
        var store = new InMemorySessionStore();
        var echo = FakeTool.Echo();
        // The script file keeps the escape as the model sent it: it reaches the loop unchanged.
        var script = new ScriptedChatClient(ScriptedTurn.ParseScript("""
            {"turns":[{"tool_calls":[{"name":"echo","arguments":{"text":"a\ud800b"}}]},{"text":"done \udfff"}]}
            """));
        var session = await SessionWriter.StartAsync(store, new SessionStarted("s1", "/ws", "scripted:test"), _ct);
        var loop = new AgentLoop(script, new ToolSet([echo]), new AppendOnlyContextBuilder("test"));

        RunStopped? stopped = null;
        await foreach (var update in loop.RunAsync(session, "go", _ct))
        {
            stopped = update as RunStopped ?? stopped;
        }

        Assert.Equal(StopReason.Completed, stopped?.Reason);
        var journal = (await store.ReadAsync("s1", 0, _ct)).Select(r => r.Event).ToList();
        Assert.Equal("echo: a\ufffdb", journal.OfType<ToolCompleted>().Single().Result);
        Assert.Equal("done \ufffd", journal.OfType<ModelCalled>().Last().Text);
        foreach (var e in journal)
        {
            Assert.IsType(e.GetType(), JournalJson.Deserialize(JournalJson.Serialize(e)));
        }
    }
}
