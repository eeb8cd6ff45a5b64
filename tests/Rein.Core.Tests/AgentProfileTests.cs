using System.Text.Json;
using Rein.Profiles;

namespace Rein.Core.Tests;

public sealed class AgentProfileTests
{
    [Fact]
    public void Parse_FrontMatterAndBody_GivesSettingsShapedJsonAndTheOnboardingDoc()
    {
        var profile = AgentProfile.Parse("""
            ---
            name: reviewer
            model: anthropic:claude-sonnet-4-5
            permissions:
              deny: ["shell(git push*)", 'write_file(**)']
              defaultMode: read-only
            budgets:
              session:
                max_cost_usd: 1.5
                max_steps: 40
                max_time: 10m
            approvals:
              approvers: [alice, bob]
            verbose: true
            nothing: ~
            ---
            # Reviewer
            Read the diff, never change files.
            """, "/p/.rein/agents/review.md");

        Assert.Equal("reviewer", profile.Name);
        Assert.Equal("anthropic:claude-sonnet-4-5", profile.Model);
        Assert.Equal("# Reviewer\nRead the diff, never change files.", profile.Body);
        var settings = profile.Settings;
        Assert.Equal(["shell(git push*)", "write_file(**)"], settings.GetProperty("permissions").GetProperty("deny").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(1.5m, settings.GetProperty("budgets").GetProperty("session").GetProperty("max_cost_usd").GetDecimal());
        Assert.Equal(JsonValueKind.Number, settings.GetProperty("budgets").GetProperty("session").GetProperty("max_steps").ValueKind);
        Assert.Equal("10m", settings.GetProperty("budgets").GetProperty("session").GetProperty("max_time").GetString());
        Assert.Equal(JsonValueKind.True, settings.GetProperty("verbose").ValueKind);
        Assert.Equal(JsonValueKind.Null, settings.GetProperty("nothing").ValueKind);
    }

    [Fact]
    public void Parse_NoName_UsesTheFileName()
    {
        Assert.Equal("coder", AgentProfile.Parse("---\nmodel: openai:gpt-5.5\n---\nbody", "/x/coder.md").Name);
    }

    [Theory]
    [InlineData("no front matter", "/a/p.md:1:")]
    [InlineData("---\nmodel: x\nbody without end", "no closing")]
    [InlineData("---\nname: a\npermissions: [unclosed\n---\n", "/a/p.md:")]
    [InlineData("---\nname: a\nmodel: [1, 2]\n---\n", "/a/p.md:3: field 'model'")]
    [InlineData("---\n- a list\n---\n", "must be a mapping")]
    public void Parse_BadProfile_ErrorNamesFileLineAndField(string text, string expected)
    {
        var error = Assert.Throws<FormatException>(() => AgentProfile.Parse(text, "/a/p.md"));

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_SearchesFoldersInOrder_MissingNamesTheFolders()
    {
        using var first = new Rein.Testing.TempDirectory();
        using var second = new Rein.Testing.TempDirectory();
        second.Write("ops.md", "---\nname: from-second\n---\n");
        first.Write("ops.md", "---\nname: from-first\n---\n");

        Assert.Equal("from-first", AgentProfile.Load("ops", [first.Path, second.Path]).Name);
        var missing = Assert.Throws<FileNotFoundException>(() => AgentProfile.Load("nope", [first.Path, second.Path]));
        Assert.Contains(second.Path, missing.Message, StringComparison.Ordinal);
    }
}
