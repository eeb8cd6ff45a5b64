using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Rein.Hosting.Configuration;
using Rein.Hosting.Sessions;
using Rein.Journal;
using Rein.Server.Mcp;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers Rein's MCP server over Streamable HTTP (<c>run_agent</c>, <c>continue_session</c>, <c>get_session</c>, <c>answer_approval</c>).</summary>
public static class ReinMcpServiceCollectionExtensions
{
    /// <summary>
    /// Adds the MCP server and its HTTP transport. Sessions start in the first of <see cref="ReinOptions.WorkspaceRoots"/>
    /// when a call names no workspace. The application must register an <see cref="ISessionHost"/> (<c>AddRein</c>) and an
    /// <see cref="ISessionStore"/>, and authenticate callers (<c>AddReinServer</c>): the HTTP API's roles apply to the tools.
    /// </summary>
    /// <param name="services">The services.</param>
    /// <returns><paramref name="services"/>.</returns>
    public static IServiceCollection AddReinMcpServer(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.TryAddSingleton(sp =>
        {
            var options = sp.GetRequiredService<IOptions<ReinOptions>>().Value;
            var workspace = options.WorkspaceRoots.Count > 0 ? options.WorkspaceRoots[0] : Environment.CurrentDirectory;
            return new ReinMcpTools(sp.GetRequiredService<ISessionHost>(), sp.GetRequiredService<ISessionStore>(), workspace, Principal.Current(Environment.GetEnvironmentVariable));
        });
        services.AddMcpServer(options => ReinMcpServer.Configure(options, provider => provider!.GetRequiredService<ReinMcpTools>()))
            .WithHttpTransport(http => http.Stateless = true);
        return services;
    }

    /// <summary>Maps the MCP endpoint (Streamable HTTP) at <paramref name="pattern"/>; every request needs a bearer token.</summary>
    /// <param name="endpoints">The route builder.</param>
    /// <param name="pattern">The route. Defaults to <c>/mcp</c>.</param>
    /// <returns><paramref name="endpoints"/>.</returns>
    public static IEndpointRouteBuilder MapReinMcp(this IEndpointRouteBuilder endpoints, string pattern = "/mcp")
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        endpoints.MapMcp(pattern).RequireAuthorization();
        return endpoints;
    }
}
