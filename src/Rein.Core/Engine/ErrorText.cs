using System.Text.Json;
using System.Text.RegularExpressions;

namespace Rein.Engine;

/// <summary>Says what is wrong with a user's file or value in the user's terms: the place and the problem, never .NET type names or parser internals.</summary>
public static partial class ErrorText
{
    /// <summary>An exception's message without what only a developer reads: the <c>(Parameter 'x')</c> suffix, JSON parser positions.</summary>
    /// <param name="error">The failure.</param>
    /// <returns>The message for the user.</returns>
    public static string Of(Exception error) => error switch
    {
        null => throw new ArgumentNullException(nameof(error)),
        JsonException json => JsonProblem(json),
        ArgumentException { ParamName: { } name } argument => argument.Message.Replace($" (Parameter '{name}')", "", StringComparison.Ordinal),
        _ => error.Message,
    };

    /// <summary>Describes a JSON syntax or type error: <c>FILE:LINE:COLUMN: invalid JSON: the problem</c>.</summary>
    /// <param name="error">The parser's or serializer's error.</param>
    /// <param name="source">The file (or other source) the JSON came from.</param>
    /// <returns>One line for the user.</returns>
    public static string Json(JsonException error, string source)
    {
        ArgumentNullException.ThrowIfNull(error);
        var place = error.LineNumber is { } line ? $"{source}:{line + 1}:{(error.BytePositionInLine ?? 0) + 1}" : source;
        var key = error.Path is { Length: > 1 } path && path != "$" ? $" (at {path.TrimStart('$').TrimStart('.')})" : "";
        return $"{place}: invalid JSON{key}: {JsonProblem(error)}";
    }

    /// <summary>The parser's description of the problem alone, without its location suffix or type names.</summary>
    /// <param name="error">The parser's or serializer's error.</param>
    /// <returns>E.g. <c>'}' is an invalid start of a value</c>, or <c>the value is not a whole number</c>.</returns>
    public static string JsonProblem(JsonException error)
    {
        ArgumentNullException.ThrowIfNull(error);
        var text = Location().Replace(error.Message, "").Trim().TrimEnd('.');
        return Conversion().Replace(text, m => $"the value is not {Kind(m.Groups["type"].Value)}");
    }

    /// <summary>A .NET type name as the kind of value a user would write, e.g. <c>a whole number</c> for <c>System.Nullable`1[System.Int32]</c>.</summary>
    /// <param name="typeName">The type's name or full name.</param>
    /// <returns>The kind of value, with its article.</returns>
    public static string Kind(string typeName)
    {
        ArgumentNullException.ThrowIfNull(typeName);
        var name = NullableOf().Match(typeName) is { Success: true } nullable ? nullable.Groups["inner"].Value : typeName;
        return name.Split('.')[^1] switch
        {
            "Int32" or "Int64" or "Int16" or "Byte" or "UInt32" or "UInt64" or "int" or "long" => "a whole number",
            "Decimal" or "Double" or "Single" or "decimal" or "double" or "float" => "a number",
            "Boolean" or "bool" => "true or false",
            "String" or "string" => "text",
            "TimeSpan" => "a duration",
            "DateTimeOffset" or "DateTime" => "a date and time",
            _ when name.EndsWith("[]", StringComparison.Ordinal) || name.Contains("List", StringComparison.Ordinal) => "a list",
            _ => "a value of the right kind",
        };
    }

    [GeneratedRegex(@"\s*(Path: \S*\s*\|\s*)?LineNumber: \d+ \| BytePositionInLine: \d+\.?")]
    private static partial Regex Location();

    [GeneratedRegex(@"The JSON value could not be converted to (?<type>[\w.`\[\], ]+?)(?=\.?$|\. )")]
    private static partial Regex Conversion();

    [GeneratedRegex(@"Nullable`1\[(?<inner>[\w.]+)\]")]
    private static partial Regex NullableOf();
}
