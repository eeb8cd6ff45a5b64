namespace Rein.Mcp.Configuration;

/// <summary>How Rein talks to an MCP server.</summary>
public enum McpTransport
{
    /// <summary>A local program speaking JSON-RPC on its standard input and output.</summary>
    Stdio,

    /// <summary>A remote server over Streamable HTTP.</summary>
    Http,

    /// <summary>A remote server over the legacy HTTP + Server-Sent Events transport.</summary>
    Sse,
}

/// <summary>One configured MCP server, as written in a settings file or <c>.mcp.json</c>.</summary>
/// <remarks>
/// Values may contain <c>${env:NAME}</c> and <c>${secret:NAME}</c>; they are kept as written here and expanded only when
/// the server starts (<see cref="McpValues"/>), so no expanded value is ever journaled or shown.
/// </remarks>
/// <param name="Name">The server's name, the <c>SERVER</c> in <c>mcp__SERVER__TOOL</c>.</param>
/// <param name="Transport">How Rein connects.</param>
/// <param name="Source">The file that defined it (the last one, when several did).</param>
public sealed record McpServerEntry(string Name, McpTransport Transport, string Source)
{
    /// <summary>The default time a call may take before it fails: 60 seconds.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(60);

    /// <summary>Gets the program to start (stdio).</summary>
    public string? Command { get; init; }

    /// <summary>Gets the program's arguments (stdio). Defaults to none.</summary>
    public IReadOnlyList<string> Args { get; init; } = [];

    /// <summary>Gets environment variables for the program (stdio). Defaults to none.</summary>
    public IReadOnlyDictionary<string, string> Env { get; init; } = new Dictionary<string, string>();

    /// <summary>Gets the server's URL (http, sse).</summary>
    public string? Url { get; init; }

    /// <summary>Gets headers sent with every request (http, sse), e.g. <c>Authorization</c>. Defaults to none.</summary>
    public IReadOnlyDictionary<string, string> Headers { get; init; } = new Dictionary<string, string>();

    /// <summary>Gets the longest a start or a call may take. Defaults to <see cref="DefaultTimeout"/>.</summary>
    public TimeSpan Timeout { get; init; } = DefaultTimeout;

    /// <summary>Gets whether a stdio server runs inside the sandbox. Defaults to <see langword="true"/>; <c>"sandbox": false</c> opts out.</summary>
    public bool Sandboxed { get; init; } = true;

    /// <summary>Gets the domains a sandboxed stdio server may reach (<c>"sandbox": {"network": [...]}</c>). Defaults to none: no network.</summary>
    public IReadOnlyList<string> Network { get; init; } = [];
}
