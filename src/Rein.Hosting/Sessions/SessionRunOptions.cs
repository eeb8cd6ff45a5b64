using Rein.Engine;
using Rein.Hosting.Composition;
using Rein.Hosting.Configuration;

namespace Rein.Hosting.Sessions;

/// <summary>
/// How a caller that runs a session in its own foreground (the CLI's terminal) has it composed, and who sees and answers what it
/// does; the host's background runs are composed from <see cref="ReinOptions"/> and the journal instead.
/// </summary>
internal sealed record SessionRunOptions
{
    /// <summary>Gets the settings the session runs with, resolved by the caller (flags, settings files, what a resumed session recorded); their store must be the host's.</summary>
    public required ResolvedSettings Settings { get; init; }

    /// <summary>Gets the model specification; null for the settings' model (one is required).</summary>
    public string? Model { get; init; }

    /// <summary>Gets who the session runs for; null (the default) for the host's principal, else the OS user, who then answers approvals as today.</summary>
    public string? Principal { get; init; }

    /// <summary>
    /// Gets what makes the channel that asks a person about tool calls while the run goes on (given the run's composition: its
    /// approver, workspace and redactor); null, or a factory that returns null, suspends the session on an <c>ask</c>. The run
    /// disposes the channel when it is <see cref="IDisposable"/>.
    /// </summary>
    public Func<AgentHost, IApprovalChannel?>? Approvals { get; init; }

    /// <summary>Gets what sees every update of the run (the first event of a new session, text deltas, journaled events) in order, on the run's thread; null for none.</summary>
    public Action<AgentUpdate>? OnUpdate { get; init; }

    /// <summary>Gets what turns an interrupt (Ctrl-C) into cancellation of the loop run going on; null for none.</summary>
    public IRunInterrupts? Interrupts { get; init; }

    /// <summary>Gets MCP servers for this run besides those of the settings (e.g. an editor's), which win over settings servers of the same name. Defaults to none.</summary>
    public IReadOnlyList<Rein.Mcp.Configuration.McpServerEntry> McpServers { get; init; } = [];

    /// <summary>Gets the editor whose files the session's file tools read and write (unsaved changes included); null for the disk.</summary>
    public Rein.Tools.IEditorFiles? Editor { get; init; }

    /// <summary>Gets where the warnings a person should see go, one line each; null logs them.</summary>
    public Action<string>? Notice { get; init; }

    /// <summary>
    /// Gets, when continuing, the values given for this run (flags): those that differ from <see cref="Recorded"/> are journaled as
    /// <see cref="Journal.RunSettingsChanged"/>; null journals nothing.
    /// </summary>
    public SettingsValues? Flags { get; init; }

    /// <summary>Gets, when continuing, the values the session runs with per its journal; null for a session that recorded none (its model and agent then).</summary>
    public SettingsValues? Recorded { get; init; }
}
