using System.Security.Cryptography;
using System.Text;

namespace Rein.Mcp.Client;

/// <summary>
/// The names MCP tools are offered to the model under: <c>mcp__SERVER__TOOL</c>, valid for every provider's tool-name
/// rules (<c>^[a-zA-Z0-9_-]{1,64}$</c>).
/// </summary>
/// <remarks>
/// Characters outside the rule become <c>_</c>. A name longer than 64 characters, or one that two tools of a server would
/// share once cleaned, is cut and ends in <c>_</c> and 8 hexadecimal digits of a SHA-256 of the server's and the tool's
/// real names, so the same tool always gets the same name. <c>rein mcp list</c> shows every name that differs from the
/// tool's own.
/// </remarks>
public static class McpToolNames
{
    /// <summary>The longest tool name every provider accepts.</summary>
    public const int MaxLength = 64;

    /// <summary>The prefix of every MCP tool's name.</summary>
    public const string Prefix = "mcp__";

    /// <summary>Names the tools of one server.</summary>
    /// <param name="server">The server's name (valid per <see cref="Configuration.McpConfig.IsValidName"/>).</param>
    /// <param name="tools">The tools' names as the server gives them.</param>
    /// <returns>The model-facing name of each tool, in the same order; all distinct.</returns>
    public static IReadOnlyList<string> For(string server, IReadOnlyList<string> tools)
    {
        ArgumentNullException.ThrowIfNull(server);
        ArgumentNullException.ThrowIfNull(tools);
        var plain = tools.Select(t => Prefix + Clean(server) + "__" + Clean(t)).ToList();
        var shared = plain.GroupBy(n => n, StringComparer.Ordinal).Where(g => g.Count() > 1).Select(g => g.Key).ToHashSet(StringComparer.Ordinal);
        return [.. plain.Select((name, i) => name.Length <= MaxLength && !shared.Contains(name) ? name : Hashed(name, server, tools[i]))];
    }

    private static string Hashed(string name, string server, string tool)
    {
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(server + "\0" + tool)))[..8];
        var keep = Math.Min(name.Length, MaxLength - 9);
        return name[..keep] + "_" + hash;
    }

    private static string Clean(string name)
    {
        var text = new StringBuilder(name.Length);
        foreach (var c in name)
        {
            text.Append(char.IsAsciiLetterOrDigit(c) || c is '_' or '-' ? c : '_');
        }

        return text.Length == 0 ? "_" : text.ToString();
    }
}
