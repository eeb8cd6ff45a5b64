namespace Rein.Cli.Tests;

/// <summary>Bad input is answered in the user's terms: the option, file, line or key, never .NET type names or parser internals.</summary>
[Trait("Category", "e2e")]
public sealed class ErrorMessageTests : IDisposable
{
    private readonly ReinProcess _rein = new();

    public void Dispose() => _rein.Dispose();

    [Theory]
    [InlineData("max-steps", "--max-steps expects a whole number, got 'abc'")]
    [InlineData("max-cost", "--max-cost expects a positive number of US dollars, got '-1'")]
    [InlineData("settings", "settings.json:3:18: invalid JSON")]
    [InlineData("script", "turns.json:1:26: invalid JSON")]
    [InlineData("base-url", "The base URL 'not a url'")]
    public async Task Run_BadInput_ExitsTwoSayingWhatIsWrongInUserTerms(string input, string expected)
    {
        var script = _rein.WriteFile("turns.json", """{"turns": [{"text": "a"} }""");
        string[] args = input switch
        {
            "max-steps" => ["run", "--max-steps", "abc", "--model", "scripted:" + script, "go"],
            "max-cost" => ["run", "--max-cost", "-1", "--model", "scripted:" + script, "go"],
            "settings" => ["run", "go"],
            "script" => ["run", "--model", "scripted:" + script, "go"],
            _ => ["run", "--model", "openai-compatible:m", "--base-url", "not a url", "go"],
        };
        if (input == "settings")
        {
            _rein.WriteFile("ws/.rein/settings.json", "{\n  \"model\": \"scripted:x.json\",\n  \"max_steps\": 3,,\n}");
        }

        var result = await _rein.RunAsync(args);

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains(expected, result.Stderr, StringComparison.Ordinal);
        foreach (var internals in new[] { "System.", "Nullable", "(Parameter", "LineNumber", "BytePositionInLine", "Exception", "   at " })
        {
            Assert.DoesNotContain(internals, result.Stderr, StringComparison.Ordinal);
        }
    }
}
