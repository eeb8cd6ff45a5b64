using System.Collections;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Rein.Guard.Sandbox;
using Rein.Mcp.Configuration;
using Rein.Tools;

namespace Rein.Mcp.Client;

/// <summary>Where and how a session's MCP servers start: its workspace, its sandbox, the environment they may inherit, and the values they may name.</summary>
/// <param name="Workspace">The session's workspace (absolute): stdio servers start there, and it is the only folder they may write.</param>
/// <param name="Sandbox">The sandbox the session's commands run in, or null when the session runs without one (<c>--sandbox none</c>).</param>
/// <param name="Environment">Which of Rein's environment variables a server inherits (the same allow-list as shell commands).</param>
/// <param name="Values">Expands <c>${env:NAME}</c> and <c>${secret:NAME}</c>.</param>
public sealed record McpLaunch(string Workspace, SandboxOptions? Sandbox, CommandEnvironment Environment, McpValues Values)
{
    /// <summary>Gets the loggers for the SDK's clients. Defaults to none.</summary>
    public ILoggerFactory LoggerFactory { get; init; } = NullLoggerFactory.Instance;

    /// <summary>Gets Rein's environment variables (for tests). Defaults to this process's.</summary>
    public Func<IDictionary> ReadEnvironment { get; init; } = System.Environment.GetEnvironmentVariables;

    /// <summary>Whether a server of <paramref name="entry"/> runs inside the sandbox.</summary>
    /// <param name="entry">The server.</param>
    /// <returns><see langword="true"/> for a stdio server that has not opted out, when the session has a sandbox.</returns>
    public bool Sandboxes(McpServerEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        return entry.Transport == McpTransport.Stdio && entry.Sandboxed && Sandbox is not null;
    }

    /// <summary>The variables a stdio server starts with: Rein's that pass the allow-list, then the entry's own.</summary>
    internal Dictionary<string, string?> ServerEnvironment(McpServerEntry entry, IReadOnlyDictionary<string, string?> sandboxChanges)
    {
        var variables = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (DictionaryEntry variable in ReadEnvironment())
        {
            if (variable.Key is string name && Environment.Passes(name))
            {
                variables[name] = variable.Value as string;
            }
        }

        foreach (var (name, value) in sandboxChanges)
        {
            variables[name] = value;
        }

        foreach (var (name, value) in Values.Expand(entry.Env, $"{entry.Source}: {McpConfig.Key}.{entry.Name}.env"))
        {
            variables[name] = value;
        }

        return variables;
    }
}
