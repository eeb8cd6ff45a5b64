using System.Security.Claims;
using Rein.Guard.Approvals;
using Rein.Identity;
using Rein.Journal;

namespace Rein.Server.Http;

/// <summary>The principal a request was authenticated as, and what it may see and do.</summary>
internal sealed record Caller(string Name, PrincipalRole Role)
{
    public const string RoleClaim = "rein_role";

    public bool IsOwner => Role == PrincipalRole.Owner;

    public static Caller From(ClaimsPrincipal user)
    {
        var name = user.Identity?.Name ?? throw new InvalidOperationException("The request was not authenticated.");
        var role = Enum.Parse<PrincipalRole>(user.FindFirstValue(RoleClaim)!, ignoreCase: true);
        return new Caller(name, role);
    }

    /// <summary>Owners see every session; others only those they started.</summary>
    public bool MaySee(SessionState session) => IsOwner || string.Equals(session.Principal, Name, StringComparison.Ordinal);

    /// <summary>Owners answer anything; operators what the session's approvers (as journaled at its start) allow; viewers nothing.</summary>
    public bool MayAnswer(PendingApproval pending, string? sessionPrincipal) => Role switch
    {
        PrincipalRole.Owner => true,
        PrincipalRole.Operator => (pending.Approvers ?? (sessionPrincipal is null ? [] : [sessionPrincipal])).Contains(Name, StringComparer.Ordinal),
        PrincipalRole.Viewer => false,
        _ => false,
    };
}
