using System.Collections.Frozen;
using Microsoft.Extensions.AI;

namespace Rein.Tools;

/// <summary>The tools available to one agent, looked up by name.</summary>
public sealed class ToolSet
{
    private readonly FrozenDictionary<string, ITool> _byName;

    /// <summary>Creates a tool set.</summary>
    /// <param name="tools">The tools; names must be unique.</param>
    /// <exception cref="ArgumentException">Two tools share a name.</exception>
    public ToolSet(IEnumerable<ITool> tools)
    {
        ArgumentNullException.ThrowIfNull(tools);
        Tools = [.. tools];
        var duplicate = Tools.GroupBy(t => t.Definition.Name, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            throw new ArgumentException($"Two tools are named '{duplicate.Key}'.", nameof(tools));
        }

        _byName = Tools.ToFrozenDictionary(t => t.Definition.Name, StringComparer.Ordinal);
        Declarations = [.. Tools.Select(t => ToolSchemas.Declaration(t.Definition))];
    }

    /// <summary>Gets the tools in registration order.</summary>
    public IReadOnlyList<ITool> Tools { get; }

    /// <summary>Gets the tools as declarations for <see cref="ChatOptions.Tools"/>.</summary>
    public IReadOnlyList<AITool> Declarations { get; }

    /// <summary>Finds a tool by name.</summary>
    /// <param name="name">The tool name.</param>
    /// <param name="tool">The tool, when found.</param>
    /// <returns>Whether the tool exists.</returns>
    public bool TryGet(string name, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out ITool? tool) => _byName.TryGetValue(name, out tool);
}
