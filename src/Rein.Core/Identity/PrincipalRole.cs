namespace Rein.Identity;

/// <summary>What a principal may do. Each role includes the ones below it.</summary>
public enum PrincipalRole
{
    /// <summary>Reads sessions, journals and reports.</summary>
    Viewer,

    /// <summary>Also starts, continues and cancels sessions, and answers approvals where <c>approvals.approvers</c> names it.</summary>
    Operator,

    /// <summary>Everything, including managing principals and their tokens.</summary>
    Owner,
}

/// <summary>The stable names of <see cref="PrincipalRole"/> values (<c>owner</c>, <c>operator</c>, <c>viewer</c>), as stored and typed.</summary>
public static class PrincipalRoles
{
    /// <summary>Gets the role's name.</summary>
    /// <param name="role">The role.</param>
    /// <returns><c>owner</c>, <c>operator</c> or <c>viewer</c>.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="role"/> is not a defined role.</exception>
    public static string ToName(PrincipalRole role) => role switch
    {
        PrincipalRole.Owner => "owner",
        PrincipalRole.Operator => "operator",
        PrincipalRole.Viewer => "viewer",
        _ => throw new ArgumentOutOfRangeException(nameof(role), role, "Unknown principal role."),
    };

    /// <summary>Reads a role's name.</summary>
    /// <param name="name"><c>owner</c>, <c>operator</c> or <c>viewer</c>.</param>
    /// <param name="role">The role, when the name is one.</param>
    /// <returns>Whether <paramref name="name"/> names a role.</returns>
    public static bool TryParse(string? name, out PrincipalRole role)
    {
        switch (name)
        {
            case "owner":
                role = PrincipalRole.Owner;
                return true;
            case "operator":
                role = PrincipalRole.Operator;
                return true;
            case "viewer":
                role = PrincipalRole.Viewer;
                return true;
            default:
                role = PrincipalRole.Viewer;
                return false;
        }
    }
}
