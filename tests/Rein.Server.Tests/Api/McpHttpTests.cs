using System.Text.Json;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;

namespace Rein.Server.Tests.Api;

/// <summary>The MCP endpoint of a real <c>rein serve</c> (<c>/mcp</c>, Streamable HTTP) driven by the MCP C# SDK's client, behind bearer tokens.</summary>
public sealed class McpHttpTests(ServeProcess serve) : IClassFixture<ServeProcess>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task<McpClient> ConnectAsync(string? principal)
    {
        var headers = new Dictionary<string, string>();
        if (principal is not null)
        {
            headers["Authorization"] = "Bearer " + serve.Tokens[principal];
        }

        var transport = new HttpClientTransport(new HttpClientTransportOptions
        {
            Endpoint = new Uri(serve.BaseAddress, "/mcp"),
            TransportMode = HttpTransportMode.StreamableHttp,
            AdditionalHeaders = headers,
        });
        return await McpClient.CreateAsync(transport, cancellationToken: Ct);
    }

    private static JsonElement State(CallToolResult result) => Assert.IsType<JsonElement>(result.StructuredContent);

    private static string Text(CallToolResult result) => Assert.IsType<TextContentBlock>(Assert.Single(result.Content)).Text;

    [Fact]
    public async Task Mcp_WithoutAToken_IsRefused()
    {
        await Assert.ThrowsAnyAsync<Exception>(async () => await ConnectAsync(principal: null));
        using var http = serve.Client();
        using var response = await http.PostAsync(new Uri("/mcp", UriKind.Relative), new StringContent("{}", System.Text.Encoding.UTF8, "application/json"), Ct);
        Assert.Equal(System.Net.HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task Mcp_Viewer_ReadsButMayNotRunNorSeeOthersSessions()
    {
        await using var client = await ConnectAsync("vic");

        Assert.Equal(4, (await client.ListToolsAsync(cancellationToken: Ct)).Count);
        var run = await client.CallToolAsync("run_agent", new Dictionary<string, object?> { ["message"] = "x" }, cancellationToken: Ct);
        var other = await client.CallToolAsync("get_session", new Dictionary<string, object?> { ["session_id"] = serve.SessionId }, cancellationToken: Ct);

        Assert.True(run.IsError);
        Assert.Contains("viewer", Text(run), StringComparison.Ordinal);
        Assert.True(other.IsError);
    }

    [Fact]
    public async Task Mcp_Operator_RunsItsOwnSessionButMayNotAnswerOthersApprovals()
    {
        var script = Path.Combine(serve.Workspace, "mcp-turns.json");
        File.WriteAllText(script, """{"turns":[{"text":"hello over mcp"}]}""");
        await using var client = await ConnectAsync("alice");

        var run = await client.CallToolAsync("run_agent", new Dictionary<string, object?> { ["message"] = "greet", ["model"] = $"scripted:{script}" }, cancellationToken: Ct);
        var sessionId = State(run).GetProperty("session_id").GetString();
        var got = await client.CallToolAsync("get_session", new Dictionary<string, object?> { ["session_id"] = sessionId }, cancellationToken: Ct);
        var answer = await client.CallToolAsync("answer_approval", new Dictionary<string, object?> { ["call_id"] = "call_1", ["decision"] = "approve" }, cancellationToken: Ct);

        Assert.True(run.IsError != true, Text(run));
        Assert.Equal(("completed", "hello over mcp"), (State(run).GetProperty("status").GetString(), Text(run)));
        Assert.Equal("hello over mcp", State(got).GetProperty("answer").GetString());
        Assert.True(answer.IsError);
        using var owner = serve.Client("boss");
        Assert.Contains(serve.SessionId, await owner.GetStringAsync(new Uri("/v1/approvals", UriKind.Relative), Ct), StringComparison.Ordinal);
    }
}
