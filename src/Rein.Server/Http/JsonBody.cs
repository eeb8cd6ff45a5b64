using System.Buffers;
using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace Rein.Server.Http;

/// <summary>Reads a request's JSON object body within the size limit; what is wrong with it becomes a problem response.</summary>
internal static class JsonBody
{
    /// <summary>Reads the body; returns the document, or the problem to answer with (400 malformed, 413 too large).</summary>
    public static async Task<(JsonDocument? Document, IResult? Problem)> ReadAsync(HttpRequest request, long limit, bool optional = false)
    {
        if (request.ContentLength > limit)
        {
            return (null, TooLarge(limit));
        }

        using var buffer = new MemoryStream(request.ContentLength is { } length and > 0 ? (int)Math.Min(length, 64 * 1024) : 0);
        var chunk = ArrayPool<byte>.Shared.Rent(16 * 1024);
        try
        {
            int read;
            while ((read = await request.Body.ReadAsync(chunk, request.HttpContext.RequestAborted)) > 0)
            {
                if (buffer.Length + read > limit)
                {
                    return (null, TooLarge(limit));
                }

                buffer.Write(chunk, 0, read);
            }
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return (null, TooLarge(limit));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(chunk);
        }

        if (buffer.Length == 0 && optional)
        {
            return (JsonDocument.Parse("{}"), null);
        }

        try
        {
            // The document reads the stream's own array, which nothing else holds.
            var document = JsonDocument.Parse(buffer.GetBuffer().AsMemory(0, (int)buffer.Length));
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                document.Dispose();
                return (null, Problems.Result(StatusCodes.Status400BadRequest, "The body must be a JSON object."));
            }

            return (document, null);
        }
        catch (JsonException ex)
        {
            return (null, Problems.Result(StatusCodes.Status400BadRequest,
                $"The body is not valid JSON (line {ex.LineNumber + 1}, byte {ex.BytePositionInLine + 1})."));
        }
    }

    /// <summary>Reads an optional string field; a field of another type is an error.</summary>
    public static bool TryGetString(JsonElement body, string name, out string? value, out IResult? problem)
    {
        value = null;
        problem = null;
        if (!body.TryGetProperty(name, out var element) || element.ValueKind == JsonValueKind.Null)
        {
            return true;
        }

        if (element.ValueKind != JsonValueKind.String)
        {
            problem = Problems.Result(StatusCodes.Status400BadRequest, $"\"{name}\" must be a string.");
            return false;
        }

        value = element.GetString();
        return true;
    }

    /// <summary>Reads a required, non-empty string field.</summary>
    public static bool TryGetRequired(JsonElement body, string name, out string value, out IResult? problem)
    {
        if (!TryGetString(body, name, out var text, out problem))
        {
            value = "";
            return false;
        }

        if (string.IsNullOrWhiteSpace(text))
        {
            value = "";
            problem = Problems.Result(StatusCodes.Status400BadRequest, $"\"{name}\" is missing: give it as a non-empty string.");
            return false;
        }

        value = text;
        return true;
    }

    private static IResult TooLarge(long limit) =>
        Problems.Result(StatusCodes.Status413PayloadTooLarge, $"The body is larger than the limit of {limit / 1024} KB.");
}
