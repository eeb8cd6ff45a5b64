using Rein.Tools;

namespace Rein.Mcp.Client;

/// <summary><c>list_mcp_resources</c> and <c>read_mcp_resource</c>: the resources of the session's MCP servers that offer any.</summary>
internal static class McpResourceTools
{
    public const string ListName = "list_mcp_resources";
    public const string ReadName = "read_mcp_resource";

    public static IReadOnlyList<ITool> For(IReadOnlyList<McpServerConnection> servers)
    {
        var offering = servers.Where(s => s.HasResources).ToList();
        return offering.Count == 0 ? [] : [new ListTool(offering), new ReadTool(offering)];
    }

    private static string Names(IReadOnlyList<McpServerConnection> servers) => string.Join(", ", servers.Select(s => s.Entry.Name));

    private static string? Text(System.Text.Json.JsonElement arguments, string name) =>
        arguments.ValueKind == System.Text.Json.JsonValueKind.Object && arguments.TryGetProperty(name, out var value) && value.ValueKind == System.Text.Json.JsonValueKind.String
            ? value.GetString()
            : null;

    private static McpServerConnection? Find(IReadOnlyList<McpServerConnection> servers, string name) =>
        servers.FirstOrDefault(s => string.Equals(s.Entry.Name, name, StringComparison.Ordinal));

    private sealed class ListTool(IReadOnlyList<McpServerConnection> servers) : ITool
    {
        public ToolDefinition Definition { get; } = new(
            ListName,
            $"Lists the resources (files, records, documents) that MCP servers offer, with their URIs. Servers: {Names(servers)}.",
            ToolSchemas.Parse("""{"type":"object","properties":{"server":{"type":"string","description":"Only this server's resources; all servers when left out."}},"additionalProperties":false}"""),
            ReadOnly: true);

        public async ValueTask<ToolResult> InvokeAsync(ToolInvocation invocation, CancellationToken cancellationToken = default)
        {
            var name = Text(invocation.Arguments, "server");
            if (name is not null && Find(servers, name) is null)
            {
                return ToolResult.Error($"No MCP server named '{name}' offers resources. Servers: {Names(servers)}.");
            }

            var results = new List<ToolResult>();
            foreach (var server in servers.Where(s => name is null || s.Entry.Name == name))
            {
                results.Add(await server.ListResourcesAsync(cancellationToken).ConfigureAwait(false));
            }

            return new ToolResult(string.Join('\n', results.Select(r => r.Content)), results.All(r => r.IsError));
        }
    }

    private sealed class ReadTool(IReadOnlyList<McpServerConnection> servers) : ITool
    {
        public ToolDefinition Definition { get; } = new(
            ReadName,
            $"Reads one resource of an MCP server by its URI (from {ListName}). Servers: {Names(servers)}.",
            ToolSchemas.Parse("""{"type":"object","properties":{"server":{"type":"string","description":"The server that offers the resource."},"uri":{"type":"string","description":"The resource's URI."}},"required":["server","uri"],"additionalProperties":false}"""),
            ReadOnly: true);

        public async ValueTask<ToolResult> InvokeAsync(ToolInvocation invocation, CancellationToken cancellationToken = default)
        {
            var name = Text(invocation.Arguments, "server") ?? "";
            var uri = Text(invocation.Arguments, "uri") ?? "";
            return Find(servers, name) is { } server
                ? await server.ReadResourceAsync(uri, cancellationToken).ConfigureAwait(false)
                : ToolResult.Error($"No MCP server named '{name}' offers resources. Servers: {Names(servers)}.");
        }
    }
}
