using System.Text.Json;
using System.Text.Json.Serialization;
using Rein.Journal;

namespace Rein.Storage.Sqlite;

/// <summary>The one place that defines how journal events look as JSON (on disk and in <c>--json</c> output).</summary>
/// <remarks>
/// Polymorphic on <see cref="SessionEvent"/> with a <c>type</c> discriminator, snake_case property names,
/// and <see langword="null"/> properties left out. This belongs in Rein.Core (Journal/JournalJson.cs) so every
/// surface shares it; it lives here until that move.
/// </remarks>
internal static class JournalJson
{
    /// <summary>Gets the read-only serializer options for journal events.</summary>
    public static JsonSerializerOptions Options => JournalJsonContext.Default.Options;

    /// <summary>Serializes an event, discriminator included.</summary>
    public static string Serialize(SessionEvent sessionEvent) =>
        JsonSerializer.Serialize(sessionEvent, JournalJsonContext.Default.SessionEvent);

    /// <summary>Deserializes an event written by <see cref="Serialize"/>.</summary>
    public static SessionEvent Deserialize(string json) =>
        JsonSerializer.Deserialize(json, JournalJsonContext.Default.SessionEvent)
        ?? throw new JsonException("A journal event was stored as JSON null.");
}

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(SessionEvent))]
internal sealed partial class JournalJsonContext : JsonSerializerContext;
