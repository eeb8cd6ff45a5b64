using System.Text.RegularExpressions;

namespace Rein.Identity;

/// <summary>A token issued to a principal; the token is shown once and never stored.</summary>
/// <param name="Principal">The principal.</param>
/// <param name="Token">The token.</param>
public sealed record IssuedToken(PrincipalRecord Principal, string Token);

/// <summary>
/// Manages principals and authenticates their tokens over an <see cref="IPrincipalStore"/>, with the role checks:
/// only owners manage principals.
/// </summary>
/// <param name="store">The store.</param>
/// <param name="timeProvider">The clock; <see langword="null"/> for the system clock.</param>
public sealed partial class PrincipalDirectory(IPrincipalStore store, TimeProvider? timeProvider = null)
{
    private readonly TimeProvider _time = timeProvider ?? TimeProvider.System;

    /// <summary>Gets whether a name can name a principal: 1 to 64 letters, digits and <c>. _ - @</c>, starting with a letter or digit.</summary>
    /// <param name="name">The name.</param>
    /// <returns><see langword="true"/> when it can.</returns>
    public static bool IsValidName(string? name) => name is not null && NamePattern().IsMatch(name);

    /// <summary>Adds a principal and issues its first token.</summary>
    /// <param name="actor">Who asks; must be an owner.</param>
    /// <param name="name">The new principal's name.</param>
    /// <param name="role">Its role.</param>
    /// <param name="cancellationToken">A token to cancel.</param>
    /// <returns>The principal and its token.</returns>
    /// <exception cref="PrincipalForbiddenException"><paramref name="actor"/> is not an owner.</exception>
    /// <exception cref="PrincipalException">The name is not valid or is taken.</exception>
    public async ValueTask<IssuedToken> AddAsync(PrincipalRecord actor, string name, PrincipalRole role, CancellationToken cancellationToken = default)
    {
        RequireOwner(actor);
        if (!IsValidName(name))
        {
            throw new PrincipalException($"'{name}' cannot name a principal: use 1 to 64 letters, digits and . _ - @, starting with a letter or digit.");
        }

        var principal = new PrincipalRecord(name, role, _time.GetUtcNow());
        await store.AddAsync(principal, cancellationToken).ConfigureAwait(false);
        return await IssueAsync(principal, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Lists the principals.</summary>
    /// <param name="actor">Who asks; must be an owner.</param>
    /// <param name="cancellationToken">A token to cancel.</param>
    /// <returns>The principals, by name.</returns>
    /// <exception cref="PrincipalForbiddenException"><paramref name="actor"/> is not an owner.</exception>
    public ValueTask<IReadOnlyList<PrincipalRecord>> ListAsync(PrincipalRecord actor, CancellationToken cancellationToken = default)
    {
        RequireOwner(actor);
        return store.ListAsync(cancellationToken);
    }

    /// <summary>Removes a principal and its tokens.</summary>
    /// <param name="actor">Who asks; must be an owner, and not the one removed.</param>
    /// <param name="name">The principal to remove.</param>
    /// <param name="cancellationToken">A token to cancel.</param>
    /// <returns>A task that completes when it is removed.</returns>
    /// <exception cref="PrincipalForbiddenException"><paramref name="actor"/> is not an owner.</exception>
    /// <exception cref="PrincipalException">No such principal, or it is <paramref name="actor"/>.</exception>
    public async ValueTask RemoveAsync(PrincipalRecord actor, string name, CancellationToken cancellationToken = default)
    {
        RequireOwner(actor);
        if (string.Equals(name, actor.Name, StringComparison.Ordinal))
        {
            throw new PrincipalException($"{name} cannot remove itself: an owner must remain.");
        }

        if (!await store.RemoveAsync(name, cancellationToken).ConfigureAwait(false))
        {
            throw new PrincipalException($"There is no principal '{name}'. See them with: rein principals list");
        }
    }

    /// <summary>Issues another token to a principal; its other tokens stay valid.</summary>
    /// <param name="actor">Who asks; must be an owner.</param>
    /// <param name="name">The principal.</param>
    /// <param name="cancellationToken">A token to cancel.</param>
    /// <returns>The new token.</returns>
    /// <exception cref="PrincipalForbiddenException"><paramref name="actor"/> is not an owner.</exception>
    /// <exception cref="PrincipalException">No such principal.</exception>
    public async ValueTask<IssuedToken> IssueTokenAsync(PrincipalRecord actor, string name, CancellationToken cancellationToken = default)
    {
        RequireOwner(actor);
        var principal = await RequireAsync(name, cancellationToken).ConfigureAwait(false);
        return await IssueAsync(principal, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Revokes every token of a principal.</summary>
    /// <param name="actor">Who asks; must be an owner.</param>
    /// <param name="name">The principal.</param>
    /// <param name="cancellationToken">A token to cancel.</param>
    /// <returns>How many tokens were revoked.</returns>
    /// <exception cref="PrincipalForbiddenException"><paramref name="actor"/> is not an owner.</exception>
    /// <exception cref="PrincipalException">No such principal.</exception>
    public async ValueTask<int> RevokeTokensAsync(PrincipalRecord actor, string name, CancellationToken cancellationToken = default)
    {
        RequireOwner(actor);
        await RequireAsync(name, cancellationToken).ConfigureAwait(false);
        return await store.RevokeTokensAsync(name, _time.GetUtcNow(), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Links accounts on other surfaces to a principal (see <see cref="PrincipalIdentities"/>).</summary>
    /// <param name="actor">Who asks; must be an owner.</param>
    /// <param name="name">The principal.</param>
    /// <param name="identities">The accounts, e.g. <c>slack:U024BE7LH</c>, <c>telegram:123456789</c>.</param>
    /// <param name="cancellationToken">A token to cancel.</param>
    /// <returns>Every account linked to the principal afterwards.</returns>
    /// <exception cref="PrincipalForbiddenException"><paramref name="actor"/> is not an owner.</exception>
    /// <exception cref="PrincipalException">
    /// No such principal, no account given, an account is malformed, or one is linked to another principal; then nothing is linked.
    /// </exception>
    public async ValueTask<IReadOnlyList<string>> LinkAsync(PrincipalRecord actor, string name, IReadOnlyList<string> identities, CancellationToken cancellationToken = default)
    {
        RequireOwner(actor);
        var normalized = Normalize(identities);
        await RequireAsync(name, cancellationToken).ConfigureAwait(false);
        await store.LinkIdentitiesAsync(name, normalized, _time.GetUtcNow(), cancellationToken).ConfigureAwait(false);
        return await store.ListIdentitiesAsync(name, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Unlinks accounts from a principal.</summary>
    /// <param name="actor">Who asks; must be an owner.</param>
    /// <param name="name">The principal.</param>
    /// <param name="identities">The accounts.</param>
    /// <param name="cancellationToken">A token to cancel.</param>
    /// <returns>Every account still linked to the principal.</returns>
    /// <exception cref="PrincipalForbiddenException"><paramref name="actor"/> is not an owner.</exception>
    /// <exception cref="PrincipalException">No such principal, an account is malformed, or one is not linked to it.</exception>
    public async ValueTask<IReadOnlyList<string>> UnlinkAsync(PrincipalRecord actor, string name, IReadOnlyList<string> identities, CancellationToken cancellationToken = default)
    {
        RequireOwner(actor);
        var normalized = Normalize(identities);
        await RequireAsync(name, cancellationToken).ConfigureAwait(false);
        var linked = await store.ListIdentitiesAsync(name, cancellationToken).ConfigureAwait(false);
        if (normalized.FirstOrDefault(identity => !linked.Contains(identity, StringComparer.Ordinal)) is { } missing)
        {
            throw new PrincipalException($"{missing} is not linked to {name}.");
        }

        await store.UnlinkIdentitiesAsync(name, normalized, cancellationToken).ConfigureAwait(false);
        return await store.ListIdentitiesAsync(name, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Lists the accounts linked to a principal.</summary>
    /// <param name="actor">Who asks; must be an owner.</param>
    /// <param name="name">The principal.</param>
    /// <param name="cancellationToken">A token to cancel.</param>
    /// <returns>The accounts, in order.</returns>
    /// <exception cref="PrincipalForbiddenException"><paramref name="actor"/> is not an owner.</exception>
    public ValueTask<IReadOnlyList<string>> IdentitiesAsync(PrincipalRecord actor, string name, CancellationToken cancellationToken = default)
    {
        RequireOwner(actor);
        return store.ListIdentitiesAsync(name, cancellationToken);
    }

    /// <summary>Finds the principal a surface's account acts as.</summary>
    /// <param name="identity">The account as the surface reports it, e.g. <c>slack:U024BE7LH</c>.</param>
    /// <param name="cancellationToken">A token to cancel.</param>
    /// <returns>The principal, or <see langword="null"/> when the account is malformed or linked to none.</returns>
    public async ValueTask<PrincipalRecord?> FindByIdentityAsync(string? identity, CancellationToken cancellationToken = default)
    {
        if (!PrincipalIdentities.TryNormalize(identity, out var normalized)
            || await store.FindByIdentityAsync(normalized, cancellationToken).ConfigureAwait(false) is not { } name)
        {
            return null;
        }

        return await store.GetAsync(name, cancellationToken).ConfigureAwait(false);
    }

    private static List<string> Normalize(IReadOnlyList<string> identities)
    {
        ArgumentNullException.ThrowIfNull(identities);
        if (identities.Count == 0)
        {
            throw new PrincipalException("Name at least one account, e.g. slack:U024BE7LH or telegram:123456789.");
        }

        var normalized = new List<string>();
        foreach (var identity in identities)
        {
            if (!PrincipalIdentities.TryNormalize(identity, out var valid))
            {
                throw new PrincipalException(
                    $"'{identity}' is not an account: write SURFACE:ID, e.g. slack:U024BE7LH or telegram:123456789 (the id without spaces, at most 128 characters).");
            }

            if (!normalized.Contains(valid, StringComparer.Ordinal))
            {
                normalized.Add(valid);
            }
        }

        return normalized;
    }

    /// <summary>Finds the principal a token belongs to.</summary>
    /// <param name="token">The token as presented.</param>
    /// <param name="cancellationToken">A token to cancel.</param>
    /// <returns>The principal, or <see langword="null"/> when the token is malformed, unknown, revoked or wrong.</returns>
    public async ValueTask<PrincipalRecord?> AuthenticateAsync(string? token, CancellationToken cancellationToken = default)
    {
        if (!ApiTokens.TryGetPrefix(token?.Trim(), out var prefix))
        {
            return null;
        }

        var stored = await store.FindTokenAsync(prefix, cancellationToken).ConfigureAwait(false);
        if (stored is null || stored.RevokedAt is not null || !ApiTokens.Matches(token!.Trim(), stored.Hash))
        {
            return null;
        }

        return await store.GetAsync(stored.Principal, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Gets the local owner: the operating-system account running Rein owns the store it can open, so it acts as an
    /// owner whatever role a row of the same name has. Its row is added on first use, so that it can be issued tokens.
    /// </summary>
    /// <param name="name">The account's name (<see cref="LocalUser.Name"/>).</param>
    /// <param name="cancellationToken">A token to cancel.</param>
    /// <returns>The local owner.</returns>
    public async ValueTask<PrincipalRecord> EnsureLocalOwnerAsync(string name, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        var existing = await store.GetAsync(name, cancellationToken).ConfigureAwait(false);
        if (existing is null)
        {
            existing = new PrincipalRecord(name, PrincipalRole.Owner, _time.GetUtcNow());
            try
            {
                await store.AddAsync(existing, cancellationToken).ConfigureAwait(false);
            }
            catch (PrincipalException)
            {
                // Another process added it meanwhile.
                existing = await store.GetAsync(name, cancellationToken).ConfigureAwait(false) ?? existing;
            }
        }

        return existing with { Role = PrincipalRole.Owner };
    }

    private static void RequireOwner(PrincipalRecord actor)
    {
        ArgumentNullException.ThrowIfNull(actor);
        if (actor.Role != PrincipalRole.Owner)
        {
            throw new PrincipalForbiddenException($"{actor.Name} is {(actor.Role == PrincipalRole.Operator ? "an" : "a")} {PrincipalRoles.ToName(actor.Role)}: only owners manage principals.");
        }
    }

    private async ValueTask<PrincipalRecord> RequireAsync(string name, CancellationToken cancellationToken) =>
        await store.GetAsync(name, cancellationToken).ConfigureAwait(false)
        ?? throw new PrincipalException($"There is no principal '{name}'. See them with: rein principals list");

    private async ValueTask<IssuedToken> IssueAsync(PrincipalRecord principal, CancellationToken cancellationToken)
    {
        var (token, prefix, hash) = ApiTokens.Create();
        await store.AddTokenAsync(new ApiTokenRecord(prefix, principal.Name, hash, _time.GetUtcNow()), cancellationToken).ConfigureAwait(false);
        return new IssuedToken(principal, token);
    }

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$", RegexOptions.CultureInvariant)]
    private static partial Regex NamePattern();
}
