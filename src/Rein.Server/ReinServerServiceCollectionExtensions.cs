using System.Globalization;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Microsoft.OpenApi;
using Rein.Identity;
using Rein.Server;
using Rein.Server.Http;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the HTTP API of <c>rein serve</c>.</summary>
public static class ReinServerServiceCollectionExtensions
{
    /// <summary>The authorization policy of routes that change sessions or answer approvals: operator or owner.</summary>
    public const string OperatePolicy = "rein.operate";

    /// <summary>The name of the bearer-token security scheme in the OpenAPI document.</summary>
    private const string BearerSchemeName = "bearer";

    /// <summary>
    /// Adds bearer-token authentication against the principal store, the role policies, the per-principal rate limit and
    /// OpenAPI. The application must also register an <see cref="Rein.Journal.ISessionStore"/>, an
    /// <see cref="IPrincipalStore"/> and, for the routes that run sessions, an <see cref="Rein.Hosting.Sessions.ISessionHost"/>.
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="configure">Sets the options.</param>
    /// <returns><paramref name="services"/>.</returns>
    public static IServiceCollection AddReinServer(this IServiceCollection services, Action<ReinServerOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var options = services.AddOptions<ReinServerOptions>();
        if (configure is not null)
        {
            options.Configure(configure);
        }

        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<Rein.Server.Views.SessionListCache>();
        services.TryAddSingleton(sp => new PrincipalDirectory(
            sp.GetService<IPrincipalStore>() ?? throw new InvalidOperationException("Register an IPrincipalStore (e.g. SqlitePrincipalStore) before AddReinServer."),
            sp.GetRequiredService<TimeProvider>()));
        services.AddAuthentication(BearerAuthentication.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, BearerAuthentication>(BearerAuthentication.SchemeName, null);
        services.AddAuthorizationBuilder()
            .SetFallbackPolicy(new Microsoft.AspNetCore.Authorization.AuthorizationPolicyBuilder().RequireAuthenticatedUser().Build())
            .AddPolicy(OperatePolicy, policy => policy.RequireAuthenticatedUser().RequireRole("operator", "owner"));
        services.AddRateLimiter(_ => { });
        services.AddOptions<RateLimiterOptions>().Configure<IOptions<ReinServerOptions>>((limiter, server) =>
        {
            var permits = server.Value.RateLimitPermits;
            var window = server.Value.RateLimitWindow;
            limiter.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(context =>
                !context.Request.Path.StartsWithSegments("/v1")
                    ? RateLimitPartition.GetNoLimiter("")
                    : RateLimitPartition.GetFixedWindowLimiter(
                        context.User.Identity is { IsAuthenticated: true, Name: { } name } ? "principal:" + name : "address:" + context.Connection.RemoteIpAddress,
                        _ => new FixedWindowRateLimiterOptions { PermitLimit = permits, Window = window, QueueLimit = 0 }));
            limiter.OnRejected = (rejected, ct) =>
            {
                var seconds = rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter) ? Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds)) : 60;
                rejected.HttpContext.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
                return new ValueTask(Problems.WriteAsync(rejected.HttpContext.Response, StatusCodes.Status429TooManyRequests,
                    $"Too many requests: at most {permits} per {window.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s for each principal. Try again in {seconds} s."));
            };
        });
        // The document's schemas come from the HTTP JSON options: generated metadata first, for the trimmed tool.
        services.ConfigureHttpJsonOptions(json => json.SerializerOptions.TypeInfoResolverChain.Insert(0, ApiSchemaJsonContext.Default));
        services.AddOpenApi(openApi =>
        {
            openApi.AddDocumentTransformer((document, _, _) =>
            {
                document.Components ??= new OpenApiComponents();
                document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>(StringComparer.Ordinal);
                document.Components.SecuritySchemes[BearerSchemeName] = new OpenApiSecurityScheme
                {
                    Type = SecuritySchemeType.Http,
                    Scheme = "bearer",
                    Description = "An API token of a principal (rein principals add|token).",
                };
                return Task.CompletedTask;
            });
            // Enums are written as strings (JsonStringEnumConverter); the generator lists their values but leaves the type out.
            openApi.AddSchemaTransformer((schema, context, _) =>
            {
                if (context.JsonTypeInfo.Type.IsEnum && schema.Type is null)
                {
                    schema.Type = JsonSchemaType.String;
                }

                return Task.CompletedTask;
            });
            // The requirement follows the endpoint's own metadata, so a route marked anonymous (/healthz) is described as such.
            openApi.AddOperationTransformer((operation, context, _) =>
            {
                if (!context.Description.ActionDescriptor.EndpointMetadata.OfType<IAllowAnonymous>().Any())
                {
                    operation.Security = [new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(BearerSchemeName, context.Document)] = [] }];
                }

                return Task.CompletedTask;
            });
        });
        return services;
    }
}
