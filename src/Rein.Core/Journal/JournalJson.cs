using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace Rein.Journal;

/// <summary>The one JSON format of journal events: on disk, in <c>--json</c> output and in exports.</summary>
/// <remarks>snake_case property names, a <c>type</c> discriminator first, nulls omitted, enums as snake_case strings.</remarks>
public static class JournalJson
{
    /// <summary>Gets the serializer options for journal events, <see cref="TokenUsage"/> and JSON nodes. Read-only; trim- and AOT-safe.</summary>
    public static JsonSerializerOptions Options { get; } = CreateOptions();

    /// <summary>Serializes an event.</summary>
    /// <param name="sessionEvent">The event.</param>
    /// <returns>The JSON text, with the <c>type</c> discriminator first.</returns>
    public static string Serialize(SessionEvent sessionEvent) =>
        JsonSerializer.Serialize(sessionEvent, (JsonTypeInfo<SessionEvent>)Options.GetTypeInfo(typeof(SessionEvent)));

    /// <summary>Deserializes an event.</summary>
    /// <param name="json">The JSON text.</param>
    /// <returns>The event. Lone UTF-16 surrogates in it (which nothing could read back) are replaced with U+FFFD.</returns>
    /// <exception cref="JsonException">The text is not a known event.</exception>
    public static SessionEvent Deserialize(string json) =>
        JsonSerializer.Deserialize(LoneSurrogates.ReplaceInJson(json), (JsonTypeInfo<SessionEvent>)Options.GetTypeInfo(typeof(SessionEvent)))
        ?? throw new JsonException("A journal event cannot be JSON null.");

    private static JsonSerializerOptions CreateOptions()
    {
        var options = new JsonSerializerOptions(JournalJsonContext.Default.Options)
        {
            Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
            AllowOutOfOrderMetadataProperties = true,
            TypeInfoResolver = JournalJsonContext.Default,
        };
        options.MakeReadOnly();
        return options;
    }
}

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    UseStringEnumConverter = true)]
[JsonSerializable(typeof(SessionEvent))]
[JsonSerializable(typeof(TokenUsage))]
[JsonSerializable(typeof(System.Text.Json.Nodes.JsonObject))]
[JsonSerializable(typeof(System.Text.Json.Nodes.JsonNode))]
internal sealed partial class JournalJsonContext : JsonSerializerContext;
