using System.Text.Json;
using Microsoft.Extensions.AI;
using Rein.Context.Tokens;
using Rein.Engine;

namespace Rein.Context.Tests.Tokens;

public sealed class ContextTokensTests
{
    private static readonly ITokenCounter Counter = TokenCounters.ForModel("openai:gpt-5");

    [Fact]
    public void Count_TextMessages_CountsTextPlusOverheads()
    {
        ChatMessage[] messages = [new(ChatRole.System, "You are helpful."), new(ChatRole.User, "hello world")];

        var tokens = ContextTokens.Count(Counter, messages, null);

        var expected = RequestTokens.PerRequestOverhead + (2 * RequestTokens.PerMessageOverhead)
            + Counter.CountTokens("You are helpful.") + Counter.CountTokens("hello world");
        Assert.Equal(expected, tokens);
    }

    [Fact]
    public void Count_CallsResultsAndTools_CountsEveryPart()
    {
        var call = new FunctionCallContent("call_1", "read_file", new Dictionary<string, object?> { ["path"] = "src/a.cs" });
        var result = new FunctionResultContent("call_1", "class A { }");
        var schema = JsonDocument.Parse("""{"type":"object","properties":{"path":{"type":"string"}}}""").RootElement;
        AITool[] tools = [AIFunctionFactory.CreateDeclaration("read_file", "Reads a file.", schema)];
        ChatMessage[] messages = [new(ChatRole.Assistant, [call]), new(ChatRole.Tool, [result])];

        var tokens = ContextTokens.Count(Counter, messages, tools);

        var expected = RequestTokens.PerRequestOverhead + (2 * RequestTokens.PerMessageOverhead)
            + Counter.CountTokens("read_file") + Counter.CountTokens("""{"path":"src/a.cs"}""")
            + Counter.CountTokens("class A { }")
            + RequestTokens.PerToolOverhead + Counter.CountTokens("read_file") + Counter.CountTokens("Reads a file.")
            + Counter.CountTokens(schema.GetRawText());
        Assert.Equal(expected, tokens);
    }

    [Fact]
    public void Count_LongerHistory_CountsMore()
    {
        List<ChatMessage> messages = [new(ChatRole.User, "first")];
        var before = ContextTokens.Count(Counter, messages, null);

        messages.Add(new ChatMessage(ChatRole.Assistant, "a longer answer with several more words in it"));

        Assert.True(ContextTokens.Count(Counter, messages, null) > before + RequestTokens.PerMessageOverhead);
    }
}
