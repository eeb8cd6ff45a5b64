using System.Text;
using System.Text.Json;
using Rein.Tools;

namespace Rein.Engine;

/// <summary>The built-in stages of the tool-call pipeline.</summary>
public static class ToolCallStages
{
    /// <summary>
    /// Refuses unknown tools, unparseable arguments and arguments that do not match the tool's
    /// JSON schema, with an error the model can correct.
    /// </summary>
    /// <param name="builder">The pipeline builder.</param>
    /// <param name="availableTools">The names of the tools the model may call, listed in the error for an unknown tool.</param>
    /// <returns>The builder.</returns>
    public static ToolCallPipelineBuilder UseArgumentValidation(this ToolCallPipelineBuilder builder, IReadOnlyList<string> availableTools)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(availableTools);
        var validator = new ArgumentValidator();
        return builder.Use(next => (call, cancellationToken) =>
        {
            if (call.Tool is null)
            {
                return ValueTask.FromResult(ToolResult.Error(
                    $"Unknown tool '{call.Request.Name}'. Available tools: {string.Join(", ", availableTools)}."));
            }

            if (call.Request.ArgumentsError is not null || call.Request.Arguments is not { ValueKind: JsonValueKind.Object })
            {
                var why = call.Request.ArgumentsError ?? "the arguments must be a JSON object";
                return ValueTask.FromResult(ToolResult.Error(
                    $"Invalid arguments for '{call.Request.Name}': {why}. Send a JSON object that matches the tool's parameter schema."));
            }

            var definition = call.Tool.Definition;
            var problems = validator.Validate(definition.Name, definition.ParametersSchema, call.Request.Arguments.Value);
            return problems.Count == 0
                ? next(call, cancellationToken)
                : ValueTask.FromResult(ToolResult.Error(
                    $"Invalid arguments for '{definition.Name}': {string.Join("; ", problems)}."));
        });
    }

    /// <summary>Cuts long observations to their head and tail with a marker in between.</summary>
    /// <param name="builder">The pipeline builder.</param>
    /// <param name="maxChars">The largest observation, in characters, sent back unchanged.</param>
    /// <returns>The builder.</returns>
    public static ToolCallPipelineBuilder UseOutputCap(this ToolCallPipelineBuilder builder, int maxChars)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxChars, 200);
        return builder.Use(next => async (call, cancellationToken) =>
        {
            var result = await next(call, cancellationToken).ConfigureAwait(false);
            return result.Content.Length <= maxChars ? result : Cut(result, maxChars);
        });
    }

    internal static ToolResult Cut(ToolResult result, int maxChars)
    {
        var content = result.Content;
        var head = maxChars * 2 / 3;
        var tail = maxChars - head;
        var omitted = content.Length - head - tail;
        var omittedLines = content.AsSpan(head, omitted).Count('\n');
        var text = new StringBuilder(maxChars + 120)
            .Append(content, 0, head)
            .Append($"\n[... {omitted} characters ({omittedLines} lines) omitted ...]\n")
            .Append(content, content.Length - tail, tail)
            .ToString();
        return result with
        {
            Content = text,
            Truncated = true,
            OriginalLength = result.OriginalLength > 0 ? result.OriginalLength : content.Length,
        };
    }
}
