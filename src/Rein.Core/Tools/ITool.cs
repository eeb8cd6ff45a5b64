using System.Text.Json;

namespace Rein.Tools;

/// <summary>A tool the agent can call.</summary>
/// <remarks>Implementations must be safe to call concurrently: the loop runs parallel tool calls at once.</remarks>
public interface ITool
{
    /// <summary>Gets the tool's name, description and argument schema as shown to the model.</summary>
    ToolDefinition Definition { get; }

    /// <summary>Runs the tool.</summary>
    /// <param name="invocation">The call: its arguments (already validated against the schema) and context.</param>
    /// <param name="cancellationToken">A token to cancel the call.</param>
    /// <returns>The observation for the model. Failures the model can act on are results with <see cref="ToolResult.IsError"/> set, not exceptions.</returns>
    ValueTask<ToolResult> InvokeAsync(ToolInvocation invocation, CancellationToken cancellationToken = default);
}

/// <summary>What the model is told about a tool.</summary>
/// <param name="Name">The tool name, e.g. <c>read_file</c>.</param>
/// <param name="Description">What the tool does and when to use it.</param>
/// <param name="ParametersSchema">The JSON schema of the arguments object.</param>
/// <param name="ReadOnly">Whether the tool never changes the workspace or the outside world.</param>
public sealed record ToolDefinition(string Name, string Description, JsonElement ParametersSchema, bool ReadOnly = false)
{
    /// <summary>
    /// Gets whether calls may run beside other such calls of the same answer although the tool does not count as
    /// <see cref="ReadOnly"/> for the policy (an MCP tool whose server says it only reads). Defaults to <see langword="false"/>.
    /// </summary>
    public bool Concurrent { get; init; }
}

/// <summary>One call of a tool.</summary>
/// <param name="CallId">The call identifier.</param>
/// <param name="Arguments">The arguments object.</param>
/// <param name="Context">Where the call runs.</param>
public sealed record ToolInvocation(string CallId, JsonElement Arguments, ToolContext Context);

/// <summary>Where a tool call runs.</summary>
/// <param name="SessionId">The session.</param>
/// <param name="WorkspaceRoot">The absolute, canonical path of the workspace. File tools must stay inside it.</param>
public sealed record ToolContext(string SessionId, string WorkspaceRoot)
{
    /// <summary>Gets the clock tools should read. Defaults to <see cref="TimeProvider.System"/>.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>Gets the editor the session works for, whose files the file tools read and write (unsaved changes included); null to use the disk.</summary>
    public IEditorFiles? Editor { get; init; }

    /// <summary>Gets a sink for progress lines shown to the user while the tool works, if any.</summary>
    public IProgress<string>? Progress { get; init; }

    /// <summary>Gets the 1-based step (model call) whose answer asked for this call, or 0 when unknown.</summary>
    public int Step { get; init; }

    /// <summary>
    /// Gets the session's file policy, which file tools apply to the real target of every file they read or write;
    /// <see langword="null"/> when no policy is in force (then only the workspace boundary applies). Set by the policy stage.
    /// </summary>
    public IFileAccess? FileAccess { get; init; }

    /// <summary>
    /// Gets the policy a tool that makes network requests consults for each destination beyond the one the call
    /// named (redirects) and for non-public addresses, or null when no policy is in force (then only public
    /// addresses are reached and redirects are judged by address alone).
    /// </summary>
    public IRequestPolicy? RequestPolicy { get; init; }

    /// <summary>
    /// Gets the values the call's output is redacted for, if any. A tool that shortens its output cuts around them
    /// (<see cref="IOutputRedactor.SpanAcross"/>), so the redaction applied to the result still finds each one whole.
    /// </summary>
    public IOutputRedactor? Redactor { get; init; }
}

/// <summary>What a tool that makes network requests must ask before contacting a destination.</summary>
/// <remarks>Implementations must be thread-safe.</remarks>
public interface IRequestPolicy
{
    /// <summary>Judges a URL the tool was redirected to, as if the model had asked for it.</summary>
    /// <param name="url">The absolute URL of the next hop.</param>
    /// <returns>Null when the policy allows it; otherwise why not (a hop the policy would ask about is refused too).</returns>
    string? CheckRedirect(Uri url);

    /// <summary>Whether a rule names the URL's host or the address, so that a non-public address may be reached.</summary>
    /// <param name="url">The URL being fetched.</param>
    /// <param name="address">The address the host resolved to, judged not public by <see cref="NetworkAddresses"/>.</param>
    /// <returns><see langword="true"/> when an allow rule names the host (e.g. <c>fetch_url(domain:localhost)</c>) or the address.</returns>
    bool NamesDestination(Uri url, System.Net.IPAddress address);
}

/// <summary>A tool's observation.</summary>
/// <param name="Content">The text sent back to the model.</param>
/// <param name="IsError">Whether the call failed.</param>
public sealed record ToolResult(string Content, bool IsError = false)
{
    /// <summary>Gets whether <see cref="Content"/> was cut to fit an output cap.</summary>
    public bool Truncated { get; init; }

    /// <summary>Gets the length in characters of the output before any cut, or 0 when not cut.</summary>
    public long OriginalLength { get; init; }

    /// <summary>Gets facts the call produced that belong in the journal (e.g. refused network connections); journaled with the result.</summary>
    public IReadOnlyList<Journal.SessionEvent> Facts { get; init; } = [];

    /// <summary>Creates a successful result.</summary>
    /// <param name="content">The observation.</param>
    /// <returns>The result.</returns>
    public static ToolResult Ok(string content) => new(content);

    /// <summary>Creates a failed result with a message the model can act on.</summary>
    /// <param name="message">What went wrong and, where possible, what to do instead.</param>
    /// <returns>The result.</returns>
    public static ToolResult Error(string message) => new(message, IsError: true);
}
