using System.Text.Json;

namespace Rein.Testing.FakeProviders;

/// <summary>A request a fake provider server received.</summary>
/// <param name="Method">The HTTP method.</param>
/// <param name="Path">The request path, e.g. <c>/v1/chat/completions</c>.</param>
/// <param name="Headers">The headers (case-insensitive names; repeated values joined with <c>, </c>).</param>
/// <param name="Body">The raw body.</param>
public sealed record FakeRequest(string Method, string Path, IReadOnlyDictionary<string, string> Headers, string Body)
{
    /// <summary>The body parsed as JSON (a clone, safe to keep).</summary>
    public JsonElement Json
    {
        get
        {
            using var document = JsonDocument.Parse(Body.Length == 0 ? "null" : Body);
            return document.RootElement.Clone();
        }
    }

    /// <summary>The value of a header, or <see langword="null"/>.</summary>
    public string? Header(string name) => Headers.TryGetValue(name, out var value) ? value : null;

    /// <summary>Whether the client asked for a streamed response (<c>"stream": true</c>).</summary>
    public bool IsStreaming =>
        Json is { ValueKind: JsonValueKind.Object } json && json.TryGetProperty("stream", out var stream) && stream.ValueKind == JsonValueKind.True;
}
