using System.Text.Json;
using Rein.Engine;

namespace Rein.Core.Tests;

public sealed class ErrorTextTests
{
    [Fact]
    public void Json_SyntaxError_NamesFileLineAndColumnWithoutParserInternals()
    {
        var error = Assert.ThrowsAny<JsonException>(() => JsonDocument.Parse("{\n  \"a\": 1,,\n}"));

        var text = ErrorText.Json(error, "settings.json");

        Assert.StartsWith("settings.json:2:10: invalid JSON: ", text, StringComparison.Ordinal);
        Assert.DoesNotContain("LineNumber", text, StringComparison.Ordinal);
        Assert.DoesNotContain("BytePositionInLine", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Json_ValueOfWrongType_NamesKeyAndKindInUserTerms()
    {
        var error = Assert.ThrowsAny<JsonException>(() => JsonSerializer.Deserialize<Dictionary<string, int?>>("""{"max_steps": "abc"}"""));

        var text = ErrorText.Json(error, "settings.json");

        Assert.Equal("settings.json:1:20: invalid JSON (at max_steps): the value is not a whole number", text);
    }

    [Theory]
    [InlineData("System.Nullable`1[System.Int32]", "a whole number")]
    [InlineData("System.Int64", "a whole number")]
    [InlineData("System.Nullable`1[System.Decimal]", "a number")]
    [InlineData("System.Boolean", "true or false")]
    public void Kind_DotNetTypeName_IsWhatAUserWrites(string typeName, string expected) =>
        Assert.Equal(expected, ErrorText.Kind(typeName));

    [Fact]
    public void Of_ArgumentException_DropsParameterSuffix() =>
        Assert.Equal("The base URL 'x' is not an absolute http or https URL.", ErrorText.Of(new ArgumentException("The base URL 'x' is not an absolute http or https URL.", "value")));
}
