using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;
using OpenAI.Chat;

namespace Rein.Providers;

/// <summary>
/// The OpenAI chat-completions tool definitions (<see cref="ChatTool"/>) converted from <see cref="AIFunctionDeclaration"/>s,
/// kept per declaration instance and, across instances (every session builds its own), by content.
/// </summary>
/// <remarks>
/// <para>
/// Converting a declaration parses and re-serializes its JSON schema; a server sends the same tools on every model
/// request of every session, so each distinct tool is converted once per process instead.
/// </para>
/// <para>
/// A declaration is taken not to change once created (those of <see cref="AIFunctionFactory"/> cannot).
/// A <see cref="ChatTool"/> is shared by every request that sends it: the SDK only reads it while serializing a request.
/// The content index holds at most <see cref="MaxEntries"/> tools and starts over when full, so a process that meets
/// ever new tools (e.g. from MCP servers) does not grow without bound. Thread-safe.
/// </para>
/// </remarks>
internal sealed class OpenAIChatToolCache
{
    /// <summary>The most tools the content index keeps before it starts over.</summary>
    internal const int MaxEntries = 1024;

    /// <summary>The property (on a tool or on the request) that asks the adapter for strict schema handling.</summary>
    internal const string StrictKey = "strict";

    private readonly ConditionalWeakTable<AIFunctionDeclaration, ChatTool> _byInstance = [];
    private readonly ConcurrentDictionary<ToolContent, ChatTool> _byContent = new();
    private int _contentEntries;
    private long _conversions;

    /// <summary>Gets the cache shared by every OpenAI chat-completions client of the process.</summary>
    public static OpenAIChatToolCache Shared { get; } = new();

    /// <summary>Gets how many declarations were converted (not found in the cache) so far.</summary>
    public long Conversions => Interlocked.Read(ref _conversions);

    /// <summary>Returns the tool definition the chat-completions adapter would send for <paramref name="declaration"/> when the request sets no <c>strict</c> property.</summary>
    public ChatTool Get(AIFunctionDeclaration declaration)
    {
        if (_byInstance.TryGetValue(declaration, out var tool))
        {
            return tool;
        }

        // A declaration's own strict flag changes its conversion, so it is part of the content.
        var strict = declaration.AdditionalProperties.TryGetValue(StrictKey, out var value) && value is bool flag ? flag : (bool?)null;
        var content = new ToolContent(declaration.Name, declaration.Description, declaration.JsonSchema.GetRawText(), strict);
        if (!_byContent.TryGetValue(content, out tool))
        {
            tool = declaration.AsOpenAIChatTool();
            Interlocked.Increment(ref _conversions);
            if (Interlocked.Increment(ref _contentEntries) > MaxEntries)
            {
                _byContent.Clear();
                Interlocked.Exchange(ref _contentEntries, 1);
            }

            tool = _byContent.GetOrAdd(content, tool);
        }

        _byInstance.TryAdd(declaration, tool);
        return tool;
    }

    private readonly record struct ToolContent(string Name, string Description, string Schema, bool? Strict);
}
