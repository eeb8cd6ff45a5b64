using System.Text;
using Rein.Tools;

namespace Rein.Mcp.Configuration;

/// <summary>Expands <c>${env:NAME}</c> and <c>${secret:NAME}</c> in a configured value when a server starts.</summary>
/// <remarks>
/// Expanded values go only to the server's process or HTTP requests: never to the journal, the model or a listing. A name
/// that is not set is an error naming the variable or secret (not its value), so a server never starts with a half-filled
/// token. <c>$${</c> writes a literal <c>${</c>.
/// </remarks>
public sealed class McpValues
{
    private readonly Func<string, string?> _environment;
    private readonly ISecretResolver? _secrets;
    private readonly List<string> _secretValues = [];

    /// <summary>Creates an expander.</summary>
    /// <param name="environment">Reads Rein's environment variables.</param>
    /// <param name="secrets">The secret store, or null when there is none (then <c>${secret:…}</c> is an error).</param>
    public McpValues(Func<string, string?> environment, ISecretResolver? secrets)
    {
        ArgumentNullException.ThrowIfNull(environment);
        _environment = environment;
        _secrets = secrets;
    }

    /// <summary>Gets the values of the secrets expanded so far, for redaction of what the server sends back.</summary>
    public IReadOnlyList<string> SecretValues => _secretValues;

    /// <summary>Expands one value.</summary>
    /// <param name="value">The value as configured.</param>
    /// <param name="where">Where it is configured, for the error, e.g. <c>mcpServers.github.env.TOKEN</c>.</param>
    /// <returns>The expanded value.</returns>
    /// <exception cref="McpConfigException">A reference is malformed, or names an unset variable or a missing secret.</exception>
    public string Expand(string value, string where)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (!value.Contains("${", StringComparison.Ordinal))
        {
            return value;
        }

        var text = new StringBuilder(value.Length);
        var i = 0;
        while (i < value.Length)
        {
            if (value[i] == '$' && i + 2 < value.Length && value[i + 1] == '$' && value[i + 2] == '{')
            {
                text.Append("${");
                i += 3;
                continue;
            }

            if (value[i] != '$' || i + 1 >= value.Length || value[i + 1] != '{')
            {
                text.Append(value[i++]);
                continue;
            }

            var end = value.IndexOf('}', i);
            if (end < 0)
            {
                throw new McpConfigException($"{where}: '${{' is not closed; write ${{env:NAME}} or ${{secret:NAME}}.");
            }

            var reference = value[(i + 2)..end];
            text.Append(Resolve(reference, where));
            i = end + 1;
        }

        return text.ToString();
    }

    /// <summary>Expands every value of a map.</summary>
    /// <param name="values">The configured values by name.</param>
    /// <param name="where">Where the map is configured.</param>
    /// <returns>The expanded values.</returns>
    /// <exception cref="McpConfigException">A value cannot be expanded.</exception>
    public Dictionary<string, string> Expand(IReadOnlyDictionary<string, string> values, string where)
    {
        ArgumentNullException.ThrowIfNull(values);
        return values.ToDictionary(v => v.Key, v => Expand(v.Value, $"{where}.{v.Key}"), StringComparer.Ordinal);
    }

    private string Resolve(string reference, string where)
    {
        var colon = reference.IndexOf(':', StringComparison.Ordinal);
        var kind = colon > 0 ? reference[..colon] : "";
        var name = colon > 0 ? reference[(colon + 1)..] : reference;
        switch (kind)
        {
            case "env":
                return _environment(name) ?? throw new McpConfigException($"{where}: the environment variable {name} is not set.");
            case "secret":
                if (_secrets is null || !_secrets.TryGetSecret(name, out var secret))
                {
                    throw new McpConfigException($"{where}: there is no secret named {name} (add it with `rein secrets set {name}`).");
                }

                _secretValues.Add(secret);
                return secret;
            default:
                throw new McpConfigException($"{where}: '${{{reference}}}' is not ${{env:NAME}} or ${{secret:NAME}}.");
        }
    }
}
