using System.Text.Json;

namespace Rein.Tools;

/// <summary>Reads tool arguments defensively: the loop validates them against the schema, but tools may be called directly.</summary>
internal static class ToolArguments
{
    public static JsonElement Schema(string json) => ToolSchemas.Parse(json);

    public static string RequiredString(JsonElement arguments, string name, bool allowEmpty = false)
    {
        var value = OptionalString(arguments, name)
            ?? throw new ToolArgumentException($"Missing required argument '{name}'.");
        if (!allowEmpty && value.Length == 0)
        {
            throw new ToolArgumentException($"Argument '{name}' must not be empty.");
        }

        return value;
    }

    public static string? OptionalString(JsonElement arguments, string name)
    {
        if (!TryGet(arguments, name, out var value))
        {
            return null;
        }

        return value.ValueKind == JsonValueKind.String
            ? value.GetString()
            : throw new ToolArgumentException($"Argument '{name}' must be a string.");
    }

    public static long? OptionalInteger(JsonElement arguments, string name, long min, long max)
    {
        if (!TryGet(arguments, name, out var value))
        {
            return null;
        }

        if (value.ValueKind != JsonValueKind.Number || !value.TryGetInt64(out var number))
        {
            throw new ToolArgumentException($"Argument '{name}' must be an integer.");
        }

        return number < min || number > max
            ? throw new ToolArgumentException($"Argument '{name}' must be between {min} and {max}.")
            : number;
    }

    public static bool OptionalBoolean(JsonElement arguments, string name)
    {
        if (!TryGet(arguments, name, out var value))
        {
            return false;
        }

        return value.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw new ToolArgumentException($"Argument '{name}' must be true or false."),
        };
    }

    public static bool TryGet(JsonElement arguments, string name, out JsonElement value)
    {
        if (arguments.ValueKind == JsonValueKind.Object && arguments.TryGetProperty(name, out value) && value.ValueKind != JsonValueKind.Null)
        {
            return true;
        }

        value = default;
        return false;
    }
}

/// <summary>An argument the model sent is missing or has the wrong shape; becomes an error result.</summary>
internal sealed class ToolArgumentException(string message) : Exception(message);
