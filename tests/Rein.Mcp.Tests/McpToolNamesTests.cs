using System.Text.RegularExpressions;
using Rein.Mcp.Client;

namespace Rein.Mcp.Tests;

public sealed partial class McpToolNamesTests
{
    [Fact]
    public void For_PlainNames_GivesMcpServerTool()
    {
        Assert.Equal(["mcp__github__create_issue", "mcp__github__list-prs"], McpToolNames.For("github", ["create_issue", "list-prs"]));
    }

    [Fact]
    public void For_CharactersProvidersRefuse_BecomeUnderscores()
    {
        Assert.Equal(["mcp__fs__read_file_v2"], McpToolNames.For("fs", ["read.file v2"]));
    }

    [Fact]
    public void For_TooLongOrCollidingNames_AreCutHashedDistinctAndStable()
    {
        var tools = new[] { new string('x', 80), new string('x', 80) + "y", "a.b", "a_b" };

        var names = McpToolNames.For("server", tools);

        Assert.All(names, n => Assert.Matches(ProviderName(), n));
        Assert.Equal(names.Count, names.Distinct(StringComparer.Ordinal).Count());
        Assert.All(names, n => Assert.StartsWith("mcp__server__", n, StringComparison.Ordinal));
        Assert.Equal(names, McpToolNames.For("server", tools));
        Assert.NotEqual("mcp__server__a_b", names[3]);
    }

    [GeneratedRegex("^[a-zA-Z0-9_-]{1,64}$")]
    private static partial Regex ProviderName();
}
