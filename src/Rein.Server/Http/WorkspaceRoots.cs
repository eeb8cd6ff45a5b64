using Rein.Tools;

namespace Rein.Server.Http;

/// <summary>Checks that a workspace resolves (after <c>..</c> and symbolic links) into one of the allowed folders.</summary>
internal sealed class WorkspaceRoots
{
    private readonly List<string> _resolved;

    public WorkspaceRoots(IEnumerable<string> roots)
    {
        Shown = [.. roots.Select(Path.GetFullPath)];
        _resolved = [.. Shown.Select(r => RealPath.Resolve(r) ?? r)];
    }

    /// <summary>The roots as configured, for messages.</summary>
    public IReadOnlyList<string> Shown { get; }

    /// <summary>The workspace's real path when it lies in a root; <see langword="null"/> otherwise.</summary>
    public string? Resolve(string workspace)
    {
        if (!Path.IsPathRooted(workspace) || RealPath.Resolve(workspace) is not { } real)
        {
            return null;
        }

        return _resolved.Any(root => real == root || real.StartsWith(root.EndsWith('/') ? root : root + "/", StringComparison.Ordinal)) ? real : null;
    }
}
