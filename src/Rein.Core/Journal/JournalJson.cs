using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Rein.Journal;

/// <summary>The one JSON format of journal events: on disk, in <c>--json</c> output and in exports.</summary>
/// <remarks>snake_case property names, a <c>type</c> discriminator, nulls omitted, enums as strings.</remarks>
public static class JournalJson
{
    /// <summary>Gets the serializer options for journal events. Read-only.</summary>
    public static JsonSerializerOptions Options { get; } = CreateOptions();

    /// <summary>Serializes an event.</summary>
    /// <param name="sessionEvent">The event.</param>
    /// <returns>The JSON text, with the <c>type</c> discriminator first.</returns>
    public static string Serialize(SessionEvent sessionEvent) => JsonSerializer.Serialize(sessionEvent, Options);

    /// <summary>Deserializes an event.</summary>
    /// <param name="json">The JSON text.</param>
    /// <returns>The event.</returns>
    /// <exception cref="JsonException">The text is not a known event.</exception>
    public static SessionEvent Deserialize(string json) =>
        JsonSerializer.Deserialize<SessionEvent>(json, Options) ?? throw new JsonException("A journal event cannot be null.");

    private static JsonSerializerOptions CreateOptions()
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web)
        {
            PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
            DictionaryKeyPolicy = null,
            DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
            Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
            AllowOutOfOrderMetadataProperties = true,
        };
        options.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower));
        options.TypeInfoResolver = new System.Text.Json.Serialization.Metadata.DefaultJsonTypeInfoResolver();
        options.MakeReadOnly();
        return options;
    }
}
