using System.ClientModel;
using System.Net;
using System.Text.Json;
using Anthropic.Exceptions;
using OllamaSharp.Models.Exceptions;
using Polly.Timeout;
using Rein.Engine;

namespace Rein.Providers;

/// <summary>Says what went wrong with a provider call in the user's terms: the status and the provider's own message, never an SDK type name.</summary>
internal static class ProviderErrors
{
    /// <returns>The message, or <see langword="null"/> when <paramref name="error"/> is not a provider failure (it is passed on as is).</returns>
    public static string? Describe(Exception error, string provider) => error switch
    {
        ModelCallException => null,
        ClientResultException { Status: > 0 } e => Refused(provider, e.Status, ApiMessage(e.GetRawResponse()?.Content?.ToString()) ?? FirstLine(e.Message)),
        AnthropicApiException e => Refused(provider, (int)e.StatusCode, e.ApiMessage),
        HttpRequestException { StatusCode: { } status } e => Refused(provider, (int)status, FirstLine(e.Message)),
        OllamaException e => $"The {provider} server refused the request: {FirstLine(e.Message)}",
        TimeoutRejectedException => $"The {provider} server did not answer in time, on any attempt.",
        HttpRequestException { HttpRequestError: HttpRequestError.ResponseEnded } or HttpRequestException { InnerException: IOException } or HttpIOException or IOException or AnthropicIOException =>
            $"The connection to the {provider} server was cut before the answer was complete.",
        HttpRequestException e => $"Could not reach the {provider} server: {FirstLine(e.Message)}",
        JsonException or AnthropicSseException or AnthropicInvalidDataException =>
            $"The {provider} server answered with something that is not in its format.",
        _ => error.InnerException is { } inner ? Describe(inner, provider) : null,
    };

    private static string Refused(string provider, int status, string? detail)
    {
        var hint = status switch
        {
            401 or 403 => " (check the API key)",
            404 => " (check the model name and the base URL)",
            429 => " (rate limited, still after retries)",
            >= 500 => " (a server error, still after retries)",
            _ => "",
        };
        var reason = Enum.IsDefined((HttpStatusCode)status) ? $" {(HttpStatusCode)status}" : "";
        return $"The {provider} server refused the request: HTTP {status}{reason}{hint}{(string.IsNullOrWhiteSpace(detail) ? "." : ": " + detail.Trim())}";
    }

    /// <summary>The <c>error.message</c> (or <c>message</c>) of a provider's JSON error body.</summary>
    private static string? ApiMessage(string? body)
    {
        if (string.IsNullOrWhiteSpace(body))
        {
            return null;
        }

        try
        {
            using var json = JsonDocument.Parse(body);
            var root = json.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return null;
            }

            if (root.TryGetProperty("error", out var inner))
            {
                if (inner.ValueKind == JsonValueKind.String)
                {
                    return inner.GetString();
                }

                root = inner;
            }

            return root.ValueKind == JsonValueKind.Object && root.TryGetProperty("message", out var message) && message.ValueKind == JsonValueKind.String
                ? message.GetString()
                : null;
        }
        catch (JsonException)
        {
            return FirstLine(body);
        }
    }

    private static string FirstLine(string text)
    {
        var line = text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault() ?? "";
        return line.Length > 200 ? line[..200] + "…" : line;
    }
}
