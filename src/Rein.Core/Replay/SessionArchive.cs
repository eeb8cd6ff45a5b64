using System.Globalization;
using System.Text;
using System.Text.Json;
using Rein.Journal;

namespace Rein.Replay;

/// <summary>
/// One session in one self-contained file: its journal exactly as recorded (sequence numbers, timestamps, events) and
/// the workspace it started from, so it can be imported into another store and replayed anywhere.
/// </summary>
/// <remarks>
/// <para>
/// The file is JSON: <c>{"format":"rein-session","version":1,"session_id":…,"exported_at":…,"workspace":{…},"events":[…]}</c>.
/// <c>workspace</c> is <c>{"snapshot":"checkpoint"|"current"|"none","checkpoint":…,"skipped_files":[…],"files":[{"path","mode","content_base64"}]}</c>
/// (<c>mode</c> is <c>file</c>, <c>executable</c> or <c>symlink</c>, whose content is the link target); each event is
/// <c>{"seq":1,"at":"2026-…","event":{…}}</c> with the event in the journal's JSON format (<see cref="JournalJson"/>).
/// </para>
/// <para>Readers refuse a file with another <c>format</c> or a newer <c>version</c> than <see cref="CurrentVersion"/>.</para>
/// </remarks>
/// <param name="SessionId">The session.</param>
/// <param name="ExportedAt">When the file was written.</param>
/// <param name="Workspace">The workspace the session started from.</param>
/// <param name="Events">The whole journal, in order.</param>
public sealed record SessionArchive(string SessionId, DateTimeOffset ExportedAt, StartingWorkspace Workspace, IReadOnlyList<RecordedEvent> Events)
{
    /// <summary>The <c>format</c> marker of a session file.</summary>
    public const string Format = "rein-session";

    /// <summary>The file format version this build writes and the newest it reads.</summary>
    public const int CurrentVersion = 1;

    /// <summary>The file name extension exports use and <c>rein replay --check</c> looks for.</summary>
    public const string Extension = ".rein.json";

    /// <summary>Writes the archive as indented JSON.</summary>
    /// <param name="stream">The stream to write to; left open.</param>
    /// <exception cref="ArgumentNullException"><paramref name="stream"/> is <see langword="null"/>.</exception>
    public void WriteTo(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        using var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true, Encoder = JournalJson.Options.Encoder });
        writer.WriteStartObject();
        writer.WriteString("format", Format);
        writer.WriteNumber("version", CurrentVersion);
        writer.WriteString("session_id", SessionId);
        writer.WriteString("exported_at", ExportedAt.ToString("O", CultureInfo.InvariantCulture));
        writer.WriteStartObject("workspace");
        writer.WriteString("snapshot", Workspace.Snapshot);
        if (Workspace.Checkpoint is { } checkpoint)
        {
            writer.WriteString("checkpoint", checkpoint);
        }

        writer.WriteStartArray("skipped_files");
        foreach (var skipped in Workspace.SkippedFiles)
        {
            writer.WriteStringValue(skipped);
        }

        writer.WriteEndArray();
        writer.WriteStartArray("files");
        foreach (var file in Workspace.Files)
        {
            writer.WriteStartObject();
            writer.WriteString("path", file.Path);
            writer.WriteString("mode", file.Mode);
            writer.WriteBase64String("content_base64", file.Content);
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
        writer.WriteEndObject();
        writer.WriteStartArray("events");
        foreach (var recorded in Events)
        {
            writer.WriteStartObject();
            writer.WriteNumber("seq", recorded.Sequence);
            writer.WriteString("at", recorded.Timestamp.ToString("O", CultureInfo.InvariantCulture));
            writer.WritePropertyName("event");
            writer.WriteRawValue(JournalJson.Serialize(recorded.Event), skipInputValidation: true);
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
        writer.WriteEndObject();
        writer.Flush();
    }

    /// <summary>Gets the archive as JSON text.</summary>
    /// <returns>The text.</returns>
    public string ToJson()
    {
        using var stream = new MemoryStream();
        WriteTo(stream);
        return Encoding.UTF8.GetString(stream.GetBuffer(), 0, (int)stream.Length);
    }

    /// <summary>Reads an archive.</summary>
    /// <param name="json">The file's text.</param>
    /// <param name="source">Where the text came from, for messages.</param>
    /// <returns>The archive.</returns>
    /// <exception cref="FormatException">
    /// The text is not a session file, has an unsupported version, or is damaged (bad JSON, an unknown event, a journal
    /// with gaps, a file path outside the workspace, bad base64); the message names <paramref name="source"/> and the problem.
    /// </exception>
    public static SessionArchive Parse(string json, string source = "session file")
    {
        ArgumentNullException.ThrowIfNull(json);
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json);
        }
        catch (JsonException ex)
        {
            throw new FormatException($"{source}: not valid JSON ({Engine.ErrorText.JsonProblem(ex)}, line {(ex.LineNumber ?? 0) + 1}).", ex);
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("format", out var format) || format.ValueKind != JsonValueKind.String || format.GetString() != Format)
            {
                throw new FormatException($"{source}: not a Rein session file (no \"format\": \"{Format}\"); create one with: rein sessions export SESSION");
            }

            if (!root.TryGetProperty("version", out var versionElement) || !versionElement.TryGetInt32(out var version) || version < 1)
            {
                throw new FormatException($"{source}: the session file has no valid \"version\".");
            }

            if (version > CurrentVersion)
            {
                throw new FormatException($"{source}: session file version {version} is not supported (this rein reads version {CurrentVersion}); upgrade rein.");
            }

            try
            {
                var sessionId = RequireString(root, "session_id");
                var exportedAt = root.TryGetProperty("exported_at", out var at) && at.ValueKind == JsonValueKind.String
                    ? DateTimeOffset.Parse(at.GetString()!, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind)
                    : default;
                var workspace = ReadWorkspace(Require(root, "workspace", JsonValueKind.Object));
                var events = ReadEvents(Require(root, "events", JsonValueKind.Array));
                try
                {
                    RecordedJournal.Validate(sessionId, events);
                }
                catch (ArgumentException ex)
                {
                    throw new FormatException(ex.Message, ex);
                }

                return new SessionArchive(sessionId, exportedAt, workspace, events);
            }
            catch (Exception ex) when (ex is FormatException or JsonException or InvalidOperationException or OverflowException)
            {
                throw new FormatException($"{source}: damaged session file: {ex.Message}", ex);
            }
        }
    }

    /// <summary>Whether a file's text starts like a session file (a cheap check before <see cref="Parse"/>).</summary>
    /// <param name="json">The text.</param>
    /// <returns>Whether the <c>format</c> marker is near the start.</returns>
    public static bool LooksLikeArchive(string json) =>
        json is not null && json.AsSpan(0, Math.Min(json.Length, 256)).Contains($"\"{Format}\"", StringComparison.Ordinal);

    private static StartingWorkspace ReadWorkspace(JsonElement workspace)
    {
        var snapshot = RequireString(workspace, "snapshot");
        if (snapshot is not (StartingWorkspace.FromCheckpoint or StartingWorkspace.FromCurrent or StartingWorkspace.None))
        {
            throw new FormatException($"\"workspace\": unknown \"snapshot\" '{snapshot}'.");
        }

        var checkpoint = workspace.TryGetProperty("checkpoint", out var c) && c.ValueKind == JsonValueKind.String ? c.GetString() : null;
        var skipped = workspace.TryGetProperty("skipped_files", out var s) && s.ValueKind == JsonValueKind.Array
            ? s.EnumerateArray().Select(e => e.GetString() ?? throw new FormatException("\"skipped_files\" holds a non-string.")).ToList()
            : [];
        var files = new List<WorkspaceFile>();
        foreach (var file in Require(workspace, "files", JsonValueKind.Array).EnumerateArray())
        {
            var path = RequireString(file, "path");
            var mode = RequireString(file, "mode");
            if (mode is not (WorkspaceFile.RegularMode or WorkspaceFile.ExecutableMode or WorkspaceFile.SymbolicLinkMode))
            {
                throw new FormatException($"file '{path}': unknown \"mode\" '{mode}' (file, executable or symlink).");
            }

            files.Add(new WorkspaceFile(WorkspaceFile.CheckPath(path), mode, Require(file, "content_base64", JsonValueKind.String).GetBytesFromBase64()));
        }

        return new StartingWorkspace(snapshot, checkpoint, files, skipped);
    }

    private static List<RecordedEvent> ReadEvents(JsonElement events)
    {
        var result = new List<RecordedEvent>();
        foreach (var item in events.EnumerateArray())
        {
            var seq = Require(item, "seq", JsonValueKind.Number).GetInt64();
            var at = DateTimeOffset.Parse(RequireString(item, "at"), CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind);
            var e = Require(item, "event", JsonValueKind.Object);
            SessionEvent sessionEvent;
            try
            {
                sessionEvent = JournalJson.Deserialize(e.GetRawText());
            }
            catch (Exception ex) when (ex is JsonException or NotSupportedException)
            {
                throw new FormatException($"event {seq}: {ex.Message}", ex);
            }

            result.Add(new RecordedEvent(seq, at, sessionEvent));
        }

        return result;
    }

    private static JsonElement Require(JsonElement obj, string name, JsonValueKind kind) =>
        obj.ValueKind == JsonValueKind.Object && obj.TryGetProperty(name, out var value) && value.ValueKind == kind
            ? value
            : throw new FormatException($"\"{name}\" is missing or not a {kind.ToString().ToLowerInvariant()}.");

    private static string RequireString(JsonElement obj, string name) => Require(obj, name, JsonValueKind.String).GetString()!;
}

/// <summary>The workspace a session started from, as carried by a <see cref="SessionArchive"/>.</summary>
/// <param name="Snapshot">
/// Where the files came from: <see cref="FromCheckpoint"/> (the session's first checkpoint), <see cref="FromCurrent"/> (the
/// workspace as it was at export, for a session without checkpoints) or <see cref="None"/> (no files: a replay starts empty).
/// </param>
/// <param name="Checkpoint">The checkpoint commit the files were taken from, if any.</param>
/// <param name="Files">The files.</param>
/// <param name="SkippedFiles">Paths the snapshot left out (too large, nested repositories).</param>
public sealed record StartingWorkspace(string Snapshot, string? Checkpoint, IReadOnlyList<WorkspaceFile> Files, IReadOnlyList<string> SkippedFiles)
{
    /// <summary>The files are the session's first checkpoint.</summary>
    public const string FromCheckpoint = "checkpoint";

    /// <summary>The session took no checkpoint; the files are the workspace as it was when exported.</summary>
    public const string FromCurrent = "current";

    /// <summary>No starting snapshot exists; a replay starts from an empty workspace.</summary>
    public const string None = "none";

    /// <summary>Gets a workspace without a snapshot.</summary>
    public static StartingWorkspace Empty { get; } = new(None, null, [], []);

    /// <summary>Writes the files into a folder.</summary>
    /// <param name="directory">The folder (created if missing); normally empty.</param>
    /// <exception cref="IOException">A file could not be written.</exception>
    /// <exception cref="FormatException">A path leaves the folder.</exception>
    public void Materialize(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        var root = Path.GetFullPath(directory);
        Directory.CreateDirectory(root);
        foreach (var file in Files)
        {
            var path = Path.GetFullPath(Path.Combine(root, WorkspaceFile.CheckPath(file.Path)));
            if (!path.StartsWith(Path.TrimEndingDirectorySeparator(root) + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            {
                throw new FormatException($"file '{file.Path}' is outside the workspace.");
            }

            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            if (file.Mode == WorkspaceFile.SymbolicLinkMode)
            {
                File.CreateSymbolicLink(path, Encoding.UTF8.GetString(file.Content));
                continue;
            }

            File.WriteAllBytes(path, file.Content);
            if (file.Mode == WorkspaceFile.ExecutableMode && !OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(path, File.GetUnixFileMode(path) | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute);
            }
        }
    }
}

/// <summary>One file of a <see cref="StartingWorkspace"/>.</summary>
/// <param name="Path">The path relative to the workspace, with <c>/</c> separators.</param>
/// <param name="Mode"><see cref="RegularMode"/>, <see cref="ExecutableMode"/> or <see cref="SymbolicLinkMode"/>.</param>
/// <param name="Content">The bytes; for a symbolic link, its target in UTF-8.</param>
public sealed record WorkspaceFile(string Path, string Mode, byte[] Content)
{
    /// <summary>A regular file.</summary>
    public const string RegularMode = "file";

    /// <summary>An executable file.</summary>
    public const string ExecutableMode = "executable";

    /// <summary>A symbolic link.</summary>
    public const string SymbolicLinkMode = "symlink";

    /// <summary>Checks that a path stays inside the workspace.</summary>
    /// <param name="path">The relative path.</param>
    /// <returns><paramref name="path"/>.</returns>
    /// <exception cref="FormatException">The path is empty, rooted, or has a <c>..</c> or <c>.git</c> segment.</exception>
    public static string CheckPath(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var segments = path.Split('/');
        if (path.Length == 0 || path.StartsWith('/') || path.Contains('\\', StringComparison.Ordinal) || System.IO.Path.IsPathRooted(path)
            || segments.Any(s => s is "" or "." or ".." || s.Equals(".git", StringComparison.OrdinalIgnoreCase)))
        {
            throw new FormatException($"file path '{path}' is not a plain relative path inside the workspace.");
        }

        return path;
    }
}
