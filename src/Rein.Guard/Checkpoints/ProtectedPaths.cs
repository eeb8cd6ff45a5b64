using Rein.Guard.Sandbox;

namespace Rein.Guard.Checkpoints;

/// <summary>
/// A cheap fingerprint of the workspace entries the host trusts later, taken before a tool call and compared after it,
/// so a change that got past the policy and the sandbox is undone and reported.
/// </summary>
/// <remarks>
/// <para>The set is the one the sandbox protects (<see cref="ProtectedWorkspace"/>): <c>.rein</c>, the configured git hooks
/// folder, and, of <c>.git</c> (or the git folder a <c>.git</c> file names), only what makes git run code: <c>config</c>,
/// <c>config.worktree</c>, <c>commondir</c>, <c>hooks/</c>, <c>info/</c>, and the <c>config</c> and <c>hooks/</c> of submodules
/// under <c>modules/</c>. git's data (objects, refs, logs, the index) is not compared.</para>
/// <para>Entries are compared by type, size, modification time, mode and link target; copies are kept of files up to
/// 1 MB, so a changed or deleted one is put back byte for byte. A larger file that changed is reported, not restored.
/// New entries are removed. A git folder moved aside within the workspace (found by its configuration) is moved back.</para>
/// </remarks>
internal sealed class ProtectedPaths
{
    private const long MaxCopyBytes = 1024 * 1024;
    private static readonly string[] GitDataFolders = ["objects", "refs", "logs", "lfs"];
    private static readonly EnumerationOptions Listing = new() { IgnoreInaccessible = true, AttributesToSkip = 0, ReturnSpecialDirectories = false };

    private readonly string _workspace;
    private readonly IReadOnlyList<string> _excluded;
    private readonly IReadOnlyList<string> _configured;

    public ProtectedPaths(string workspace, IReadOnlyList<string> excluded, IReadOnlyList<string> configured)
    {
        _workspace = Bubblewrap.RealPath(workspace);
        _excluded = [.. excluded.Select(path => Bubblewrap.RealPath(path))];
        _configured = configured;
    }

    /// <summary>Takes the fingerprint.</summary>
    public Fingerprint Capture()
    {
        var roots = ProtectedWorkspace.Entries(_workspace, _configured);
        var items = new Dictionary<string, Item>(StringComparer.Ordinal);
        foreach (var root in roots)
        {
            Walk(root, root, IsGitFolder(root), items);
        }

        return new Fingerprint(roots, items);
    }

    /// <summary>Puts the protected set back as it was and says what changed.</summary>
    /// <param name="before">The fingerprint taken before the call.</param>
    /// <param name="exempt">Real paths the call was allowed to write (a <c>write_file</c> the policy let through).</param>
    public (List<string> Restored, List<string> NotRestored) Restore(Fingerprint before, IReadOnlyCollection<string> exempt)
    {
        var restored = new List<string>();
        var notRestored = new List<string>();
        foreach (var root in before.Roots)
        {
            // A git folder moved aside (and perhaps replaced by a planted one) is moved back before entries are compared.
            if (before.Items.TryGetValue(root, out var was) && was.GitFolder && was.Kind == ItemKind.Folder
                && before.Items.TryGetValue(Path.Join(root, "config"), out var config) && config.Content is { } original
                && (!IsGitFolder(root) || new FileInfo(root).LinkTarget is not null || !SameBytes(Path.Join(root, "config"), original)))
            {
                Try(() => MoveBack(root, original, restored), $"looked for {Shown(root)} moved aside", [], notRestored);
            }
        }

        var now = new Dictionary<string, Item>(StringComparer.Ordinal);
        foreach (var root in before.Roots)
        {
            Walk(root, root, before.Items.TryGetValue(root, out var item) && item.GitFolder, now);
        }

        // The file a permitted write_file wrote, and the new folders on its way, are the call's own work.
        bool Exempt(string path) => exempt.Any(allowed => allowed == path || (Bubblewrap.IsInside(allowed, path) && !before.Items.ContainsKey(path)));

        // New entries, deepest first so folders are empty when their turn comes.
        foreach (var (path, item) in now.Where(pair => !before.Items.ContainsKey(pair.Key) && !Exempt(pair.Key)).OrderByDescending(pair => pair.Key.Length))
        {
            Try(() =>
            {
                if (item.Kind == ItemKind.Folder)
                {
                    if (!Directory.EnumerateFileSystemEntries(path).Any())
                    {
                        Directory.Delete(path);
                    }
                }
                else
                {
                    File.Delete(path);
                }
            }, $"removed {Shown(path)}", restored, notRestored);
        }

        foreach (var (path, item) in before.Items.OrderBy(pair => pair.Key.Length))
        {
            if (Exempt(path) || (now.TryGetValue(path, out var current) && current.SameAs(item)))
            {
                continue;
            }

            if (item.Kind == ItemKind.Folder)
            {
                if (current is null || current.Kind != ItemKind.Folder)
                {
                    Try(() => { Clear(path); Directory.CreateDirectory(path); }, $"recreated {Shown(path)}/", restored, notRestored);
                }
                else if (current.Mode != item.Mode)
                {
                    Try(() => SetMode(path, item.Mode), $"restored the mode of {Shown(path)}/", restored, notRestored);
                }

                continue;
            }

            if (item.Kind == ItemKind.Link)
            {
                Try(() => { Clear(path); File.CreateSymbolicLink(path, item.LinkTarget!); }, $"restored the link {Shown(path)}", restored, notRestored);
                continue;
            }

            if (item.Content is null)
            {
                notRestored.Add($"{Shown(path)} changed (larger than 1 MB, no copy kept)");
                continue;
            }

            Try(() =>
            {
                Clear(path);
                Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                File.WriteAllBytes(path, item.Content);
                SetMode(path, item.Mode);
            }, $"{(current is null ? "recreated" : "put back")} {Shown(path)}", restored, notRestored);
        }

        return (restored, notRestored);
    }

    private static UnixFileMode ModeOf(string path) => OperatingSystem.IsWindows() ? default : File.GetUnixFileMode(path);

    private static void SetMode(string path, UnixFileMode mode)
    {
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, mode);
        }
    }

    private static bool SameBytes(string path, byte[] content)
    {
        try
        {
            return File.Exists(path) && File.ReadAllBytes(path).AsSpan().SequenceEqual(content);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    // A git folder moved aside and replaced (or not): find it in the workspace by its configuration and move it back.
    private void MoveBack(string root, byte[] config, List<string> restored)
    {
        var parent = Path.GetDirectoryName(root)!;
        foreach (var candidate in Directory.EnumerateDirectories(parent, "*", Listing))
        {
            if (candidate == root || new DirectoryInfo(candidate).LinkTarget is not null || !File.Exists(Path.Join(candidate, "HEAD")))
            {
                continue;
            }

            if (!SameBytes(Path.Join(candidate, "config"), config))
            {
                continue;
            }

            Clear(root);
            Directory.Move(candidate, root);
            restored.Add($"moved {Shown(candidate)} back to {Shown(root)}");
            return;
        }
    }

    private static void Clear(string path)
    {
        if (new FileInfo(path).LinkTarget is not null || File.Exists(path))
        {
            File.Delete(path);
        }
        else if (Directory.Exists(path))
        {
            Directory.Delete(path, recursive: true);
        }
    }

    private static void Try(Action action, string what, List<string> done, List<string> failed)
    {
        try
        {
            action();
            done.Add(what);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            failed.Add($"{what}: {ex.Message}");
        }
    }

    private string Shown(string path) => Path.GetRelativePath(_workspace, path);

    private static bool IsGitFolder(string path) =>
        Path.GetFileName(path) == ".git" ? Directory.Exists(path) : File.Exists(Path.Join(path, "HEAD")) && Directory.Exists(Path.Join(path, "objects"));

    // Of a git folder, only what makes git run code is tracked.
    private static bool Tracked(string relative) =>
        relative is "config" or "config.worktree" or "commondir" or "hooks" or "info" or "modules" or "worktrees"
        || relative.StartsWith("hooks/", StringComparison.Ordinal)
        || relative.StartsWith("info/", StringComparison.Ordinal)
        || (relative.StartsWith("modules/", StringComparison.Ordinal) && !GitDataFolders.Any(data => relative.Contains("/" + data, StringComparison.Ordinal)))
        || (relative.StartsWith("worktrees/", StringComparison.Ordinal) && (relative.Count(c => c == '/') == 1 || relative.EndsWith("/config.worktree", StringComparison.Ordinal) || relative.EndsWith("/commondir", StringComparison.Ordinal)));

    private void Walk(string root, string path, bool gitFolder, Dictionary<string, Item> items)
    {
        if (_excluded.Any(excluded => Bubblewrap.IsInside(path, excluded)))
        {
            return;
        }

        var info = new FileInfo(path);
        Item item;
        try
        {
            if (info.LinkTarget is { } target)
            {
                item = new Item(ItemKind.Link, 0, default, default, target, null, gitFolder);
            }
            else if (Directory.Exists(path))
            {
                item = new Item(ItemKind.Folder, 0, default, ModeOf(path), null, null, gitFolder);
            }
            else if (info.Exists)
            {
                var content = info.Length <= MaxCopyBytes ? File.ReadAllBytes(path) : null;
                item = new Item(ItemKind.File, info.Length, info.LastWriteTimeUtc, ModeOf(path), null, content, gitFolder);
            }
            else
            {
                return;
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return;
        }

        items[path] = item;
        if (item.Kind != ItemKind.Folder)
        {
            return;
        }

        List<string> children;
        try
        {
            children = [.. Directory.EnumerateFileSystemEntries(path, "*", Listing)];
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return;
        }

        foreach (var child in children)
        {
            var relative = Path.GetRelativePath(root, child);
            if (gitFolder && (!Tracked(relative) || GitDataFolders.Contains(Path.GetFileName(child))))
            {
                continue;
            }

            Walk(root, child, gitFolder, items);
        }
    }

    /// <summary>The protected set at one moment.</summary>
    /// <param name="Roots">The protected entries (real paths), existing or not.</param>
    /// <param name="Items">Every tracked entry below them, by real path.</param>
    internal sealed record Fingerprint(IReadOnlyList<string> Roots, IReadOnlyDictionary<string, Item> Items);

    internal enum ItemKind
    {
        File,
        Folder,
        Link,
    }

    internal sealed record Item(ItemKind Kind, long Size, DateTime Modified, UnixFileMode Mode, string? LinkTarget, byte[]? Content, bool GitFolder)
    {
        public bool SameAs(Item other) =>
            Kind == other.Kind && Size == other.Size && Modified == other.Modified && Mode == other.Mode
            && string.Equals(LinkTarget, other.LinkTarget, StringComparison.Ordinal)
            && (Content is null || other.Content is null || Content.AsSpan().SequenceEqual(other.Content));
    }
}
