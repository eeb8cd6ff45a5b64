using System.Runtime.CompilerServices;
using System.Text.Json;
using Microsoft.Extensions.AI;

namespace Rein.Engine;

/// <summary>Counts the tokens of what one model request sends: its messages and its tool declarations.</summary>
/// <remarks>
/// <para>
/// Counted: each message's text, function calls (name and arguments as JSON) and function results, and each
/// tool declaration's name, description and JSON schema. Providers wrap these in their own framing, which is
/// approximated by <see cref="PerMessageOverhead"/> tokens per message, <see cref="PerToolOverhead"/> per tool and
/// <see cref="PerRequestOverhead"/> per request (OpenAI documents 3 per message plus 3 to prime the reply; tool
/// framing is undocumented and a little larger). The result is therefore close to, not exactly, what a provider bills.
/// </para>
/// <para>Thread-safe when the counter is (every <see cref="ITokenCounter"/> is). Costs one pass over the request's text;
/// counters that cache counts per string (Rein's do) make repeated requests of a long session cheap.</para>
/// </remarks>
public static class RequestTokens
{
    /// <summary>Tokens added for each message's role and delimiters: 4.</summary>
    public const int PerMessageOverhead = 4;

    /// <summary>Tokens added for each tool declaration's framing: 8.</summary>
    public const int PerToolOverhead = 8;

    /// <summary>Tokens added once per request (priming the reply): 3.</summary>
    public const int PerRequestOverhead = 3;

    // A declaration's schema as text, kept per declaration: sessions share declarations (ToolSchemas) and every request counts them.
    private static readonly ConditionalWeakTable<AIFunctionDeclaration, string> SchemaTexts = [];

    // Providers send arguments and results as compact JSON; the shared defaults indent.
    private static readonly JsonSerializerOptions Compact = CreateCompactOptions();

    /// <summary>Counts a request's tokens.</summary>
    /// <param name="counter">The model's tokenizer.</param>
    /// <param name="messages">The messages sent.</param>
    /// <param name="tools">The tools declared, or <see langword="null"/> for none.</param>
    /// <returns>The number of input tokens the request is estimated to take.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="counter"/> or <paramref name="messages"/> is <see langword="null"/>.</exception>
    public static long Count(ITokenCounter counter, IEnumerable<ChatMessage> messages, IEnumerable<AITool>? tools)
    {
        ArgumentNullException.ThrowIfNull(counter);
        ArgumentNullException.ThrowIfNull(messages);
        long total = PerRequestOverhead;
        foreach (var message in messages)
        {
            total += PerMessageOverhead;
            foreach (var content in message.Contents)
            {
                total += CountContent(counter, content);
            }
        }

        foreach (var tool in tools ?? [])
        {
            total += PerToolOverhead + counter.CountTokens(tool.Name);
            if (!string.IsNullOrEmpty(tool.Description))
            {
                total += counter.CountTokens(tool.Description);
            }

            if (tool is AIFunctionDeclaration function)
            {
                total += counter.CountTokens(SchemaText(function));
            }
        }

        return total;
    }

    /// <summary>
    /// Counts a request's tokens on the thread pool, for a caller that does something else meanwhile (the model call).
    /// </summary>
    /// <param name="counter">The model's tokenizer.</param>
    /// <param name="messages">The messages sent; must not change until the task completes.</param>
    /// <param name="tools">The tools declared, or <see langword="null"/> for none.</param>
    /// <returns>The count, or <see langword="null"/> when counting failed (e.g. the tokenizer's data could not be loaded); never faults.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="counter"/> or <paramref name="messages"/> is <see langword="null"/>.</exception>
    public static Task<long?> CountAsync(ITokenCounter counter, IEnumerable<ChatMessage> messages, IEnumerable<AITool>? tools)
    {
        ArgumentNullException.ThrowIfNull(counter);
        ArgumentNullException.ThrowIfNull(messages);
        return Task.Run<long?>(() =>
        {
            try
            {
                return Count(counter, messages, tools);
            }
#pragma warning disable CA1031 // The count is informational: a tokenizer failure must never fail the model call it describes.
            catch (Exception)
#pragma warning restore CA1031
            {
                return null;
            }
        }, CancellationToken.None);
    }

    private static string SchemaText(AIFunctionDeclaration function) =>
        SchemaTexts.GetValue(function, static f => f.JsonSchema.GetRawText());

    private static JsonSerializerOptions CreateCompactOptions()
    {
        var options = new JsonSerializerOptions(AIJsonUtilities.DefaultOptions) { WriteIndented = false };
        options.MakeReadOnly();
        return options;
    }

    private static int CountContent(ITokenCounter counter, AIContent content) => content switch
    {
        TextContent text => Text(counter, text.Text),
        TextReasoningContent reasoning => Text(counter, reasoning.Text),
        FunctionCallContent call => counter.CountTokens(call.Name) + Text(counter, Arguments(call)),
        FunctionResultContent result => Text(counter, Result(result.Result)),
        _ => 0,
    };

    private static int Text(ITokenCounter counter, string? text) => string.IsNullOrEmpty(text) ? 0 : counter.CountTokens(text);

    private static string Arguments(FunctionCallContent call) =>
        call.Arguments is null or { Count: 0 }
            ? "{}"
            : JsonSerializer.Serialize(call.Arguments, Compact.GetTypeInfo(typeof(IDictionary<string, object?>)));

    private static string? Result(object? result) => result switch
    {
        null => null,
        string s => s,
        JsonElement e => e.ValueKind == JsonValueKind.String ? e.GetString() : e.GetRawText(),
        _ => JsonSerializer.Serialize(result, Compact.GetTypeInfo(typeof(object))),
    };
}
