using System.Text;
using System.Text.Json;
using Microsoft.Extensions.AI;

namespace Rein.Guard.Budgets;

/// <summary>
/// A cheap, tokenizer-free estimate of a request's input tokens: the UTF-8 bytes of what is sent divided by 4
/// (rounded up), plus a small overhead per message. Good enough to keep a budget from being crossed; not a bill.
/// </summary>
internal static class TokenEstimate
{
    private const int BytesPerToken = 4;
    private const int OverheadBytesPerMessage = 4 * BytesPerToken;

    public static long Of(IReadOnlyList<ChatMessage> messages, IReadOnlyList<AITool> tools)
    {
        long bytes = 0;
        foreach (var message in messages)
        {
            bytes += OverheadBytesPerMessage;
            foreach (var content in message.Contents)
            {
                bytes += Bytes(content);
            }
        }

        foreach (var tool in tools)
        {
            bytes += OverheadBytesPerMessage + Utf8(tool.Name) + Utf8(tool.Description);
            if (tool is AIFunctionDeclaration declaration)
            {
                bytes += Utf8(declaration.JsonSchema.GetRawText());
            }
        }

        return (bytes + BytesPerToken - 1) / BytesPerToken;
    }

    private static long Bytes(AIContent content) => content switch
    {
        TextContent text => Utf8(text.Text),
        TextReasoningContent reasoning => Utf8(reasoning.Text),
        FunctionCallContent call => Utf8(call.Name) + Utf8(call.CallId) + Utf8(Arguments(call.Arguments)),
        FunctionResultContent result => Utf8(result.CallId) + Utf8(result.Result switch
        {
            null => null,
            string s => s,
            JsonElement json => json.GetRawText(),
            var other => other.ToString(),
        }),
        DataContent data => data.Data.Length,
        _ => 0,
    };

    private static string? Arguments(IDictionary<string, object?>? arguments) =>
        arguments is null ? null
        : JsonSerializer.Serialize(arguments, AIJsonUtilities.DefaultOptions.GetTypeInfo(typeof(IDictionary<string, object?>)));

    private static long Utf8(string? text) => string.IsNullOrEmpty(text) ? 0 : Encoding.UTF8.GetByteCount(text);
}
