using System.Text.Json;

namespace Rein.Tools;

/// <summary>Short, one-line descriptions of tool calls for stubs, summaries and traces.</summary>
public static class ToolCallText
{
    private static readonly string[] MainArguments = ["command", "path", "pattern", "url", "query", "description", "text"];

    /// <summary>The call's main argument (command, path, pattern, …) on one line, cut to <paramref name="max"/> characters; null when it has none.</summary>
    public static string? MainArgument(JsonElement? arguments, int max = 60)
    {
        if (arguments is not { ValueKind: JsonValueKind.Object } args)
        {
            return null;
        }

        foreach (var key in MainArguments)
        {
            if (args.TryGetProperty(key, out var value) && value.ValueKind == JsonValueKind.String)
            {
                return Shorten(value.GetString()!, max);
            }
        }

        return null;
    }

    /// <summary>A text on one line, cut to <paramref name="max"/> characters with an ellipsis.</summary>
    public static string Shorten(string text, int max)
    {
        ArgumentNullException.ThrowIfNull(text);
        var line = text.ReplaceLineEndings(" ").Trim();
        return line.Length <= max ? line : line[..max] + "…";
    }
}
