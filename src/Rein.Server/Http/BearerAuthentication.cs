using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Rein.Identity;

namespace Rein.Server.Http;

/// <summary>
/// Authenticates <c>Authorization: Bearer TOKEN</c> against the principal store (<see cref="PrincipalDirectory"/>); refusals
/// are problem details: 401 with <c>WWW-Authenticate: Bearer</c>, 403 naming the role needed.
/// </summary>
internal sealed class BearerAuthentication(
    IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, PrincipalDirectory directory)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "Bearer";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var header = Request.Headers.Authorization.ToString();
        if (header.Length == 0)
        {
            return AuthenticateResult.NoResult();
        }

        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return AuthenticateResult.Fail("The Authorization header is not a bearer token.");
        }

        var principal = await directory.AuthenticateAsync(header["Bearer ".Length..].Trim(), Context.RequestAborted);
        if (principal is null)
        {
            return AuthenticateResult.Fail("The token is unknown or revoked.");
        }

        var identity = new ClaimsIdentity(
            [new Claim(ClaimTypes.Name, principal.Name), new Claim(Caller.RoleClaim, principal.Role.ToString().ToLowerInvariant())],
            SchemeName, ClaimTypes.Name, Caller.RoleClaim);
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName));
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        var result = await HandleAuthenticateOnceSafeAsync();
        var presented = result.Failure is not null;
        Response.Headers.WWWAuthenticate = presented ? "Bearer error=\"invalid_token\"" : "Bearer";
        await Problems.WriteAsync(Response, StatusCodes.Status401Unauthorized, presented
            ? "The token is unknown, revoked or mistyped. Ask an owner for a new one: rein principals token NAME"
            : "This needs a token: send Authorization: Bearer TOKEN (a token from rein principals add or rein principals token).");
    }

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties)
    {
        var role = Context.User.FindFirstValue(Caller.RoleClaim) ?? "unknown";
        return Problems.WriteAsync(Response, StatusCodes.Status403Forbidden,
            $"Your role, {role}, may not do this: starting, continuing, cancelling and rewinding sessions and answering approvals need the operator or owner role.");
    }
}
