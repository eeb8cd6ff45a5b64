using System.Text.Json;
using System.Text.RegularExpressions;

namespace Rein.Mcp.Configuration;

/// <summary>A configured MCP server that is not well formed; the message names the file and the key.</summary>
public sealed class McpConfigException(string message) : Exception(message);

/// <summary>
/// Reads MCP servers from the <c>mcpServers</c> object of a settings file or a <c>.mcp.json</c>, in the shape Claude Code
/// uses: <c>{"NAME": {"command", "args", "env"}}</c> for stdio, <c>{"type": "http", "url", "headers"}</c> for Streamable
/// HTTP, <c>"type": "sse"</c> for the legacy transport; Rein adds <c>timeout</c> (seconds) and <c>sandbox</c>
/// (<c>false</c>, or <c>{"network": [DOMAIN...]}</c>).
/// </summary>
public static partial class McpConfig
{
    /// <summary>The project file of MCP servers, at the workspace's root.</summary>
    public const string ProjectFile = ".mcp.json";

    /// <summary>The key that holds the servers.</summary>
    public const string Key = "mcpServers";

    /// <summary>Reads the servers of one document.</summary>
    /// <param name="root">The document's root object (which holds <c>mcpServers</c>).</param>
    /// <param name="source">The file, for error messages and listings.</param>
    /// <returns>The servers in document order; none when the document has no <c>mcpServers</c>.</returns>
    /// <exception cref="McpConfigException">A server is not well formed.</exception>
    public static IReadOnlyList<McpServerEntry> Read(JsonElement root, string source)
    {
        ArgumentNullException.ThrowIfNull(source);
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty(Key, out var servers) || servers.ValueKind == JsonValueKind.Null)
        {
            return [];
        }

        if (servers.ValueKind != JsonValueKind.Object)
        {
            throw new McpConfigException($"{source}: {Key} must be an object of servers by name.");
        }

        var entries = new List<McpServerEntry>();
        foreach (var server in servers.EnumerateObject())
        {
            entries.Add(ReadServer(server.Name, server.Value, source));
        }

        return entries;
    }

    /// <summary>Merges servers from several sources, lowest precedence first: a later server of the same name replaces an earlier one.</summary>
    /// <param name="sources">The servers of each source, lowest precedence first.</param>
    /// <returns>The servers by name, in the order they were first defined.</returns>
    public static IReadOnlyList<McpServerEntry> Merge(IEnumerable<IReadOnlyList<McpServerEntry>> sources)
    {
        ArgumentNullException.ThrowIfNull(sources);
        var merged = new List<McpServerEntry>();
        foreach (var entry in sources.SelectMany(s => s))
        {
            var index = merged.FindIndex(e => e.Name == entry.Name);
            if (index >= 0)
            {
                merged[index] = entry;
            }
            else
            {
                merged.Add(entry);
            }
        }

        return merged;
    }

    /// <summary>Whether a text may name a server: letters, digits, <c>-</c> and single <c>_</c>, at most 40 characters.</summary>
    /// <param name="name">The name.</param>
    /// <returns><see langword="true"/> when it is valid.</returns>
    /// <remarks>A double underscore would make <c>mcp__SERVER__TOOL</c> ambiguous.</remarks>
    public static bool IsValidName(string name) => name is { Length: > 0 and <= 40 } && ServerName().IsMatch(name) && !name.Contains("__", StringComparison.Ordinal);

    private static McpServerEntry ReadServer(string name, JsonElement value, string source)
    {
        var where = $"{source}: {Key}.{name}";
        if (!IsValidName(name))
        {
            throw new McpConfigException($"{where}: a server name may only have letters, digits, '-' and single '_' (at most 40).");
        }

        if (value.ValueKind != JsonValueKind.Object)
        {
            throw new McpConfigException($"{where} must be an object with \"command\" (stdio) or \"url\" (http).");
        }

        var type = String(value, "type", where);
        var url = String(value, "url", where);
        var command = String(value, "command", where);
        var transport = type switch
        {
            null => url is not null && command is null ? McpTransport.Http : McpTransport.Stdio,
            "stdio" => McpTransport.Stdio,
            "http" or "streamable-http" or "streamableHttp" => McpTransport.Http,
            "sse" => McpTransport.Sse,
            _ => throw new McpConfigException($"{where}.type: '{type}' is not stdio, http or sse."),
        };
        var timeout = McpServerEntry.DefaultTimeout;
        if (value.TryGetProperty("timeout", out var t) && t.ValueKind != JsonValueKind.Null)
        {
            if (t.ValueKind != JsonValueKind.Number || !t.TryGetDouble(out var seconds) || seconds <= 0 || seconds > 86_400)
            {
                throw new McpConfigException($"{where}.timeout must be a number of seconds between 0 and 86400.");
            }

            timeout = TimeSpan.FromSeconds(seconds);
        }

        var (sandboxed, network) = ReadSandbox(value, where);
        var entry = new McpServerEntry(name, transport, source)
        {
            Command = command,
            Args = Strings(value, "args", where),
            Env = Map(value, "env", where),
            Url = url,
            Headers = Map(value, "headers", where),
            Timeout = timeout,
            Sandboxed = sandboxed,
            Network = network,
        };
        switch (transport)
        {
            case McpTransport.Stdio when string.IsNullOrWhiteSpace(command):
                throw new McpConfigException($"{where}: a stdio server needs \"command\".");
            case McpTransport.Http or McpTransport.Sse when string.IsNullOrWhiteSpace(url):
                throw new McpConfigException($"{where}: an {(transport == McpTransport.Http ? "http" : "sse")} server needs \"url\".");
            case McpTransport.Http or McpTransport.Sse when !url!.Contains("${", StringComparison.Ordinal)
                && (!Uri.TryCreate(url, UriKind.Absolute, out var parsed) || parsed.Scheme is not ("http" or "https")):
                throw new McpConfigException($"{where}.url: '{url}' is not an absolute http(s) URL.");
            case McpTransport.Stdio:
            case McpTransport.Http:
            case McpTransport.Sse:
            default:
                return entry;
        }
    }

    private static (bool Sandboxed, IReadOnlyList<string> Network) ReadSandbox(JsonElement value, string where)
    {
        if (!value.TryGetProperty("sandbox", out var sandbox) || sandbox.ValueKind == JsonValueKind.Null)
        {
            return (true, []);
        }

        return sandbox.ValueKind switch
        {
            JsonValueKind.False => (false, []),
            JsonValueKind.True => (true, []),
            JsonValueKind.Object => (true, Strings(sandbox, "network", where + ".sandbox")),
            _ => throw new McpConfigException($"{where}.sandbox must be false or an object like {{\"network\": [\"api.github.com\"]}}."),
        };
    }

    private static string? String(JsonElement value, string key, string where)
    {
        if (!value.TryGetProperty(key, out var property) || property.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        return property.ValueKind == JsonValueKind.String ? property.GetString() : throw new McpConfigException($"{where}.{key} must be a string.");
    }

    private static string[] Strings(JsonElement value, string key, string where)
    {
        if (!value.TryGetProperty(key, out var property) || property.ValueKind == JsonValueKind.Null)
        {
            return [];
        }

        if (property.ValueKind != JsonValueKind.Array || property.EnumerateArray().Any(a => a.ValueKind != JsonValueKind.String))
        {
            throw new McpConfigException($"{where}.{key} must be an array of strings.");
        }

        return [.. property.EnumerateArray().Select(a => a.GetString()!)];
    }

    private static Dictionary<string, string> Map(JsonElement value, string key, string where)
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        if (!value.TryGetProperty(key, out var property) || property.ValueKind == JsonValueKind.Null)
        {
            return map;
        }

        if (property.ValueKind != JsonValueKind.Object)
        {
            throw new McpConfigException($"{where}.{key} must be an object of strings.");
        }

        foreach (var item in property.EnumerateObject())
        {
            map[item.Name] = item.Value.ValueKind == JsonValueKind.String
                ? item.Value.GetString()!
                : throw new McpConfigException($"{where}.{key}.{item.Name} must be a string.");
        }

        return map;
    }

    [GeneratedRegex("^[A-Za-z0-9_-]+$")]
    private static partial Regex ServerName();
}
