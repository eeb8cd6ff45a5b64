using Microsoft.Extensions.Logging;
using Rein.Guard.Sandbox;
using Rein.Hosting.Configuration;
using Rein.Mcp.Client;
using Rein.Mcp.Configuration;
using Rein.Tools;

namespace Rein.Hosting.Composition;

/// <summary>The MCP servers of a session's settings, and how they start.</summary>
/// <remarks>
/// Servers come from <c>mcpServers</c> in the user's settings, the workspace's <c>.mcp.json</c>, the project's settings and
/// the managed settings, in that order of precedence (a later server of the same name wins). A project's servers (its
/// <c>.mcp.json</c> and its settings' <c>mcpServers</c>) count only in a trusted folder: elsewhere they are reported as
/// ignored (<see cref="SettingsResolver"/>).
/// </remarks>
internal static class McpSetup
{
    /// <summary>The servers configured for a workspace.</summary>
    /// <exception cref="SettingsException">A server entry or the <c>.mcp.json</c> file is not well formed.</exception>
    public static IReadOnlyList<McpServerEntry> Servers(ResolvedSettings settings, string workspace)
    {
        var sources = new List<IReadOnlyList<McpServerEntry>>();
        try
        {
            foreach (var document in settings.Documents.Where(d => d.Source == "user"))
            {
                sources.Add(McpConfig.Read(document.Root, document.Path));
            }

            var projectFile = Path.Combine(workspace, McpConfig.ProjectFile);
            if (settings.ProjectTrusted && File.Exists(projectFile))
            {
                sources.Add(McpConfig.Read(SettingsFile.Load(projectFile).Root, projectFile));
            }

            foreach (var document in settings.Documents.Where(d => d.Source is "project" or "managed"))
            {
                sources.Add(McpConfig.Read(document.Root, document.Path));
            }
        }
        catch (McpConfigException ex)
        {
            throw new SettingsException(ex.Message);
        }

        return McpConfig.Merge(sources);
    }

    /// <summary>Where and how a session's servers start: its workspace and sandbox, and the environment allow-list of its shell commands.</summary>
    public static McpLaunch Launch(ResolvedSettings settings, string workspace, ISecretResolver? secrets, ILoggerFactory loggerFactory)
    {
        var (runner, _) = GuardSetup.CreateCommandRunner(settings, workspace);
        var sandbox = (runner as BubblewrapCommandRunner)?.Options;
        var names = sandbox?.EnvironmentNames ?? GuardSetup.SandboxOptionsFor(settings).EnvironmentNames;
        return new McpLaunch(workspace, sandbox, new CommandEnvironment(names), new McpValues(Environment.GetEnvironmentVariable, secrets))
        {
            LoggerFactory = loggerFactory,
        };
    }
}
