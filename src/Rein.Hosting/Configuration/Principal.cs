using System.Text.Json;
using Rein.Identity;

namespace Rein.Hosting.Configuration;

/// <summary>Who is using Rein: the name sessions are labelled with, and the one who answers approvals.</summary>
internal static class Principal
{
    /// <summary>The label of sessions, budgets and memory: <c>$REIN_PRINCIPAL</c>, else the operating-system user.</summary>
    public static string Current(Func<string, string?> env) =>
        env("REIN_PRINCIPAL") is { Length: > 0 } principal ? principal : LocalUser.Name;

    /// <summary>
    /// Who answers approvals at this machine: the operating-system user running <c>rein</c>. <c>$REIN_PRINCIPAL</c> names
    /// the approver only when managed settings say <c>"approvals": {"principal_from_env": true}</c>; anyone can set a variable.
    /// </summary>
    /// <exception cref="SettingsException">The managed key is not a boolean.</exception>
    public static string Approver(ResolvedSettings settings, Func<string, string?> env) =>
        PrincipalFromEnvironment(settings) && env("REIN_PRINCIPAL") is { Length: > 0 } principal ? principal : LocalUser.Name;

    private static bool PrincipalFromEnvironment(ResolvedSettings settings)
    {
        // Only the machine's administrator decides this: the key is read from managed settings and nowhere else.
        foreach (var document in settings.Documents.Where(d => d.Source == "managed"))
        {
            if (document.Root.TryGetProperty("approvals", out var approvals) && approvals.ValueKind == JsonValueKind.Object
                && approvals.TryGetProperty("principal_from_env", out var value))
            {
                return value.ValueKind switch
                {
                    JsonValueKind.True => true,
                    JsonValueKind.False => false,
                    _ => throw new SettingsException($"{document.Path}: approvals.principal_from_env must be true or false."),
                };
            }
        }

        return false;
    }
}
