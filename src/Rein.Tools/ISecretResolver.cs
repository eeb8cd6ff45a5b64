using System.Diagnostics.CodeAnalysis;

namespace Rein.Tools;

/// <summary>Looks up stored secrets by name, so tools can hand them to commands without the model seeing their values.</summary>
/// <remarks>Implementations must be safe for concurrent use.</remarks>
public interface ISecretResolver
{
    /// <summary>Gets the names of the stored secrets, in ordinal order. Names are not secret; values are.</summary>
    IReadOnlyCollection<string> SecretNames { get; }

    /// <summary>Looks up a secret's value.</summary>
    /// <param name="name">The secret's name, e.g. <c>GITHUB_TOKEN</c>.</param>
    /// <param name="value">The value, when the secret exists.</param>
    /// <returns><see langword="true"/> when a secret with that name exists.</returns>
    bool TryGetSecret(string name, [MaybeNullWhen(false)] out string value);
}
