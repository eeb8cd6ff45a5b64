using System.Runtime.CompilerServices;
using Anthropic.Models.Messages;
using Microsoft.Extensions.AI;

namespace Rein.Providers;

/// <summary>
/// Marks Anthropic prompt-cache breakpoints (<c>cache_control: {type: ephemeral}</c>, the 5-minute cache) on every
/// request, through the SDK adapter's supported hooks: <c>AITool.AdditionalProperties["CacheControl"]</c> on the last
/// tool, and <see cref="AIContentCacheExtensions.WithCacheControl{T}(T, CacheControlEphemeral?)"/> on content.
/// </summary>
/// <remarks>
/// <para>
/// At most four breakpoints, the API's limit: after the tool definitions, after the system prompt, on the last
/// message (moving with the conversation, so each request writes the cache the next one reads), and on the message
/// that ended the previous request (the last one before the latest assistant turn), which keeps that read a hit even
/// when more than 20 content blocks (the API's look-back) were added since. Prefixes shorter than the model's
/// minimum cacheable length are simply not cached by the API.
/// </para>
/// <para>
/// The caller's messages, contents and tools are never modified: marked ones are copies. Thread-safe.
/// </para>
/// </remarks>
internal sealed class AnthropicPromptCaching(IChatClient inner) : DelegatingChatClient(inner)
{
    /// <summary>The tool property the adapter copies onto the tool definition (<c>nameof(Tool.CacheControl)</c>).</summary>
    private const string ToolCacheControlKey = nameof(Tool.CacheControl);

    public override Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        base.GetResponseAsync(MarkMessages(messages), MarkTools(options), cancellationToken);

    public override async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await foreach (var update in base.GetStreamingResponseAsync(MarkMessages(messages), MarkTools(options), cancellationToken).ConfigureAwait(false))
        {
            yield return update;
        }
    }

    /// <summary>Returns the messages with breakpoints after the system prompt, on the last message and on the previous request's last message.</summary>
    internal static List<ChatMessage> MarkMessages(IEnumerable<ChatMessage> messages)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var list = messages.ToList();
        var system = -1;
        while (system + 1 < list.Count && list[system + 1].Role == ChatRole.System)
        {
            system++;
        }

        var last = list.Count - 1;
        var lastAssistant = list.FindLastIndex(m => m.Role == ChatRole.Assistant);
        var previous = lastAssistant - 1;
        foreach (var index in new[] { system, last, previous }.Where(i => i >= 0 && i < list.Count).Distinct())
        {
            if (index == system || list[index].Role != ChatRole.System)
            {
                list[index] = Mark(list[index]);
            }
        }

        return list;
    }

    /// <summary>Returns options whose last tool carries a breakpoint, or the options themselves when they declare no tools.</summary>
    internal static ChatOptions? MarkTools(ChatOptions? options)
    {
        if (options?.Tools is not { Count: > 0 } tools || tools[^1] is not AIFunctionDeclaration last)
        {
            return options;
        }

        var marked = options.Clone();
        marked.Tools = [.. tools.Take(tools.Count - 1), new CachedToolDeclaration(last)];
        return marked;
    }

    private static ChatMessage Mark(ChatMessage message)
    {
        var contents = message.Contents.ToList();
        for (var i = contents.Count - 1; i >= 0; i--)
        {
            if (Copy(contents[i]) is { } copy)
            {
                contents[i] = copy.WithCacheControl(new CacheControlEphemeral());
                var clone = message.Clone();
                clone.Contents = contents;
                return clone;
            }
        }

        return message;
    }

    /// <summary>Copies the content kinds a breakpoint can mark (text, tool use, tool result); null for the others.</summary>
    private static AIContent? Copy(AIContent content)
    {
        AIContent? copy = content switch
        {
            TextContent { Text.Length: > 0 } text => new TextContent(text.Text) { Annotations = text.Annotations },
            FunctionCallContent call => new FunctionCallContent(call.CallId, call.Name, call.Arguments) { Exception = call.Exception },
            FunctionResultContent result => new FunctionResultContent(result.CallId, result.Result) { Exception = result.Exception },
            _ => null,
        };
        if (copy is not null)
        {
            copy.RawRepresentation = content.RawRepresentation;
            copy.AdditionalProperties = content.AdditionalProperties?.Clone();
        }

        return copy;
    }

    /// <summary>A tool declaration with a cache breakpoint after it.</summary>
    private sealed class CachedToolDeclaration(AIFunctionDeclaration inner) : AIFunctionDeclaration
    {
        private readonly Dictionary<string, object?> _properties = new(inner.AdditionalProperties) { [ToolCacheControlKey] = new CacheControlEphemeral() };

        public override string Name => inner.Name;

        public override string Description => inner.Description;

        public override System.Text.Json.JsonElement JsonSchema => inner.JsonSchema;

        public override System.Text.Json.JsonElement? ReturnJsonSchema => inner.ReturnJsonSchema;

        public override IReadOnlyDictionary<string, object?> AdditionalProperties => _properties;

        public override object? GetService(System.Type serviceType, object? serviceKey = null) =>
            base.GetService(serviceType, serviceKey) ?? inner.GetService(serviceType, serviceKey);
    }
}
