using System.Text.Json;

namespace Rein.Testing.FakeChat;

/// <summary>A Bot API call <see cref="FakeTelegramBotApi"/> received (rate-limited calls are not recorded).</summary>
/// <param name="Method">The method as Telegram documents it, e.g. <c>sendMessage</c> (the path is case-insensitive).</param>
/// <param name="Body">
/// The parameters as a JSON object: the JSON body as sent, or the form / multipart / query fields as strings (with
/// <c>reply_markup</c>, <c>allowed_updates</c> and other JSON-valued fields parsed).
/// </param>
public sealed record TelegramCall(string Method, JsonElement Body)
{
    /// <summary>Gets the description of the error the fake answered with (e.g. <c>Bad Request: message is too long</c>), or <see langword="null"/> when it answered <c>ok</c>.</summary>
    public string? Error { get; init; }

    /// <summary>Gets whether the fake accepted the call.</summary>
    public bool Ok => Error is null;

    /// <summary>Gets a parameter as a string (numbers as their JSON text), or <see langword="null"/>.</summary>
    /// <param name="name">The parameter name, e.g. <c>text</c>.</param>
    public string? Str(string name) =>
        Body.ValueKind == JsonValueKind.Object && Body.TryGetProperty(name, out var value)
            ? value.ValueKind == JsonValueKind.String ? value.GetString() : value.GetRawText()
            : null;

    /// <inheritdoc/>
    public override string ToString() => $"{Method} {(Ok ? "ok" : Error)} {Body.GetRawText()}";
}
