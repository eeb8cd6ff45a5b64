using Rein.Mcp.Configuration;
using Rein.Tools;

namespace Rein.Mcp.Client;

/// <summary>The MCP servers of one session, started together, with the tools they offer; disposing it stops them.</summary>
/// <remarks>
/// A server that cannot start does not stop the session: its failure is reported (<see cref="Failures"/>) and its tools are
/// not offered. Thread-safe.
/// </remarks>
public sealed class McpToolbox : IAsyncDisposable
{
    private readonly IReadOnlyList<McpServerConnection> _servers;

    private McpToolbox(IReadOnlyList<McpServerConnection> servers, IReadOnlyList<ITool> tools, IReadOnlyList<string> failures, IReadOnlyList<McpToolName> names, IReadOnlyList<string> unsandboxed)
    {
        _servers = servers;
        Tools = tools;
        Failures = failures;
        Names = names;
        Unsandboxed = unsandboxed;
    }

    /// <summary>A toolbox with no servers.</summary>
    public static McpToolbox Empty { get; } = new([], [], [], [], []);

    /// <summary>Gets the tools of every server that started, then the resource tools when a server offers resources.</summary>
    public IReadOnlyList<ITool> Tools { get; }

    /// <summary>Gets one message for each server that could not start.</summary>
    public IReadOnlyList<string> Failures { get; }

    /// <summary>Gets the model-facing name of every tool, with its server and its own name.</summary>
    public IReadOnlyList<McpToolName> Names { get; }

    /// <summary>Gets one sentence for each stdio server that runs outside the sandbox because its entry says <c>"sandbox": false</c>.</summary>
    public IReadOnlyList<string> Unsandboxed { get; }

    /// <summary>Starts every server (at once) and lists their tools.</summary>
    /// <param name="servers">The configured servers.</param>
    /// <param name="launch">Where and how they start.</param>
    /// <param name="cancellationToken">Cancels the starts.</param>
    /// <returns>The started servers and their tools.</returns>
    public static async Task<McpToolbox> StartAsync(IReadOnlyList<McpServerEntry> servers, McpLaunch launch, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(servers);
        ArgumentNullException.ThrowIfNull(launch);
        if (servers.Count == 0)
        {
            return Empty;
        }

        var connections = servers.Select(s => new McpServerConnection(s, launch)).ToList();
        var starts = connections.Select(c => StartOneAsync(c, cancellationToken)).ToList();
        var failures = (await Task.WhenAll(starts).ConfigureAwait(false)).OfType<string>().ToList();
        var started = connections.Where(c => c.Tools.Count > 0 || c.HasResources).ToList();
        foreach (var failed in connections.Except(started))
        {
            await failed.DisposeAsync().ConfigureAwait(false);
        }

        var tools = new List<ITool>();
        var names = new List<McpToolName>();
        foreach (var connection in started)
        {
            var modelNames = McpToolNames.For(connection.Entry.Name, [.. connection.Tools.Select(t => t.Name)]);
            for (var i = 0; i < connection.Tools.Count; i++)
            {
                tools.Add(new McpTool(connection, connection.Tools[i], modelNames[i]));
                names.Add(new McpToolName(modelNames[i], connection.Entry.Name, connection.Tools[i].Name));
            }
        }

        tools.AddRange(McpResourceTools.For(started));
        var unsandboxed = started.Where(c => c.Entry.Transport == McpTransport.Stdio && !c.Entry.Sandboxed && launch.Sandbox is not null)
            .Select(c => $"MCP server '{c.Entry.Name}' runs WITHOUT the sandbox (\"sandbox\": false in {c.Entry.Source}), with full access to this machine as the current user.")
            .ToList();
        return new McpToolbox(started, tools, failures, names, unsandboxed);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await Task.WhenAll(_servers.Select(s => s.DisposeAsync().AsTask())).ConfigureAwait(false);
    }

    private static async Task<string?> StartOneAsync(McpServerConnection connection, CancellationToken cancellationToken)
    {
        try
        {
            await connection.StartAsync(cancellationToken).ConfigureAwait(false);
            return connection.Tools.Count == 0 && !connection.HasResources ? $"MCP server '{connection.Entry.Name}' offers no tools." : null;
        }
        catch (McpStartException ex)
        {
            return ex.Message;
        }
    }
}

/// <summary>The name an MCP tool is offered to the model under.</summary>
/// <param name="Name">The model-facing name, <c>mcp__SERVER__TOOL</c> (cut and hashed when too long).</param>
/// <param name="Server">The server's name.</param>
/// <param name="Tool">The tool's own name on its server.</param>
public sealed record McpToolName(string Name, string Server, string Tool);
