using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Rein.Hosting.Configuration;

/// <summary>One folder the user trusts.</summary>
/// <param name="Path">The folder's real path (symbolic links resolved).</param>
/// <param name="TrustedAt">When it was trusted.</param>
internal sealed record TrustedFolder(string Path, DateTimeOffset TrustedAt);

/// <summary>
/// The folders whose project settings (<c>.rein/settings.json</c>, <c>.rein/agents/</c>) the user trusts, kept in
/// <c>trusted-folders.json</c> in the user's config folder: <c>{"folders": [{"path": "/abs/real/path", "trusted_at": "…"}]}</c>.
/// </summary>
/// <remarks>
/// Paths are stored and compared as real paths (every symbolic link resolved), so a link cannot borrow a trusted
/// folder's trust and a trusted folder reached through a link stays trusted. Trusting a folder trusts its subfolders.
/// A file that cannot be read counts as trusting nothing; <see cref="Error"/> says why.
/// </remarks>
internal sealed class TrustedFolders
{
    private readonly List<TrustedFolder> _folders;

    private TrustedFolders(string file, List<TrustedFolder> folders, string? error)
    {
        File = file;
        _folders = folders;
        Error = error;
    }

    /// <summary>The file name in the user's config folder.</summary>
    public const string FileName = "trusted-folders.json";

    /// <summary>The trust file.</summary>
    public string File { get; }

    /// <summary>Why the file could not be read (it then trusts nothing), or null.</summary>
    public string? Error { get; }

    /// <summary>The trusted folders, in the order they were trusted.</summary>
    public IReadOnlyList<TrustedFolder> Folders => _folders;

    /// <summary>Where the trust file of this environment is.</summary>
    public static string PathFor(Func<string, string?> env) => System.IO.Path.Combine(ReinPaths.UserConfigDirectory(env), FileName);

    /// <summary>Reads the trust file; a missing file trusts nothing, and so does a corrupt one (with <see cref="Error"/> set).</summary>
    public static TrustedFolders Load(Func<string, string?> env)
    {
        var file = PathFor(env);
        if (!System.IO.File.Exists(file))
        {
            return new TrustedFolders(file, [], null);
        }

        try
        {
            return new TrustedFolders(file, Parse(System.IO.File.ReadAllText(file), file), null);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return new TrustedFolders(file, [], $"{file}: cannot be read ({ex.Message}); no folder is trusted until it is fixed.");
        }
        catch (FormatException ex)
        {
            return new TrustedFolders(file, [], $"{ex.Message}; no folder is trusted until it is fixed (or removed: then run 'rein trust' again).");
        }
    }

    /// <summary>The trusted folder that covers <paramref name="folder"/> (itself or a parent), or null.</summary>
    public TrustedFolder? Covering(string folder)
    {
        var real = RealPath(folder);
        return _folders.Where(f => Covers(f.Path, real)).MaxBy(f => f.Path.Length);
    }

    /// <summary>Whether <paramref name="folder"/> or one of its parents is trusted.</summary>
    public bool IsTrusted(string folder) => Covering(folder) is not null;

    /// <summary>Trusts a folder (its real path) and saves the file.</summary>
    /// <returns>False when the folder was already trusted by its own entry.</returns>
    /// <exception cref="SettingsException">The trust file is corrupt (it is not overwritten) or cannot be written.</exception>
    public bool Add(string folder, DateTimeOffset now)
    {
        RequireReadable();
        var real = RealPath(folder);
        if (_folders.Any(f => f.Path == real))
        {
            return false;
        }

        _folders.Add(new TrustedFolder(real, now));
        Save();
        return true;
    }

    /// <summary>Stops trusting a folder (its own entry) and saves the file.</summary>
    /// <returns>False when the folder had no entry of its own.</returns>
    /// <exception cref="SettingsException">The trust file is corrupt (it is not overwritten) or cannot be written.</exception>
    public bool Remove(string folder)
    {
        RequireReadable();
        var real = RealPath(folder);
        if (_folders.RemoveAll(f => f.Path == real) == 0)
        {
            return false;
        }

        Save();
        return true;
    }

    /// <summary>
    /// The real path of a folder: absolute, with every symbolic link along the way resolved (like <c>realpath</c>);
    /// the part that does not exist yet is kept as written.
    /// </summary>
    public static string RealPath(string folder) => Rein.Tools.RealPath.Resolve(folder) ?? System.IO.Path.GetFullPath(folder);

    private static bool Covers(string trusted, string folder) =>
        folder == trusted
        || folder.StartsWith(System.IO.Path.EndsInDirectorySeparator(trusted) ? trusted : trusted + System.IO.Path.DirectorySeparatorChar, StringComparison.Ordinal);

    private void RequireReadable()
    {
        if (Error is not null)
        {
            throw new SettingsException(Error);
        }
    }

    private static List<TrustedFolder> Parse(string text, string file)
    {
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(text, documentOptions: new JsonDocumentOptions { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip });
        }
        catch (JsonException ex)
        {
            throw new FormatException(Engine.ErrorText.Json(ex, file));
        }

        if (root is not JsonObject obj || obj["folders"] is not JsonArray folders)
        {
            throw new FormatException($"{file}: expected {{\"folders\": [{{\"path\": \"/abs/path\", \"trusted_at\": \"…\"}}]}}");
        }

        var result = new List<TrustedFolder>();
        foreach (var item in folders)
        {
            if (item is not JsonObject entry
                || entry["path"] is not JsonValue pathValue || !pathValue.TryGetValue<string>(out var path) || !System.IO.Path.IsPathFullyQualified(path))
            {
                throw new FormatException($"{file}: every entry of \"folders\" needs an absolute \"path\"");
            }

            var at = entry["trusted_at"] is JsonValue atValue && atValue.TryGetValue<string>(out var atText)
                && DateTimeOffset.TryParse(atText, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var parsed)
                ? parsed
                : DateTimeOffset.UnixEpoch;
            result.Add(new TrustedFolder(System.IO.Path.TrimEndingDirectorySeparator(path) is { Length: > 0 } p ? p : path, at));
        }

        return result;
    }

    private void Save()
    {
        var folders = new JsonArray();
        foreach (var folder in _folders)
        {
            folders.Add((JsonNode)new JsonObject
            {
                ["path"] = folder.Path,
                ["trusted_at"] = folder.TrustedAt.ToString("O", CultureInfo.InvariantCulture),
            });
        }

        var text = new JsonObject { ["folders"] = folders }.ToJsonString(new JsonSerializerOptions(Journal.JournalJson.Options) { WriteIndented = true }) + "\n";
        try
        {
            Directory.CreateDirectory(System.IO.Path.GetDirectoryName(File)!);
            // Written beside and renamed, so a crash never leaves half a file (which would trust nothing).
            var temporary = File + ".tmp";
            System.IO.File.WriteAllText(temporary, text);
            System.IO.File.Move(temporary, File, overwrite: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new SettingsException($"{File}: cannot be written: {ex.Message}");
        }
    }
}
