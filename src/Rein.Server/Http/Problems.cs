using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;
using Rein.Journal;

namespace Rein.Server.Http;

/// <summary>RFC 9457 problem details: every error of the API is one, in the user's terms.</summary>
internal static class Problems
{
    public const string ContentType = "application/problem+json";

    /// <summary>A problem response: <c>{"type","title","status","detail"}</c>.</summary>
    public static IResult Result(int status, string detail) => new ProblemResult(status, detail);

    /// <summary>Writes a problem to a response that has not started.</summary>
    public static Task WriteAsync(HttpResponse response, int status, string detail)
    {
        response.StatusCode = status;
        response.ContentType = ContentType;
        return response.WriteAsync(Body(status, detail).ToJsonString(JournalJson.Options), response.HttpContext.RequestAborted);
    }

    public static IResult NotFound(string sessionId) =>
        Result(StatusCodes.Status404NotFound, $"There is no session '{sessionId}' that you may see.");

    private static JsonObject Body(int status, string detail) => new()
    {
        ["type"] = "about:blank",
        ["title"] = ReasonPhrases.GetReasonPhrase(status),
        ["status"] = status,
        ["detail"] = detail,
    };

    private sealed class ProblemResult(int status, string detail) : IResult, IStatusCodeHttpResult
    {
        public int? StatusCode => status;

        public Task ExecuteAsync(HttpContext httpContext) => WriteAsync(httpContext.Response, status, detail);
    }
}
