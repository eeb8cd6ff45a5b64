using ModelContextProtocol;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;

namespace Rein.Server.Mcp;

/// <summary>The MCP server options of <c>rein mcp serve</c>: Rein's four tools, with progress for clients that ask for it.</summary>
public static class ReinMcpServer
{
    /// <summary>Creates the options of a server offering <paramref name="tools"/>.</summary>
    /// <param name="tools">The tools.</param>
    /// <param name="version">The version reported to clients.</param>
    /// <returns>Options for <see cref="McpServer.Create"/> (stdio) or the HTTP transport.</returns>
    public static McpServerOptions CreateOptions(ReinMcpTools tools, string version)
    {
        ArgumentNullException.ThrowIfNull(tools);
        return new McpServerOptions
        {
            ServerInfo = new Implementation { Name = "rein", Version = version },
            ServerInstructions = "Rein runs a coding agent in a workspace under the user's policy, approvals and budgets. Use run_agent for a task; " +
                "when it returns awaiting_approval, ask the user and answer with answer_approval.",
            Handlers = new McpServerHandlers
            {
                ListToolsHandler = (_, _) => ValueTask.FromResult(ReinMcpTools.List()),
                CallToolHandler = (context, cancellationToken) => tools.CallAsync(context.Params!, Progress(context), cancellationToken),
            },
        };
    }

    private static Func<ProgressNotificationValue, ValueTask>? Progress(RequestContext<CallToolRequestParams> context)
    {
        if (context.Params?.ProgressToken is not { } token)
        {
            return null;
        }

        var server = context.Server;
        return async value =>
        {
            try
            {
                await server.NotifyProgressAsync(token, value).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is IOException or ObjectDisposedException or InvalidOperationException or McpException)
            {
                // A client that went away misses its progress; the run goes on.
            }
        };
    }
}
