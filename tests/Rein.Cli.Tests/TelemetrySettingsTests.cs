using System.Text.Json;
using Rein.Hosting.Composition;
using Rein.Hosting.Configuration;

namespace Rein.Cli.Tests;

public sealed class TelemetrySettingsTests
{
    private static ResolvedSettings Settings(params string[] documents) => new(
        new SettingsValues(),
        "/ws",
        "/store/rein.db",
        [],
        [.. documents.Select((json, i) => new SettingsDocument(i == 0 ? "user" : "project", $"/settings{i}.json", JsonDocument.Parse(json).RootElement.Clone()))]);

    [Fact]
    public void Read_NoSectionNoVariable_CapturesNothing()
    {
        var options = TelemetrySettings.Read(Settings("""{"model":"openai:gpt-5.5"}"""), _ => null);

        Assert.False(options.CaptureMessageContent);
    }

    [Fact]
    public void Read_ProjectOverridesUser_LaterFileWins()
    {
        Assert.True(TelemetrySettings.Read(Settings("""{"telemetry":{"capture_content":false}}""", """{"telemetry":{"capture_content":true}}"""), _ => null).CaptureMessageContent);
        Assert.False(TelemetrySettings.Read(Settings("""{"telemetry":{"capture_content":true}}""", """{"telemetry":{"capture_content":false}}"""), _ => null).CaptureMessageContent);
    }

    [Theory]
    [InlineData("true", false, true)]
    [InlineData("false", true, false)]
    [InlineData("maybe", true, true)]
    public void Read_EnvironmentVariable_WinsOverSettingsWhenItIsABoolean(string variable, bool inSettings, bool expected)
    {
        var settings = Settings(inSettings ? """{"telemetry":{"capture_content":true}}""" : """{"telemetry":{"capture_content":false}}""");

        var options = TelemetrySettings.Read(settings, name => name == "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT" ? variable : null);

        Assert.Equal(expected, options.CaptureMessageContent);
    }

    [Theory]
    [InlineData("""{"telemetry":true}""", "\"telemetry\" must be an object")]
    [InlineData("""{"telemetry":{"capture_content":"yes"}}""", "\"telemetry.capture_content\" must be true or false")]
    [InlineData("""{"telemetry":{"endpoint":"http://x"}}""", "unknown field \"telemetry.endpoint\"")]
    public void Read_BadSection_NamesTheFileAndField(string json, string expected)
    {
        var error = Assert.Throws<SettingsException>(() => TelemetrySettings.Read(Settings(json), _ => null));

        Assert.Contains("/settings0.json", error.Message, StringComparison.Ordinal);
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }
}
