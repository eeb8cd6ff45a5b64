using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.Extensions.AI;

namespace Rein.Tools;

/// <summary>
/// Tool schemas and model-facing declarations shared by every session of the process: a tool's schema is parsed,
/// and its declaration built, once per distinct tool instead of once per session.
/// </summary>
/// <remarks>
/// <para>
/// Every session builds its own tools, and a server runs hundreds of sessions at once; each kept its own parsed copy of
/// the same dozen schemas (about 15 KB a session) for as long as it ran. A schema or declaration returned here is
/// immutable and safe to share.
/// </para>
/// <para>
/// Each cache keeps at most <see cref="MaxEntries"/> entries and starts over when full, so a process that meets ever new
/// tools (e.g. from MCP servers) does not grow without bound. Thread-safe.
/// </para>
/// </remarks>
public static class ToolSchemas
{
    /// <summary>The most schemas, and declarations, each cache keeps before it starts over.</summary>
    public const int MaxEntries = 1024;

    private static readonly BoundedCache<string, JsonElement> Schemas = new(StringComparer.Ordinal);
    private static readonly BoundedCache<DeclarationKey, AIFunctionDeclaration> Declarations = new(DeclarationKeyComparer.Instance);

    /// <summary>Parses a tool's JSON schema, returning the element every caller with the same text shares.</summary>
    /// <param name="json">The schema's JSON text.</param>
    /// <returns>The schema; it does not depend on any disposable document.</returns>
    /// <exception cref="JsonException"><paramref name="json"/> is not valid JSON.</exception>
    public static JsonElement Parse(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        return Schemas.GetOrAdd(json, static text =>
        {
            using var document = JsonDocument.Parse(text);
            return document.RootElement.Clone();
        });
    }

    /// <summary>Returns the declaration shown to the model for <paramref name="definition"/>, shared by every tool with the same name, description and schema.</summary>
    /// <param name="definition">The tool's definition.</param>
    /// <returns>The declaration.</returns>
    public static AIFunctionDeclaration Declaration(ToolDefinition definition)
    {
        ArgumentNullException.ThrowIfNull(definition);
        return Declarations.GetOrAdd(
            new DeclarationKey(definition.Name, definition.Description, definition.ParametersSchema),
            static key => AIFunctionFactory.CreateDeclaration(key.Name, key.Description, key.Schema));
    }

    private readonly record struct DeclarationKey(string Name, string Description, JsonElement Schema);

    /// <summary>Compares declarations by name, description and the schema's content (not its document).</summary>
    private sealed class DeclarationKeyComparer : IEqualityComparer<DeclarationKey>
    {
        public static DeclarationKeyComparer Instance { get; } = new();

        public bool Equals(DeclarationKey x, DeclarationKey y) =>
            string.Equals(x.Name, y.Name, StringComparison.Ordinal)
            && string.Equals(x.Description, y.Description, StringComparison.Ordinal)
            && JsonElement.DeepEquals(x.Schema, y.Schema);

        public int GetHashCode(DeclarationKey obj) =>
            HashCode.Combine(StringComparer.Ordinal.GetHashCode(obj.Name), StringComparer.Ordinal.GetHashCode(obj.Description));
    }

    /// <summary>A dictionary that starts over when it holds <see cref="MaxEntries"/> entries.</summary>
    private sealed class BoundedCache<TKey, TValue>(IEqualityComparer<TKey> comparer)
        where TKey : notnull
    {
        private readonly ConcurrentDictionary<TKey, TValue> _entries = new(comparer);

        public TValue GetOrAdd(TKey key, Func<TKey, TValue> create)
        {
            if (_entries.TryGetValue(key, out var value))
            {
                return value;
            }

            if (_entries.Count >= MaxEntries)
            {
                _entries.Clear();
            }

            return _entries.GetOrAdd(key, create);
        }
    }
}
