using System.Diagnostics.CodeAnalysis;
using System.Text.RegularExpressions;

namespace Rein.Identity;

/// <summary>
/// Accounts on other surfaces that a principal is known by: <c>SURFACE:ID</c>, e.g. <c>slack:U024BE7LH</c> or
/// <c>telegram:123456789</c>. A message from a linked account acts as its principal; one from any other account acts as nobody.
/// </summary>
public static partial class PrincipalIdentities
{
    /// <summary>
    /// Normalizes an account: the surface in lower case (letters, digits, <c>-</c>, <c>_</c>; starting with a letter), a
    /// colon, and the surface's own id as given (1–128 printable characters, no spaces).
    /// </summary>
    /// <param name="identity">The account as typed.</param>
    /// <param name="normalized">The account to store and compare, when valid.</param>
    /// <returns>Whether <paramref name="identity"/> is a valid account.</returns>
    public static bool TryNormalize(string? identity, [NotNullWhen(true)] out string? normalized)
    {
        normalized = null;
        var colon = identity?.IndexOf(':', StringComparison.Ordinal) ?? -1;
        if (colon <= 0)
        {
            return false;
        }

        var surface = identity![..colon].ToLowerInvariant();
        var id = identity[(colon + 1)..];
        if (!SurfacePattern().IsMatch(surface) || !IdPattern().IsMatch(id))
        {
            return false;
        }

        normalized = $"{surface}:{id}";
        return true;
    }

    [GeneratedRegex(@"^[a-z][a-z0-9_-]{0,31}\z")]
    private static partial Regex SurfacePattern();

    [GeneratedRegex(@"^[\x21-\x7E]{1,128}\z")]
    private static partial Regex IdPattern();
}
