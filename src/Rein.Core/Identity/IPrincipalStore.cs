namespace Rein.Identity;

/// <summary>A person or service known to a store: who answers approvals, starts sessions or reads them.</summary>
/// <param name="Name">The unique name, e.g. <c>alice</c> (see <see cref="PrincipalDirectory.IsValidName"/>).</param>
/// <param name="Role">What the principal may do.</param>
/// <param name="CreatedAt">When it was added.</param>
public sealed record PrincipalRecord(string Name, PrincipalRole Role, DateTimeOffset CreatedAt);

/// <summary>A stored API token: only its lookup prefix and a hash of the whole token are kept, never the token.</summary>
/// <param name="Prefix">The token's public lookup prefix (unique).</param>
/// <param name="Principal">The principal the token authenticates.</param>
/// <param name="Hash">The lowercase hexadecimal SHA-256 of the whole token (<see cref="ApiTokens.Hash"/>).</param>
/// <param name="CreatedAt">When it was issued.</param>
/// <param name="RevokedAt">When it was revoked, or <see langword="null"/> while it is valid.</param>
public sealed record ApiTokenRecord(string Prefix, string Principal, string Hash, DateTimeOffset CreatedAt, DateTimeOffset? RevokedAt = null);

/// <summary>Durable storage of principals and the hashes of their API tokens.</summary>
/// <remarks>Implementations must be safe for concurrent use. They store what they are given; role checks belong to <see cref="PrincipalDirectory"/>.</remarks>
public interface IPrincipalStore
{
    /// <summary>Gets one principal.</summary>
    /// <param name="name">The principal's name (exact).</param>
    /// <param name="cancellationToken">A token to cancel the operation.</param>
    /// <returns>The principal, or <see langword="null"/> when there is none of that name.</returns>
    ValueTask<PrincipalRecord?> GetAsync(string name, CancellationToken cancellationToken = default);

    /// <summary>Lists every principal, by name.</summary>
    /// <param name="cancellationToken">A token to cancel the operation.</param>
    /// <returns>The principals.</returns>
    ValueTask<IReadOnlyList<PrincipalRecord>> ListAsync(CancellationToken cancellationToken = default);

    /// <summary>Adds a principal.</summary>
    /// <param name="principal">The principal.</param>
    /// <param name="cancellationToken">A token to cancel the operation.</param>
    /// <returns>A task that completes when the principal is stored.</returns>
    /// <exception cref="PrincipalException">A principal of that name exists; it is left as it was.</exception>
    ValueTask AddAsync(PrincipalRecord principal, CancellationToken cancellationToken = default);

    /// <summary>Removes a principal and all its tokens.</summary>
    /// <param name="name">The principal's name.</param>
    /// <param name="cancellationToken">A token to cancel the operation.</param>
    /// <returns>Whether a principal was removed.</returns>
    ValueTask<bool> RemoveAsync(string name, CancellationToken cancellationToken = default);

    /// <summary>Stores a new token's prefix and hash.</summary>
    /// <param name="token">The token record.</param>
    /// <param name="cancellationToken">A token to cancel the operation.</param>
    /// <returns>A task that completes when the token is stored.</returns>
    /// <exception cref="PrincipalException">The principal does not exist, or the prefix is taken.</exception>
    ValueTask AddTokenAsync(ApiTokenRecord token, CancellationToken cancellationToken = default);

    /// <summary>Finds a token by its lookup prefix, revoked or not.</summary>
    /// <param name="prefix">The prefix.</param>
    /// <param name="cancellationToken">A token to cancel the operation.</param>
    /// <returns>The token record, or <see langword="null"/> when no token has that prefix.</returns>
    ValueTask<ApiTokenRecord?> FindTokenAsync(string prefix, CancellationToken cancellationToken = default);

    /// <summary>Revokes every valid token of a principal.</summary>
    /// <param name="name">The principal's name.</param>
    /// <param name="revokedAt">The time of revocation.</param>
    /// <param name="cancellationToken">A token to cancel the operation.</param>
    /// <returns>How many tokens were revoked.</returns>
    ValueTask<int> RevokeTokensAsync(string name, DateTimeOffset revokedAt, CancellationToken cancellationToken = default);

    /// <summary>Links accounts on other surfaces (<c>slack:U123</c>) to a principal; an account already linked to it stays linked.</summary>
    /// <param name="name">The principal's name.</param>
    /// <param name="identities">The accounts, as <see cref="PrincipalIdentities.TryNormalize"/> gives them.</param>
    /// <param name="linkedAt">The time of linking.</param>
    /// <param name="cancellationToken">A token to cancel the operation.</param>
    /// <returns>A task that completes when every account is linked.</returns>
    /// <exception cref="PrincipalException">
    /// The principal does not exist, or an account is linked to another principal; then nothing is linked.
    /// </exception>
    ValueTask LinkIdentitiesAsync(string name, IReadOnlyList<string> identities, DateTimeOffset linkedAt, CancellationToken cancellationToken = default);

    /// <summary>Unlinks accounts from a principal.</summary>
    /// <param name="name">The principal's name.</param>
    /// <param name="identities">The accounts.</param>
    /// <param name="cancellationToken">A token to cancel the operation.</param>
    /// <returns>How many were linked to it and are now unlinked.</returns>
    ValueTask<int> UnlinkIdentitiesAsync(string name, IReadOnlyList<string> identities, CancellationToken cancellationToken = default);

    /// <summary>Lists the accounts linked to a principal, in order.</summary>
    /// <param name="name">The principal's name.</param>
    /// <param name="cancellationToken">A token to cancel the operation.</param>
    /// <returns>The accounts.</returns>
    ValueTask<IReadOnlyList<string>> ListIdentitiesAsync(string name, CancellationToken cancellationToken = default);

    /// <summary>Finds the principal an account is linked to.</summary>
    /// <param name="identity">The account (exact, normalized).</param>
    /// <param name="cancellationToken">A token to cancel the operation.</param>
    /// <returns>The principal's name, or <see langword="null"/> when the account is linked to none.</returns>
    ValueTask<string?> FindByIdentityAsync(string identity, CancellationToken cancellationToken = default);
}

/// <summary>Thrown when a principal cannot be added, found or changed; the message says what to do.</summary>
/// <param name="message">What went wrong.</param>
public sealed class PrincipalException(string message) : InvalidOperationException(message);

/// <summary>Thrown when a principal's role does not allow what it asked for.</summary>
/// <param name="message">What was refused and why.</param>
public sealed class PrincipalForbiddenException(string message) : InvalidOperationException(message);
