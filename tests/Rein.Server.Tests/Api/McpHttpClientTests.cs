using System.Text.Json;
using Rein.Mcp.Client;
using Rein.Mcp.Configuration;
using Rein.Tools;

namespace Rein.Server.Tests.Api;

/// <summary>Rein's MCP client against a Streamable HTTP server: the MCP endpoint of a real <c>rein serve</c>, with a bearer token from the environment.</summary>
public sealed class McpHttpClientTests(ServeProcess serve) : IClassFixture<ServeProcess>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private McpLaunch LaunchWith(string token) =>
        new(serve.Workspace, null, new CommandEnvironment(), new McpValues(name => name == "REIN_TOKEN" ? token : null, null));

    private McpServerEntry Entry() => new("rein", McpTransport.Http, "test")
    {
        Url = new Uri(serve.BaseAddress, "/mcp").ToString(),
        Headers = new Dictionary<string, string> { ["Authorization"] = "Bearer ${env:REIN_TOKEN}" },
        Timeout = TimeSpan.FromSeconds(30),
    };

    [Fact]
    public async Task Http_WithTheToken_ListsAndCallsTheServersTools()
    {
        await using var box = await McpToolbox.StartAsync([Entry()], LaunchWith(serve.Tokens["boss"]), Ct);

        Assert.Empty(box.Failures);
        Assert.Equal(["mcp__rein__answer_approval", "mcp__rein__continue_session", "mcp__rein__get_session", "mcp__rein__run_agent"], box.Tools.Select(t => t.Definition.Name).Order(StringComparer.Ordinal));
        var get = box.Tools.Single(t => t.Definition.Name == "mcp__rein__get_session");
        var result = await get.InvokeAsync(new ToolInvocation("c1", JsonSerializer.SerializeToElement(new { session_id = serve.SessionId }), new ToolContext("s", serve.Workspace)), Ct);
        Assert.False(result.IsError, result.Content);
        Assert.Contains("waiting for approval", result.Content, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Http_WrongToken_TheServerDoesNotStartAndSaysWhy()
    {
        await using var box = await McpToolbox.StartAsync([Entry()], LaunchWith("rein_wrong_token"), Ct);

        var failure = Assert.Single(box.Failures);
        Assert.StartsWith("MCP server 'rein' could not start", failure, StringComparison.Ordinal);
        Assert.Contains("401", failure, StringComparison.Ordinal);
        Assert.Empty(box.Tools);
    }
}
