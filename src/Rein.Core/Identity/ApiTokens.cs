using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;

namespace Rein.Identity;

/// <summary>
/// API tokens: <c>rein_PREFIX_SECRET</c>, with a random 12-character lookup prefix and a 256-bit random secret. Only the
/// prefix and the SHA-256 of the whole token are stored; a presented token is looked up by its prefix and its hash
/// compared in constant time.
/// </summary>
/// <remarks>A plain hash is enough: the secret is random and long, so there is nothing to guess that a slow hash would protect.</remarks>
public static class ApiTokens
{
    private const string Scheme = "rein_";
    private const int PrefixLength = 12;

    /// <summary>Creates a new random token.</summary>
    /// <returns>The token (shown once), its lookup prefix and the hash to store.</returns>
    public static (string Token, string Prefix, string Hash) Create()
    {
        var prefix = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(PrefixLength / 2));
        var token = $"{Scheme}{prefix}_{Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32))}";
        return (token, prefix, Hash(token));
    }

    /// <summary>Reads the lookup prefix of a presented token.</summary>
    /// <param name="token">The token as presented.</param>
    /// <param name="prefix">Its prefix, when it has the token shape.</param>
    /// <returns>Whether <paramref name="token"/> has the shape of a Rein token.</returns>
    public static bool TryGetPrefix(string? token, out string prefix)
    {
        prefix = "";
        if (token is null || token.Length <= Scheme.Length + PrefixLength + 1
            || !token.StartsWith(Scheme, StringComparison.Ordinal) || token[Scheme.Length + PrefixLength] != '_')
        {
            return false;
        }

        prefix = token.Substring(Scheme.Length, PrefixLength);
        return true;
    }

    /// <summary>Hashes a token for storage.</summary>
    /// <param name="token">The whole token.</param>
    /// <returns>The lowercase hexadecimal SHA-256 of its UTF-8 bytes.</returns>
    public static string Hash(string token)
    {
        ArgumentNullException.ThrowIfNull(token);
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token)));
    }

    /// <summary>Checks a presented token against a stored hash, in time that does not depend on where they differ.</summary>
    /// <param name="token">The token as presented.</param>
    /// <param name="storedHash">The stored hash (<see cref="Hash"/>).</param>
    /// <returns>Whether the token hashes to <paramref name="storedHash"/>.</returns>
    public static bool Matches(string token, string storedHash)
    {
        ArgumentNullException.ThrowIfNull(token);
        ArgumentNullException.ThrowIfNull(storedHash);
        Span<byte> stored = stackalloc byte[SHA256.HashSizeInBytes];
        if (Convert.FromHexString(storedHash, stored, out _, out var written) != System.Buffers.OperationStatus.Done || written != stored.Length)
        {
            return false;
        }

        Span<byte> presented = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(Encoding.UTF8.GetBytes(token), presented);
        return CryptographicOperations.FixedTimeEquals(presented, stored);
    }
}
