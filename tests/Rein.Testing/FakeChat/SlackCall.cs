using System.Text.Json;

namespace Rein.Testing.FakeChat;

/// <summary>A Web API call <see cref="FakeSlackApi"/> received (rate-limited calls are not recorded).</summary>
/// <param name="Method">The method from the path, e.g. <c>chat.postMessage</c>.</param>
/// <param name="Body">The JSON body (an empty object for an empty body; a JSON string holding the raw text when the body was not JSON).</param>
/// <param name="Authorization">The <c>Authorization</c> header, or <see langword="null"/> when there was none.</param>
public sealed record SlackCall(string Method, JsonElement Body, string? Authorization)
{
    /// <summary>Gets the error the fake answered with (e.g. <c>invalid_blocks</c>), or <see langword="null"/> when it answered <c>ok</c>.</summary>
    public string? Error { get; init; }

    /// <summary>Gets whether the fake accepted the call.</summary>
    public bool Ok => Error is null;

    /// <summary>Gets a string property of the body, or <see langword="null"/>.</summary>
    /// <param name="name">The property name, e.g. <c>channel</c>.</param>
    public string? Str(string name) =>
        Body.ValueKind == JsonValueKind.Object && Body.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String
            ? value.GetString()
            : null;

    /// <inheritdoc/>
    public override string ToString() => $"{Method} {(Ok ? "ok" : Error)} {Body.GetRawText()}";
}
