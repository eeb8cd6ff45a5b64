using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Net.Http.Headers;
using Rein.Server.WebConsole;

namespace Microsoft.AspNetCore.Builder;

/// <summary>Maps Rein's web console: its page paths and its embedded static assets.</summary>
public static class ReinConsoleEndpointRouteBuilderExtensions
{
    /// <summary>
    /// The Content-Security-Policy of every console response: everything from this origin only, no inline script,
    /// no framing, no plugins.
    /// </summary>
    internal const string ContentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; font-src 'self'; " +
        "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

    /// <summary>The client-side routes of the console; each answers with index.html, whose script draws the page.</summary>
    internal static readonly string[] PagePaths = ["/", "/sessions", "/sessions/{id}", "/approvals", "/cost", "/trace/{id}"];

    /// <summary>
    /// Serves the web console: <c>/</c>, <c>/sessions</c>, <c>/sessions/{id}</c>, <c>/approvals</c>, <c>/cost</c> and
    /// <c>/trace/{id}</c> answer with the console's index.html, and <c>/assets/{file}</c> with its embedded scripts and
    /// styles.
    /// </summary>
    /// <param name="endpoints">The application's endpoint builder.</param>
    /// <returns>A builder for conventions on every console endpoint.</returns>
    /// <remarks>
    /// The routes need no authentication: the page holds no data; its script asks for a token and sends it to the API
    /// as a Bearer header. Each response carries a strict Content-Security-Policy, <c>X-Content-Type-Options: nosniff</c>,
    /// a strong ETag and <c>Cache-Control: no-cache</c> (revalidated on each load, so an upgraded rein never mixes old and
    /// new files), and answers <c>If-None-Match</c> with 304.
    /// </remarks>
    /// <exception cref="ArgumentNullException"><paramref name="endpoints"/> is <see langword="null"/>.</exception>
    public static IEndpointConventionBuilder MapReinConsole(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        // The console is public: its files hold no data, and the API checks the token each page sends.
        var group = endpoints.MapGroup(string.Empty).AllowAnonymous();
        string[] methods = [HttpMethods.Get, HttpMethods.Head];
        foreach (var path in PagePaths)
        {
            group.MapMethods(path, methods, (HttpContext context) => WriteAsync(context, ConsoleAssets.Index))
                .ExcludeFromDescription();
        }

        group.MapMethods("/assets/{**file}", methods, (HttpContext context, string file) =>
                ConsoleAssets.All.TryGetValue("assets/" + file, out var asset)
                    ? WriteAsync(context, asset)
                    : WriteNotFoundAsync(context))
            .ExcludeFromDescription();
        return group;
    }

    private static Task WriteAsync(HttpContext context, ConsoleAsset asset)
    {
        var response = context.Response;
        SetSecurityHeaders(response);
        response.Headers.CacheControl = "no-cache";
        response.Headers.ETag = asset.ETag;
        var ifNoneMatch = context.Request.Headers.IfNoneMatch;
        if (ifNoneMatch.Count > 0 && EntityTagHeaderValue.TryParseList(ifNoneMatch, out var tags)
            // If-None-Match compares tags weakly (RFC 9110 13.1.2): a W/ prefix still matches.
            && tags.Any(t => t.Tag == "*" || t.Tag == asset.ETag))
        {
            response.StatusCode = StatusCodes.Status304NotModified;
            return Task.CompletedTask;
        }

        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = asset.ContentType;
        response.ContentLength = asset.Content.Length;
        return HttpMethods.IsHead(context.Request.Method)
            ? Task.CompletedTask
            : response.Body.WriteAsync(asset.Content, context.RequestAborted).AsTask();
    }

    private static Task WriteNotFoundAsync(HttpContext context)
    {
        SetSecurityHeaders(context.Response);
        context.Response.StatusCode = StatusCodes.Status404NotFound;
        return Results.Problem(statusCode: 404, title: "Not Found", detail: "The web console has no such file.").ExecuteAsync(context);
    }

    private static void SetSecurityHeaders(HttpResponse response)
    {
        var headers = response.Headers;
        headers.ContentSecurityPolicy = ContentSecurityPolicy;
        headers.XContentTypeOptions = "nosniff";
        headers.XFrameOptions = "DENY";
        headers["Referrer-Policy"] = "no-referrer";
        headers["Cross-Origin-Opener-Policy"] = "same-origin";
    }
}
