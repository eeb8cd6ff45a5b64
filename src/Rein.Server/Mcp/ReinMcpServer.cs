using ModelContextProtocol;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;

namespace Rein.Server.Mcp;

/// <summary>The MCP server options of <c>rein mcp serve</c>: Rein's four tools, with progress for clients that ask for it.</summary>
public static class ReinMcpServer
{
    /// <summary>The version reported to clients: this assembly's.</summary>
    public static string Version { get; } = typeof(ReinMcpServer).Assembly.GetName().Version?.ToString(3) ?? "0.1.0";

    /// <summary>Creates the options of a server offering <paramref name="tools"/> (stdio).</summary>
    /// <param name="tools">The tools.</param>
    /// <returns>Options for <see cref="McpServer.Create"/>.</returns>
    public static McpServerOptions CreateOptions(ReinMcpTools tools)
    {
        ArgumentNullException.ThrowIfNull(tools);
        var options = new McpServerOptions();
        Configure(options, _ => tools);
        return options;
    }

    /// <summary>Sets a server's identity, instructions and tool handlers.</summary>
    /// <param name="options">The options to set.</param>
    /// <param name="tools">Finds the tools from a request's services (HTTP) or returns them (stdio).</param>
    public static void Configure(McpServerOptions options, Func<IServiceProvider?, ReinMcpTools> tools)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(tools);
        options.ServerInfo = new Implementation { Name = "rein", Version = Version };
        options.ServerInstructions = "Rein runs a coding agent in a workspace under the user's policy, approvals and budgets. Use run_agent for a task; " +
            "when it returns awaiting_approval, ask the user and answer with answer_approval.";
        options.Handlers.ListToolsHandler = (_, _) => ValueTask.FromResult(ReinMcpTools.List());
        options.Handlers.CallToolHandler = (context, cancellationToken) =>
            tools(context.Services).CallAsync(context.Params!, context.User, Progress(context), cancellationToken);
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
