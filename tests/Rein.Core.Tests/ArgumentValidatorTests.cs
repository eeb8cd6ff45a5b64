using System.Text.Json;
using Rein.Engine;

namespace Rein.Core.Tests;

public sealed class ArgumentValidatorTests
{
    private static readonly JsonElement Schema = Parse("""
        {"type":"object","properties":{
            "path":{"type":"string","minLength":1},
            "start_line":{"type":"integer","minimum":1},
            "mode":{"type":"string","enum":["a","b"]},
            "todos":{"type":"array","maxItems":2,"items":{"type":"object","properties":{"content":{"type":"string"}},"required":["content"],"additionalProperties":false}}},
         "required":["path"],"additionalProperties":false}
        """);

    private static JsonElement Parse(string json) => JsonDocument.Parse(json).RootElement.Clone();

    private static List<string> Validate(string arguments, JsonElement? schema = null) =>
        new ArgumentValidator().Validate("tool", schema ?? Schema, Parse(arguments));

    [Theory]
    [InlineData("""{"path":"a.txt"}""")]
    [InlineData("""{"path":"a.txt","start_line":3,"mode":"b"}""")]
    [InlineData("""{"path":"a.txt","start_line":3.0}""")]
    [InlineData("""{"path":"a","todos":[{"content":"x"}]}""")]
    public void Validate_ValidArguments_NoProblems(string arguments) => Assert.Empty(Validate(arguments));

    [Theory]
    [InlineData("""{}""", "missing required property 'path'")]
    [InlineData("""{"path":3}""", "'path' must be a string, not an integer")]
    [InlineData("""{"path":""}""", "'path' must have at least 1 characters")]
    [InlineData("""{"path":"a","start_line":0}""", "'start_line' must be at least 1")]
    [InlineData("""{"path":"a","start_line":1.5}""", "'start_line' must be an integer, not a number")]
    [InlineData("""{"path":"a","mode":"c"}""", "'mode' must be one of \"a\", \"b\"")]
    [InlineData("""{"path":"a","extra":1}""", "unknown property 'extra' (allowed: path, start_line, mode, todos)")]
    [InlineData("""{"path":"a","todos":[{"content":"x"},{"content":"y"},{"content":"z"}]}""", "'todos' must have at most 2 items")]
    [InlineData("""{"path":"a","todos":[{"text":"x"}]}""", "missing required property 'todos[0].content'")]
    public void Validate_InvalidArguments_DescribesProblem(string arguments, string expected) =>
        Assert.Contains(expected, Validate(arguments));

    [Fact]
    public void Validate_SchemaWithOtherKeywords_UsesFullJsonSchemaEvaluation()
    {
        var schema = Parse("""{"type":"object","properties":{"id":{"type":"string","pattern":"^[a-z]+$"}},"required":["id"]}""");

        Assert.Empty(Validate("""{"id":"abc"}""", schema));
        Assert.NotEmpty(Validate("""{"id":"ABC"}""", schema));
    }
}
