using ModelContextProtocol.Protocol;
using Rein.Tools;

namespace Rein.Mcp.Client;

/// <summary>
/// One tool of an MCP server, offered to the model as <c>mcp__SERVER__TOOL</c> with the server's description and input
/// schema; every call goes through the session's pipeline (argument validation, policy, approvals, budgets, output caps,
/// secret redaction, journal) like a built-in tool's.
/// </summary>
/// <remarks>
/// The server's annotations are hints from an untrusted party: <c>readOnlyHint</c> lets calls run beside each other, but
/// the tool never counts as read-only for the policy, so it never skips an <c>ask</c>.
/// </remarks>
internal sealed class McpTool : ITool
{
    private readonly McpServerConnection _server;
    private readonly string _toolName;

    public McpTool(McpServerConnection server, Tool tool, string name)
    {
        _server = server;
        _toolName = tool.Name;
        var description = tool.Description is { Length: > 0 } d ? d : tool.Title ?? tool.Name;
        Definition = new ToolDefinition(name, $"{description}\n\n(Tool '{tool.Name}' of the MCP server '{server.Entry.Name}'.)", ToolSchemas.Parse(tool.InputSchema.GetRawText()))
        {
            Concurrent = tool.Annotations?.ReadOnlyHint == true,
        };
    }

    public ToolDefinition Definition { get; }

    public ValueTask<ToolResult> InvokeAsync(ToolInvocation invocation, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(invocation);
        return _server.CallToolAsync(_toolName, invocation.Arguments, cancellationToken);
    }
}
