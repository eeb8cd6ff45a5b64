using Rein.Cli.Commands;
using Rein.Hosting.Configuration;

namespace Rein.Cli.Tests;

public sealed class ResumeSettingsTests
{
    [Fact]
    public void From_EffectiveValues_RecordsThemWithACanonicalMode()
    {
        var recorded = RecordedRunSettings.From(new SettingsValues
        {
            Model = "openai:gpt-5.5", ApiKey = "sk-secret", BaseUrl = "http://127.0.0.1:8000/v1", Mode = "acceptEdits", Environment = "dev",
            Sandbox = "none", MaxSteps = 7, MaxTokens = 1000, MaxCostUsd = 1.5m, MaxTime = TimeSpan.FromMinutes(2),
        });

        Assert.Equal(new Journal.SessionRunSettings("http://127.0.0.1:8000/v1", "accept-edits", "dev", "none", 7, 1000, 1.5m, 120), recorded);
    }

    [Theory]
    [InlineData("http://user:pass@127.0.0.1:8000/v1")]
    [InlineData("https://example.test/v1?api-key=abc")]
    public void From_BaseUrlCarryingCredentials_IsNotRecorded(string url) =>
        Assert.Null(RecordedRunSettings.From(new SettingsValues { BaseUrl = url }).BaseUrl);

    [Fact]
    public void ToValues_RoundTrips()
    {
        var run = new Journal.SessionRunSettings("http://x/v1", "full-auto", null, "bubblewrap", 3, null, null, 90);
        var values = RecordedRunSettings.ToValues("openai-compatible:m", "coder", run);
        Assert.Equal(run, RecordedRunSettings.From(values));
        Assert.Equal(("openai-compatible:m", "coder"), (values.Model, values.Agent));
    }

    [Fact]
    public void Changed_NamesOnlyFlagsThatDifferFromTheRecordedValues()
    {
        var recorded = new SettingsValues { Model = "m", BaseUrl = "http://a/v1", Mode = "full-auto", MaxSteps = 5 };
        var flags = new SettingsValues { BaseUrl = "http://a/v1", Mode = "ask", MaxSteps = 9, Sandbox = "none" };

        Assert.Equal(["mode", "sandbox", "max_steps"], RecordedRunSettings.Changed(recorded, flags));
        Assert.Empty(RecordedRunSettings.Changed(recorded, new SettingsValues { Mode = "bypassPermissions" }));
    }

    [Theory]
    [InlineData(true, new string[0], new[] { "chat" })]
    [InlineData(false, new string[0], new string[0])]
    [InlineData(true, new[] { "-p", "hi" }, new[] { "run", "-p", "hi" })]
    [InlineData(false, new[] { "-c" }, new[] { "resume", "--last" })]
    [InlineData(true, new[] { "--continue", "go on" }, new[] { "resume", "--last", "go on" })]
    [InlineData(true, new[] { "sessions", "list" }, new[] { "sessions", "list" })]
    public void Rewrite_ShortForms_BecomeReinCommands(bool terminal, string[] args, string[] expected) =>
        Assert.Equal(expected, EntryArguments.Rewrite(args, terminal));
}
