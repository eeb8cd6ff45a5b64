using System.Text.Json;
using Rein.Mcp.Configuration;

namespace Rein.Mcp.Tests;

public sealed class McpConfigTests
{
    private static IReadOnlyList<McpServerEntry> Read(string json) => McpConfig.Read(JsonDocument.Parse(json).RootElement, "/p/.mcp.json");

    [Fact]
    public void Read_ClaudeCodeShapes_GivesStdioHttpAndSseServers()
    {
        var servers = Read("""
            {"mcpServers": {
              "files": {"command": "npx", "args": ["-y", "server"], "env": {"TOKEN": "${secret:T}"}, "timeout": 5, "sandbox": {"network": ["api.github.com"]}},
              "remote": {"type": "http", "url": "https://mcp.example.com/mcp", "headers": {"Authorization": "Bearer ${env:K}"}},
              "legacy": {"type": "sse", "url": "http://127.0.0.1:9/sse"},
              "bare": {"url": "https://mcp.example.com/mcp"},
              "open": {"command": "srv", "sandbox": false}
            }}
            """);

        Assert.Equal(["files", "remote", "legacy", "bare", "open"], servers.Select(s => s.Name));
        var files = servers[0];
        Assert.Equal(McpTransport.Stdio, files.Transport);
        Assert.Equal("npx", files.Command);
        Assert.Equal(["-y", "server"], files.Args);
        Assert.Equal("${secret:T}", files.Env["TOKEN"]);
        Assert.Equal(TimeSpan.FromSeconds(5), files.Timeout);
        Assert.True(files.Sandboxed);
        Assert.Equal(["api.github.com"], files.Network);
        Assert.Equal(McpTransport.Http, servers[1].Transport);
        Assert.Equal("Bearer ${env:K}", servers[1].Headers["Authorization"]);
        Assert.Equal(McpTransport.Sse, servers[2].Transport);
        Assert.Equal(McpTransport.Http, servers[3].Transport);
        Assert.Equal(McpServerEntry.DefaultTimeout, servers[3].Timeout);
        Assert.False(servers[4].Sandboxed);
        Assert.All(servers, s => Assert.Equal("/p/.mcp.json", s.Source));
    }

    [Theory]
    [InlineData("""{"mcpServers": []}""", "/p/.mcp.json: mcpServers must be an object")]
    [InlineData("""{"mcpServers": {"a__b": {"command": "x"}}}""", "mcpServers.a__b: a server name")]
    [InlineData("""{"mcpServers": {"a b": {"command": "x"}}}""", "mcpServers.a b: a server name")]
    [InlineData("""{"mcpServers": {"s": {"args": ["x"]}}}""", "mcpServers.s: a stdio server needs \"command\"")]
    [InlineData("""{"mcpServers": {"s": {"type": "http"}}}""", "mcpServers.s: an http server needs \"url\"")]
    [InlineData("""{"mcpServers": {"s": {"type": "http", "url": "file:///etc/passwd"}}}""", "mcpServers.s.url: 'file:///etc/passwd' is not an absolute http(s) URL")]
    [InlineData("""{"mcpServers": {"s": {"type": "ws", "url": "x"}}}""", "mcpServers.s.type: 'ws' is not stdio, http or sse")]
    [InlineData("""{"mcpServers": {"s": {"command": "x", "args": "y"}}}""", "mcpServers.s.args must be an array of strings")]
    [InlineData("""{"mcpServers": {"s": {"command": "x", "env": {"A": 1}}}}""", "mcpServers.s.env.A must be a string")]
    [InlineData("""{"mcpServers": {"s": {"command": "x", "timeout": -1}}}""", "mcpServers.s.timeout must be a number of seconds")]
    [InlineData("""{"mcpServers": {"s": {"command": "x", "sandbox": "off"}}}""", "mcpServers.s.sandbox must be false or an object")]
    public void Read_MalformedEntry_NamesFileAndKey(string json, string expected)
    {
        var error = Assert.Throws<McpConfigException>(() => Read(json));

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
        Assert.StartsWith("/p/.mcp.json", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_NoServers_GivesNone()
    {
        Assert.Empty(Read("""{"model": "openai:x"}"""));
        Assert.Empty(Read("""{"mcpServers": null}"""));
    }

    [Fact]
    public void Merge_SameNameInALaterSource_ReplacesTheEarlierKeepingItsPlace()
    {
        var user = McpConfig.Read(JsonDocument.Parse("""{"mcpServers": {"a": {"command": "user-a"}, "b": {"command": "user-b"}}}""").RootElement, "user");
        var project = McpConfig.Read(JsonDocument.Parse("""{"mcpServers": {"a": {"command": "project-a"}, "c": {"command": "project-c"}}}""").RootElement, "project");

        var merged = McpConfig.Merge([user, project]);

        Assert.Equal(["a", "b", "c"], merged.Select(s => s.Name));
        Assert.Equal(("project-a", "project"), (merged[0].Command, merged[0].Source));
    }
}
