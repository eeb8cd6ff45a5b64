using Rein.Profiles;

namespace Rein.Core.Tests;

public sealed class AgentProfileFieldsTests
{
    [Fact]
    public void Parse_ToolsMemorySurfaces_AreExposed()
    {
        var profile = AgentProfile.Parse("""
            ---
            name: reader
            tools: [read_file, grep]
            memory:
              enabled: false
              scopes: [user, project]
            surfaces:
              - cli
              - slack
            ---
            Read only.
            """, "/a/reader.md");

        Assert.Equal(["read_file", "grep"], profile.Tools);
        Assert.False(profile.Memory!.Enabled);
        Assert.Equal(["user", "project"], profile.Memory.Scopes);
        Assert.Equal(["cli", "slack"], profile.Surfaces);
        Assert.True(profile.AllowsSurface("cli"));
        Assert.False(profile.AllowsSurface("http"));
    }

    [Fact]
    public void Parse_NoFields_MeansNoLimits()
    {
        var profile = AgentProfile.Parse("---\nname: open\n---\nbody", "/a/open.md");

        Assert.Null(profile.Tools);
        Assert.Null(profile.Memory);
        Assert.Null(profile.Surfaces);
        Assert.True(profile.AllowsSurface("telegram"));
    }

    [Fact]
    public void Parse_MemoryWithoutEnabled_IsEnabled()
    {
        var profile = AgentProfile.Parse("---\nmemory: {scopes: [agent]}\n---\n", "/a/m.md");

        Assert.True(profile.Memory!.Enabled);
        Assert.Equal(["agent"], profile.Memory.Scopes);
    }

    [Theory]
    [InlineData("---\nname: a\ntools: read_file\n---\n", "/a/p.md:3: field 'tools' must be a list")]
    [InlineData("---\nname: a\ntools:\n  - read_file\n  - [x]\n---\n", "/a/p.md:5: field 'tools'")]
    [InlineData("---\nname: a\nsurfaces: [cli, email]\n---\n", "/a/p.md:3: field 'surfaces': unknown value 'email'")]
    [InlineData("---\nname: a\nsurfaces:\n  - cli\n  - fax\n---\n", "/a/p.md:5: field 'surfaces'")]
    [InlineData("---\nname: a\nmemory: true\n---\n", "/a/p.md:3: field 'memory' must be a mapping")]
    [InlineData("---\nname: a\nmemory:\n  enabled: maybe\n---\n", "/a/p.md:4: field 'memory.enabled'")]
    [InlineData("---\nname: a\nmemory:\n  enabled: true\n  scopes: [user, team]\n---\n", "/a/p.md:5: field 'memory.scopes': unknown value 'team'")]
    [InlineData("---\nname: a\nmemory:\n  size: 3\n---\n", "/a/p.md:4: field 'memory.size' is unknown")]
    public void Parse_BadField_ErrorNamesFileLineAndField(string text, string expected)
    {
        var error = Assert.Throws<FormatException>(() => AgentProfile.Parse(text, "/a/p.md"));

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void RequireKnownTools_UnknownName_ErrorNamesTheEntrysLine()
    {
        var profile = AgentProfile.Parse("---\nname: a\ntools:\n  - read_file\n  - shel\n---\n", "/a/p.md");

        var error = Assert.Throws<FormatException>(() => profile.RequireKnownTools(["read_file", "shell"]));

        Assert.StartsWith("/a/p.md:5: field 'tools': unknown tool 'shel'", error.Message, StringComparison.Ordinal);
        Assert.Contains("read_file, shell", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void RequireKnownTools_AllKnownOrNoField_DoesNotThrow()
    {
        var limited = AgentProfile.Parse("---\ntools: [shell]\n---\n", "/a/p.md");
        var open = AgentProfile.Parse("---\nname: b\n---\n", "/a/q.md");

        limited.RequireKnownTools(["shell"]);
        open.RequireKnownTools([]);

        Assert.Equal(["shell"], limited.Tools);
    }
}
