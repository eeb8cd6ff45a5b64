using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using Json.Schema;

namespace Rein.Engine;

/// <summary>
/// Checks tool arguments against a tool's JSON schema and describes every problem in words the
/// model can act on.
/// </summary>
/// <remarks>
/// Schemas that use only the common keywords (<c>type</c>, <c>properties</c>, <c>required</c>,
/// <c>additionalProperties</c>, <c>items</c>, <c>enum</c>, <c>minimum</c>, <c>maximum</c>,
/// <c>minItems</c>, <c>maxItems</c>, <c>minLength</c>, <c>maxLength</c>, plus annotations) are checked
/// here directly; any other schema (e.g. from an MCP server) is evaluated by JsonSchema.Net, which is
/// loaded only then — loading it costs tens of milliseconds of start-up that most runs never need.
/// Thread-safe.
/// </remarks>
internal sealed class ArgumentValidator
{
    private static readonly HashSet<string> Supported = new(StringComparer.Ordinal)
    {
        "type", "properties", "required", "additionalProperties", "items", "enum", "minimum", "maximum",
        "minItems", "maxItems", "minLength", "maxLength",
        "description", "title", "default", "examples", "$schema", "$id", "$comment",
    };

    private readonly ConcurrentDictionary<string, Func<JsonElement, List<string>>> _validators = new(StringComparer.Ordinal);

    /// <summary>Validates arguments against a tool's schema.</summary>
    /// <param name="toolName">The tool, used to cache the compiled schema.</param>
    /// <param name="schema">The tool's parameter schema.</param>
    /// <param name="arguments">The arguments.</param>
    /// <returns>The problems found; empty when the arguments are valid.</returns>
    public List<string> Validate(string toolName, JsonElement schema, JsonElement arguments)
    {
        var validate = _validators.GetOrAdd(toolName, _ => UsesOnlySupportedKeywords(schema)
            ? args => { var problems = new List<string>(); Check(schema, args, "", problems); return problems; }
            : FullSchemaValidator.Create(schema));
        return validate(arguments);
    }

    private static bool UsesOnlySupportedKeywords(JsonElement schema)
    {
        if (schema.ValueKind == JsonValueKind.True || schema.ValueKind == JsonValueKind.False)
        {
            return true;
        }

        if (schema.ValueKind != JsonValueKind.Object)
        {
            return false;
        }

        foreach (var keyword in schema.EnumerateObject())
        {
            if (!Supported.Contains(keyword.Name))
            {
                return false;
            }

            var nested = keyword.Name switch
            {
                "properties" => keyword.Value.ValueKind == JsonValueKind.Object && keyword.Value.EnumerateObject().All(p => UsesOnlySupportedKeywords(p.Value)),
                "items" or "additionalProperties" => UsesOnlySupportedKeywords(keyword.Value),
                _ => true,
            };
            if (!nested)
            {
                return false;
            }
        }

        return true;
    }

    private static void Check(JsonElement schema, JsonElement value, string path, List<string> problems)
    {
        if (schema.ValueKind == JsonValueKind.False)
        {
            problems.Add($"{Where(path)} is not allowed");
            return;
        }

        if (schema.ValueKind != JsonValueKind.Object)
        {
            return;
        }

        if (schema.TryGetProperty("type", out var type) && !MatchesType(type, value))
        {
            problems.Add($"{Where(path)} must be {Describe(type)}, not {KindName(value)}");
            return;
        }

        if (schema.TryGetProperty("enum", out var allowed) && allowed.ValueKind == JsonValueKind.Array
            && !allowed.EnumerateArray().Any(a => JsonElement.DeepEquals(a, value)))
        {
            problems.Add($"{Where(path)} must be one of {string.Join(", ", allowed.EnumerateArray().Select(a => a.GetRawText()))}");
        }

        switch (value.ValueKind)
        {
            case JsonValueKind.Object:
                CheckObject(schema, value, path, problems);
                break;
            case JsonValueKind.Array:
                CheckLength(schema, value.GetArrayLength(), "minItems", "maxItems", "items", path, problems);
                if (schema.TryGetProperty("items", out var items))
                {
                    var i = 0;
                    foreach (var item in value.EnumerateArray())
                    {
                        Check(items, item, $"{path}[{i++}]", problems);
                    }
                }

                break;
            case JsonValueKind.String:
                CheckLength(schema, value.GetString()!.Length, "minLength", "maxLength", "characters", path, problems);
                break;
            case JsonValueKind.Number:
                var number = value.GetDouble();
                if (schema.TryGetProperty("minimum", out var min) && min.TryGetDouble(out var lo) && number < lo)
                {
                    problems.Add($"{Where(path)} must be at least {min.GetRawText()}");
                }

                if (schema.TryGetProperty("maximum", out var max) && max.TryGetDouble(out var hi) && number > hi)
                {
                    problems.Add($"{Where(path)} must be at most {max.GetRawText()}");
                }

                break;
            default:
                break;
        }
    }

    private static void CheckObject(JsonElement schema, JsonElement value, string path, List<string> problems)
    {
        var properties = schema.TryGetProperty("properties", out var p) && p.ValueKind == JsonValueKind.Object ? p : default;
        if (schema.TryGetProperty("required", out var required) && required.ValueKind == JsonValueKind.Array)
        {
            foreach (var name in required.EnumerateArray().Select(r => r.GetString()).OfType<string>())
            {
                if (!value.TryGetProperty(name, out _))
                {
                    problems.Add($"missing required property '{Join(path, name)}'");
                }
            }
        }

        var additional = schema.TryGetProperty("additionalProperties", out var a) ? a : default;
        foreach (var property in value.EnumerateObject())
        {
            if (properties.ValueKind == JsonValueKind.Object && properties.TryGetProperty(property.Name, out var propertySchema))
            {
                Check(propertySchema, property.Value, Join(path, property.Name), problems);
            }
            else if (additional.ValueKind == JsonValueKind.False)
            {
                var known = properties.ValueKind == JsonValueKind.Object ? string.Join(", ", properties.EnumerateObject().Select(x => x.Name)) : "none";
                problems.Add($"unknown property '{Join(path, property.Name)}' (allowed: {known})");
            }
            else if (additional.ValueKind == JsonValueKind.Object)
            {
                Check(additional, property.Value, Join(path, property.Name), problems);
            }
        }
    }

    private static void CheckLength(JsonElement schema, int length, string minKeyword, string maxKeyword, string unit, string path, List<string> problems)
    {
        unit = unit == "items" ? "items" : "characters";
        if (schema.TryGetProperty(minKeyword, out var min) && min.TryGetInt32(out var lo) && length < lo)
        {
            problems.Add($"{Where(path)} must have at least {lo} {unit}");
        }

        if (schema.TryGetProperty(maxKeyword, out var max) && max.TryGetInt32(out var hi) && length > hi)
        {
            problems.Add($"{Where(path)} must have at most {hi} {unit}");
        }
    }

    private static bool MatchesType(JsonElement type, JsonElement value) => type.ValueKind switch
    {
        JsonValueKind.String => MatchesType(type.GetString()!, value),
        JsonValueKind.Array => type.EnumerateArray().Any(t => t.ValueKind == JsonValueKind.String && MatchesType(t.GetString()!, value)),
        _ => true,
    };

    private static bool MatchesType(string type, JsonElement value) => type switch
    {
        "object" => value.ValueKind == JsonValueKind.Object,
        "array" => value.ValueKind == JsonValueKind.Array,
        "string" => value.ValueKind == JsonValueKind.String,
        "boolean" => value.ValueKind is JsonValueKind.True or JsonValueKind.False,
        "null" => value.ValueKind == JsonValueKind.Null,
        "number" => value.ValueKind == JsonValueKind.Number,
        "integer" => value.ValueKind == JsonValueKind.Number && (value.TryGetInt64(out _) || (value.TryGetDouble(out var d) && Math.Floor(d) == d)),
        _ => true,
    };

    private static string Describe(JsonElement type) => type.ValueKind == JsonValueKind.Array
        ? string.Join(" or ", type.EnumerateArray().Select(t => Article(t.GetString() ?? "?")))
        : Article(type.GetString() ?? "?");

    private static string Article(string type) => type is "object" or "array" or "integer" ? $"an {type}" : $"a {type}";

    private static string KindName(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => value.TryGetInt64(out _) ? "an integer" : "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Null => "null",
        _ => "undefined",
    };

    private static string Join(string path, string name) => path.Length == 0 ? name : $"{path}.{name}";

    private static string Where(string path) => path.Length == 0 ? "the arguments" : $"'{path}'";

    /// <summary>Full JSON Schema evaluation, in its own type so JsonSchema.Net loads only when needed.</summary>
    private static class FullSchemaValidator
    {
        public static Func<JsonElement, List<string>> Create(JsonElement schemaElement)
        {
            var schema = JsonSchema.FromText(schemaElement.GetRawText());
            return arguments =>
            {
                var results = schema.Evaluate(arguments, new EvaluationOptions { OutputFormat = OutputFormat.List });
                var problems = new List<string>();
                if (results.IsValid)
                {
                    return problems;
                }

                foreach (var detail in results.Details ?? [])
                {
                    foreach (var error in detail.Errors ?? new Dictionary<string, string>())
                    {
                        var where = detail.InstanceLocation.ToString();
                        problems.Add(where is "" or "#" or "/" ? error.Value : string.Create(CultureInfo.InvariantCulture, $"{where.TrimStart('#')}: {error.Value}"));
                    }
                }

                if (problems.Count == 0)
                {
                    problems.Add("the arguments do not match the tool's parameter schema");
                }

                return [.. problems.Distinct(StringComparer.Ordinal)];
            };
        }
    }
}
