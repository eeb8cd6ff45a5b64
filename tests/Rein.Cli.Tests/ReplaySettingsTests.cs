using System.Text.Json;
using Rein.Hosting.Configuration;
using Rein.Cli.Replay;

namespace Rein.Cli.Tests;

public sealed class ReplaySettingsTests
{
    private static List<SettingsDocument> Documents(params string[] documents) =>
        [.. documents.Select((json, i) => new SettingsDocument(i == 0 ? "user" : "project", $"/settings{i}.json", JsonDocument.Parse(json).RootElement.Clone()))];

    [Fact]
    public void ReadRules_NoSection_GivesNone() =>
        Assert.Empty(ReplaySettings.ReadRules(Documents("""{"model":"openai:gpt-5.5"}""")));

    [Fact]
    public void ReadRules_UserThenProject_KeepsTheirOrderNamesAndDefaults()
    {
        var rules = ReplaySettings.ReadRules(Documents(
            """{"replay":{"normalize":[{"pattern":"pid [0-9]+","replacement":"pid <pid>","name":"pid"}]}}""",
            """{"replay":{"normalize":[{"pattern":"tmp[a-z0-9]{8}"}]}}"""));

        Assert.Equal(["pid", "replay.normalize[0]"], rules.Select(r => r.Name));
        Assert.Equal("started pid <pid> in <masked>", new Rein.Replay.ReplayNormalizer(rules).Apply("started pid 42 in tmpab12cd34"));
    }

    [Theory]
    [InlineData("""{"replay":{"normalize":[{"pattern":"(unclosed"}]}}""", "\"replay.normalize[0].pattern\" is not a valid regular expression")]
    [InlineData("""{"replay":{"normalize":[{"replacement":"x"}]}}""", "\"replay.normalize[0].pattern\" is missing or empty")]
    [InlineData("""{"replay":{"normalize":[{"pattern":"a","replacement":1}]}}""", "\"replay.normalize[0].replacement\" must be a string")]
    [InlineData("""{"replay":{"normalize":{"pattern":"a"}}}""", "\"replay.normalize\" must be a list")]
    [InlineData("""{"replay":["a"]}""", "\"replay\" must be an object")]
    public void ReadRules_BadRule_NamesTheFileAndTheSetting(string json, string message)
    {
        var error = Assert.Throws<SettingsException>(() => ReplaySettings.ReadRules(Documents(json)));

        Assert.Contains("/settings0.json", error.Message, StringComparison.Ordinal);
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }
}
