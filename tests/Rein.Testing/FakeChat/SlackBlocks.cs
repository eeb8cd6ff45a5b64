using System.Text.Json;

namespace Rein.Testing.FakeChat;

/// <summary>Checks Block Kit blocks of a message against the limits Slack enforces.</summary>
internal static class SlackBlocks
{
    private const int MaxBlocks = 50;

    private static readonly HashSet<string> InteractiveElements = new(StringComparer.Ordinal)
    {
        "button", "static_select", "multi_static_select", "external_select", "multi_external_select", "users_select",
        "multi_users_select", "conversations_select", "multi_conversations_select", "channels_select",
        "multi_channels_select", "overflow", "datepicker", "timepicker", "datetimepicker", "checkboxes", "radio_buttons",
        "workflow_button",
    };

    /// <summary>Returns <see langword="null"/> when <paramref name="blocks"/> is valid, else what is wrong (with a JSON pointer).</summary>
    public static string? Check(JsonElement blocks)
    {
        if (blocks.ValueKind != JsonValueKind.Array)
        {
            return "blocks must be an array [json-pointer:/blocks]";
        }

        if (blocks.GetArrayLength() > MaxBlocks)
        {
            return $"must contain at most {MaxBlocks} blocks, found {blocks.GetArrayLength()} [json-pointer:/blocks]";
        }

        var blockIds = new HashSet<string>(StringComparer.Ordinal);
        var actionIds = new HashSet<string>(StringComparer.Ordinal);
        var index = 0;
        foreach (var block in blocks.EnumerateArray())
        {
            var at = $"/blocks/{index++}";
            if (CheckBlock(block, at, blockIds, actionIds) is { } problem)
            {
                return problem;
            }
        }

        return null;
    }

    private static string? CheckBlock(JsonElement block, string at, HashSet<string> blockIds, HashSet<string> actionIds)
    {
        if (block.ValueKind != JsonValueKind.Object)
        {
            return $"a block must be an object [json-pointer:{at}]";
        }

        if (block.TryGetProperty("block_id", out var blockId))
        {
            if (blockId.ValueKind != JsonValueKind.String || blockId.GetString()!.Length is 0 or > 255)
            {
                return $"block_id must be a string of 1..255 characters [json-pointer:{at}/block_id]";
            }

            if (!blockIds.Add(blockId.GetString()!))
            {
                return $"duplicate block_id \"{blockId.GetString()}\" [json-pointer:{at}/block_id]";
            }
        }

        switch (Type(block))
        {
            case null:
                return $"missing required field: type [json-pointer:{at}]";
            case "section":
                return CheckSection(block, at, actionIds);
            case "context":
                return CheckContext(block, at);
            case "actions":
                return CheckActions(block, at, actionIds);
            case "divider":
                return null;
            case "header":
                return block.TryGetProperty("text", out var header)
                    ? CheckText(header, $"{at}/text", 150, plainOnly: true)
                    : $"missing required field: text [json-pointer:{at}]";
            case "markdown":
                return block.TryGetProperty("text", out var markdown) && markdown.ValueKind == JsonValueKind.String
                    ? Length(markdown.GetString()!, 1, 12_000, $"{at}/text")
                    : $"missing required field: text [json-pointer:{at}]";
            case "image":
                return block.TryGetProperty("alt_text", out var alt) && alt.ValueKind == JsonValueKind.String
                    && (block.TryGetProperty("image_url", out _) || block.TryGetProperty("slack_file", out _))
                    ? Length(alt.GetString()!, 1, 2000, $"{at}/alt_text")
                    : $"an image block needs image_url (or slack_file) and alt_text [json-pointer:{at}]";
            case "rich_text":
                return block.TryGetProperty("elements", out var rich) && rich.ValueKind == JsonValueKind.Array
                    ? null
                    : $"missing required field: elements [json-pointer:{at}]";
            case var other:
                return $"unsupported block type \"{other}\" in a message [json-pointer:{at}/type]";
        }
    }

    private static string? CheckSection(JsonElement block, string at, HashSet<string> actionIds)
    {
        var hasText = block.TryGetProperty("text", out var text);
        var hasFields = block.TryGetProperty("fields", out var fields);
        if (!hasText && !hasFields)
        {
            return $"missing required field: text [json-pointer:{at}]";
        }

        if (hasText && CheckText(text, $"{at}/text", 3000, plainOnly: false) is { } textProblem)
        {
            return textProblem;
        }

        if (hasFields)
        {
            if (fields.ValueKind != JsonValueKind.Array || fields.GetArrayLength() is 0 or > 10)
            {
                return $"fields must be an array of 1..10 text objects [json-pointer:{at}/fields]";
            }

            var i = 0;
            foreach (var field in fields.EnumerateArray())
            {
                if (CheckText(field, $"{at}/fields/{i++}", 2000, plainOnly: false) is { } fieldProblem)
                {
                    return fieldProblem;
                }
            }
        }

        return block.TryGetProperty("accessory", out var accessory)
            ? Type(accessory) == "image" ? null : CheckElement(accessory, $"{at}/accessory", actionIds)
            : null;
    }

    private static string? CheckContext(JsonElement block, string at)
    {
        if (!block.TryGetProperty("elements", out var elements) || elements.ValueKind != JsonValueKind.Array || elements.GetArrayLength() is 0 or > 10)
        {
            return $"elements must be an array of 1..10 text or image objects [json-pointer:{at}/elements]";
        }

        var i = 0;
        foreach (var element in elements.EnumerateArray())
        {
            var elementAt = $"{at}/elements/{i++}";
            var problem = Type(element) == "image"
                ? element.TryGetProperty("alt_text", out _) ? null : $"missing required field: alt_text [json-pointer:{elementAt}]"
                : CheckText(element, elementAt, 3000, plainOnly: false);
            if (problem is not null)
            {
                return problem;
            }
        }

        return null;
    }

    private static string? CheckActions(JsonElement block, string at, HashSet<string> actionIds)
    {
        if (!block.TryGetProperty("elements", out var elements) || elements.ValueKind != JsonValueKind.Array || elements.GetArrayLength() is 0 or > 25)
        {
            return $"elements must be an array of 1..25 interactive elements [json-pointer:{at}/elements]";
        }

        var i = 0;
        foreach (var element in elements.EnumerateArray())
        {
            if (CheckElement(element, $"{at}/elements/{i++}", actionIds) is { } problem)
            {
                return problem;
            }
        }

        return null;
    }

    private static string? CheckElement(JsonElement element, string at, HashSet<string> actionIds)
    {
        var type = Type(element);
        if (type is null || !InteractiveElements.Contains(type))
        {
            return $"unsupported element type \"{type}\" [json-pointer:{at}/type]";
        }

        if (element.TryGetProperty("action_id", out var actionId))
        {
            if (actionId.ValueKind != JsonValueKind.String || actionId.GetString()!.Length is 0 or > 255)
            {
                return $"action_id must be a string of 1..255 characters [json-pointer:{at}/action_id]";
            }

            if (!actionIds.Add(actionId.GetString()!))
            {
                return $"duplicate action_id \"{actionId.GetString()}\" [json-pointer:{at}/action_id]";
            }
        }

        if (type != "button")
        {
            return null;
        }

        if (!element.TryGetProperty("text", out var text))
        {
            return $"missing required field: text [json-pointer:{at}]";
        }

        if (CheckText(text, $"{at}/text", 75, plainOnly: true) is { } textProblem)
        {
            return textProblem;
        }

        if (element.TryGetProperty("value", out var value)
            && (value.ValueKind != JsonValueKind.String || Length(value.GetString()!, 0, 2000, $"{at}/value") is not null))
        {
            return $"value must be a string of at most 2000 characters [json-pointer:{at}/value]";
        }

        if (element.TryGetProperty("url", out var url)
            && (url.ValueKind != JsonValueKind.String || Length(url.GetString()!, 1, 3000, $"{at}/url") is not null))
        {
            return $"url must be a string of 1..3000 characters [json-pointer:{at}/url]";
        }

        if (element.TryGetProperty("style", out var style) && style.GetString() is not ("primary" or "danger"))
        {
            return $"style must be \"primary\" or \"danger\" [json-pointer:{at}/style]";
        }

        return null;
    }

    private static string? CheckText(JsonElement text, string at, int max, bool plainOnly)
    {
        if (text.ValueKind != JsonValueKind.Object)
        {
            return $"a text object must be an object [json-pointer:{at}]";
        }

        var type = Type(text);
        if (plainOnly ? type != "plain_text" : type is not ("plain_text" or "mrkdwn"))
        {
            return plainOnly
                ? $"must be a plain_text text object, found \"{type}\" [json-pointer:{at}/type]"
                : $"type must be plain_text or mrkdwn, found \"{type}\" [json-pointer:{at}/type]";
        }

        return text.TryGetProperty("text", out var value) && value.ValueKind == JsonValueKind.String
            ? Length(value.GetString()!, 1, max, $"{at}/text")
            : $"missing required field: text [json-pointer:{at}]";
    }

    private static string? Length(string value, int min, int max, string at) =>
        value.Length < min ? $"must be at least {min} characters [json-pointer:{at}]"
        : value.Length > max ? $"must be less than {max + 1} characters, found {value.Length} [json-pointer:{at}]"
        : null;

    private static string? Type(JsonElement element) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty("type", out var type) && type.ValueKind == JsonValueKind.String
            ? type.GetString()
            : null;
}
