using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;
using ChatCompletionOptions = OpenAI.Chat.ChatCompletionOptions;
using ChatTool = OpenAI.Chat.ChatTool;
using ChatToolChoice = OpenAI.Chat.ChatToolChoice;

namespace Rein.Providers;

/// <summary>
/// Sits directly around the OpenAI chat-completions adapter and hands it tool definitions already converted
/// (from an <see cref="OpenAIChatToolCache"/>), so the adapter does not convert every tool's schema on every request.
/// </summary>
/// <remarks>
/// <para>
/// For a request whose tools are all <see cref="AIFunctionDeclaration"/>s, the adapter gets a copy of the options without
/// <see cref="ChatOptions.Tools"/> and with a <see cref="ChatOptions.RawRepresentationFactory"/> that returns the SDK options
/// the adapter would have built from them: the caller's own factory result (if any) plus the converted tools, the tool
/// choice from <see cref="ChatOptions.ToolMode"/> and parallel tool calls from <see cref="ChatOptions.AllowMultipleToolCalls"/>,
/// each set only where the caller's result leaves it unset. The request body is the same as without this layer.
/// </para>
/// <para>
/// Requests it could not reproduce exactly reach the adapter unchanged: other kinds of tools (e.g. hosted web search),
/// or a <c>strict</c> request property, which changes how the adapter converts every schema. The caller's options are never
/// modified. Thread-safe.
/// </para>
/// </remarks>
internal sealed class OpenAIToolDefinitionCaching(IChatClient inner, OpenAIChatToolCache cache) : DelegatingChatClient(inner)
{
    public override Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        base.GetResponseAsync(messages, WithConvertedTools(options), cancellationToken);

    public override async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await foreach (var update in base.GetStreamingResponseAsync(messages, WithConvertedTools(options), cancellationToken).ConfigureAwait(false))
        {
            yield return update;
        }
    }

    /// <summary>Returns options whose tools arrive already converted, or <paramref name="options"/> itself when they cannot.</summary>
    internal ChatOptions? WithConvertedTools(ChatOptions? options)
    {
        // A request-wide strict property changes how the adapter converts every schema; such requests are rare and go as they are.
        if (options?.Tools is not { Count: > 0 } tools || options.AdditionalProperties?.ContainsKey(OpenAIChatToolCache.StrictKey) == true)
        {
            return options;
        }

        foreach (var tool in tools)
        {
            if (tool is not AIFunctionDeclaration)
            {
                return options;
            }
        }

        var converted = new ChatTool[tools.Count];
        for (var i = 0; i < converted.Length; i++)
        {
            converted[i] = cache.Get((AIFunctionDeclaration)tools[i]);
        }

        var callerFactory = options.RawRepresentationFactory;
        var toolMode = options.ToolMode;
        var allowMultipleToolCalls = options.AllowMultipleToolCalls;
        var result = options.Clone();
        result.Tools = null;
        result.RawRepresentationFactory = client =>
        {
            // The adapter ignores a factory result of another type and starts from empty options; so does this.
            var completion = callerFactory?.Invoke(client) as ChatCompletionOptions ?? new ChatCompletionOptions();
            foreach (var tool in converted)
            {
                completion.Tools.Add(tool);
            }

            completion.AllowParallelToolCalls ??= allowMultipleToolCalls;
            completion.ToolChoice ??= toolMode switch
            {
                NoneChatToolMode => ChatToolChoice.CreateNoneChoice(),
                AutoChatToolMode or null => ChatToolChoice.CreateAutoChoice(),
                RequiredChatToolMode { RequiredFunctionName: { } name } => ChatToolChoice.CreateFunctionChoice(name),
                RequiredChatToolMode => ChatToolChoice.CreateRequiredChoice(),
                _ => null,
            };
            return completion;
        };
        return result;
    }
}
