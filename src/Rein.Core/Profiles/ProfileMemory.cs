namespace Rein.Profiles;

/// <summary>An agent profile's <c>memory</c> field: whether the agent keeps long-term memory and in which scopes.</summary>
/// <param name="Enabled">Whether long-term memory is on (<c>enabled</c>; default <see langword="true"/> when the field is given).</param>
/// <param name="Scopes">The scopes it reads and writes (<c>scopes</c>), each one of <see cref="AgentProfile.KnownMemoryScopes"/>; empty when not given.</param>
public sealed record ProfileMemory(bool Enabled, IReadOnlyList<string> Scopes);
