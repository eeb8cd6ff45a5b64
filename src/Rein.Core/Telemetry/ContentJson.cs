using System.Buffers;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Rein.Journal;

namespace Rein.Telemetry;

/// <summary>Writes message content in the GenAI semantic conventions' JSON shape (a list of messages with typed parts).</summary>
internal static class ContentJson
{
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Writes <c>[{"role":…,"parts":[{"type":"text","content":…},{"type":"tool_call",…}],"finish_reason":…}]</c>.</summary>
    public static string Messages(string role, string? text, IReadOnlyList<ModelToolCall>? toolCalls, string? finishReason)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            writer.WriteStartArray();
            writer.WriteStartObject();
            writer.WriteString("role", role);
            writer.WriteStartArray("parts");
            if (text is not null)
            {
                writer.WriteStartObject();
                writer.WriteString("type", "text");
                writer.WriteString("content", text);
                writer.WriteEndObject();
            }

            foreach (var call in toolCalls ?? [])
            {
                writer.WriteStartObject();
                writer.WriteString("type", "tool_call");
                writer.WriteString("id", call.Id);
                writer.WriteString("name", call.Name);
                if (call.Arguments is { } arguments)
                {
                    writer.WritePropertyName("arguments");
                    arguments.WriteTo(writer);
                }

                writer.WriteEndObject();
            }

            writer.WriteEndArray();
            if (finishReason is not null)
            {
                writer.WriteString("finish_reason", finishReason);
            }

            writer.WriteEndObject();
            writer.WriteEndArray();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }
}
