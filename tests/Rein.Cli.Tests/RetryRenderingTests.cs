using System.Text.Json;
using Rein.Cli.Rendering;
using Rein.Engine;

namespace Rein.Cli.Tests;

public sealed class RetryRenderingTests
{
    private static readonly ModelRetrying Retry = new(2, 5, "HTTP 429 (rate limited)", TimeSpan.FromMilliseconds(1500));

    [Fact]
    public void ConsoleRenderer_RetryWithoutTerminal_WritesOneLineToStandardError()
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        using (var renderer = new ConsoleRenderer(output, error, interactive: false))
        {
            renderer.Render(Retry);
        }

        Assert.Equal("", output.ToString());
        Assert.Equal("↻ retrying: HTTP 429 (rate limited), attempt 2 of 5", error.ToString().Trim());
    }

    [Fact]
    public void JsonLinesRenderer_Retry_WritesModelRetryingLine()
    {
        using var output = new StringWriter();
        using var renderer = new JsonLinesRenderer(output).ForSession("s1");

        renderer.Render(Retry);

        var line = JsonDocument.Parse(output.ToString()).RootElement;
        Assert.Equal("model_retrying", line.GetProperty("type").GetString());
        Assert.Equal("s1", line.GetProperty("session_id").GetString());
        Assert.Equal(2, line.GetProperty("attempt").GetInt32());
        Assert.Equal(5, line.GetProperty("max_attempts").GetInt32());
        Assert.Equal("HTTP 429 (rate limited)", line.GetProperty("reason").GetString());
        Assert.Equal(1500, line.GetProperty("delay_ms").GetInt64());
        Assert.False(line.TryGetProperty("seq", out _), "not a journal event");
    }
}
