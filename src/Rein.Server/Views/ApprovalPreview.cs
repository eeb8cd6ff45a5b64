using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Rein.Context.CodeMemory;
using Rein.Tools;

namespace Rein.Server.Views;

/// <summary>What a line of an <see cref="ApprovalPreview"/> is, which decides its colour.</summary>
public enum PreviewLineKind
{
    /// <summary>What will run or be fetched, shown as it is.</summary>
    Text,

    /// <summary>A diff line the call adds (<c>+</c>).</summary>
    Added,

    /// <summary>A diff line the call removes (<c>-</c>).</summary>
    Removed,

    /// <summary>An unchanged diff line around a change.</summary>
    Context,

    /// <summary>A diff's file names and hunk headers (<c>---</c>, <c>+++</c>, <c>@@</c>).</summary>
    Header,

    /// <summary>Rein's own remark (a new file's size, why a file could not be read, how many lines are left out).</summary>
    Note,
}

/// <summary>One line of an <see cref="ApprovalPreview"/>; diff lines carry their <c>+</c>, <c>-</c> or space.</summary>
/// <param name="Kind">What the line is.</param>
/// <param name="Text">The line's text.</param>
public readonly record struct PreviewLine(PreviewLineKind Kind, string Text);

/// <summary>
/// What an approver needs to judge a waiting call, the same in the terminal prompt and in <c>rein approvals list</c>:
/// the whole command of <c>shell</c>, a unified diff against the file as it is now for <c>edit_file</c> and
/// <c>write_file</c> (or "new file" and its first lines), the method and URL of <c>fetch_url</c>, and the arguments as
/// compact JSON for any other tool.
/// </summary>
/// <remarks>
/// Previews longer than <see cref="MaxLines"/> lines are cut with a note of how many lines were left out. Files are read
/// only inside the workspace, as the tools themselves would, and up to <see cref="MaxFileBytes"/>; their text passes
/// through the session's secret redactor. The text is as the model and the files have it: a terminal renderer must
/// neutralise escape sequences in it before showing it.
/// </remarks>
public sealed class ApprovalPreview
{
    /// <summary>The most lines shown; the rest is counted in a closing note.</summary>
    public const int MaxLines = 40;

    /// <summary>The largest file diffed; larger ones are described, not read.</summary>
    public const int MaxFileBytes = 256 * 1024;

    // Myers' diff keeps a frontier per edit step; beyond this many lines a changed file is shown as its new head instead.
    private const int MaxDiffLines = 4000;

    private ApprovalPreview(List<PreviewLine> lines)
    {
        if (lines.Count > MaxLines)
        {
            var left = lines.Count - MaxLines;
            lines = [.. lines.Take(MaxLines), new PreviewLine(PreviewLineKind.Note, $"… {left} more {(left == 1 ? "line" : "lines")}")];
        }

        Lines = lines;
    }

    /// <summary>Gets the lines, at most <see cref="MaxLines"/> plus a note of what was left out.</summary>
    public IReadOnlyList<PreviewLine> Lines { get; }

    /// <summary>Builds the preview of a call.</summary>
    /// <param name="tool">The tool's name.</param>
    /// <param name="arguments">The call's arguments as the model gave them.</param>
    /// <param name="workspace">The session's workspace, where files are read; <see langword="null"/> when unknown (no file is read).</param>
    /// <param name="redact">Hides stored secrets in file text; <see langword="null"/> to show it as it is.</param>
    /// <returns>The preview.</returns>
    public static ApprovalPreview Create(string tool, JsonElement? arguments, string? workspace, Func<string, string>? redact = null)
    {
        ArgumentNullException.ThrowIfNull(tool);
        redact ??= static text => text;
        var lines = new List<PreviewLine>();
        if (arguments is not { ValueKind: JsonValueKind.Object } args)
        {
            lines.Add(new PreviewLine(PreviewLineKind.Text, arguments is { } other ? Compact(other, []) : "(no arguments)"));
            return new ApprovalPreview(lines);
        }

        switch (tool)
        {
            case "shell" when String(args, "command") is { } command:
                lines.AddRange(SplitLines(command).Select(l => new PreviewLine(PreviewLineKind.Text, l)));
                AddRest(lines, args, "command");
                break;
            case "fetch_url" when String(args, "url") is { } url:
                lines.Add(new PreviewLine(PreviewLineKind.Text, $"GET {url}"));
                AddRest(lines, args, "url");
                break;
            case "edit_file" when String(args, "path") is { } path && String(args, "old_string") is { } oldString && String(args, "new_string") is { } newString:
                var replaceAll = args.TryGetProperty("replace_all", out var all) && all.ValueKind == JsonValueKind.True;
                AddEdit(lines, workspace, path, oldString, newString, replaceAll, redact);
                break;
            case "write_file" when String(args, "path") is { } path && String(args, "content") is { } content:
                AddWrite(lines, workspace, path, content, redact);
                break;
            default:
                lines.Add(new PreviewLine(PreviewLineKind.Text, Compact(args, [])));
                break;
        }

        return new ApprovalPreview(lines);
    }

    /// <summary>The preview as plain text, one line per line, diff lines with their <c>+</c>/<c>-</c> (e.g. for JSON output).</summary>
    /// <returns>The text, without a final line break.</returns>
    public string ToText() => string.Join('\n', Lines.Select(l => l.Text));

    private static void AddEdit(List<PreviewLine> lines, string? workspace, string path, string oldString, string newString, bool replaceAll, Func<string, string> redact)
    {
        var (current, problem) = Read(workspace, path);
        if (current is not null)
        {
            // The tool matches CRLF files with LF text the same way (see EditFileTool).
            if (current.Contains("\r\n", StringComparison.Ordinal) && !oldString.Contains('\r', StringComparison.Ordinal))
            {
                oldString = oldString.ReplaceLineEndings("\r\n");
                newString = newString.ReplaceLineEndings("\r\n");
            }

            var first = current.IndexOf(oldString, StringComparison.Ordinal);
            if (first >= 0)
            {
                var updated = replaceAll
                    ? current.Replace(oldString, newString, StringComparison.Ordinal)
                    : string.Concat(current.AsSpan(0, first), newString, current.AsSpan(first + oldString.Length));
                AddDiff(lines, path, redact(current), redact(updated));
                return;
            }

            problem = "the text to replace is not in the file as it is now; the edit will fail";
        }

        // Without the file, the edit itself is all there is to show.
        lines.Add(new PreviewLine(PreviewLineKind.Note, $"{path}: {problem}{(replaceAll ? " (every occurrence)" : "")}"));
        lines.AddRange(SplitLines(redact(oldString)).Select(l => new PreviewLine(PreviewLineKind.Removed, "-" + l)));
        lines.AddRange(SplitLines(redact(newString)).Select(l => new PreviewLine(PreviewLineKind.Added, "+" + l)));
    }

    private static void AddWrite(List<PreviewLine> lines, string? workspace, string path, string content, Func<string, string> redact)
    {
        var (current, problem) = Read(workspace, path);
        if (current is not null)
        {
            AddDiff(lines, path, redact(current), redact(content));
            return;
        }

        var added = SplitLines(redact(content));
        var count = content.Length == 0 ? 0 : added.Count;
        var size = count == 1 ? "1 line" : $"{count.ToString(CultureInfo.InvariantCulture)} lines";
        lines.Add(new PreviewLine(PreviewLineKind.Note, problem is null ? $"new file {path}, {size}" : $"{path} ({problem}), {size}"));
        lines.AddRange(added.Take(count).Select(l => new PreviewLine(PreviewLineKind.Added, "+" + l)));
    }

    private static void AddDiff(List<PreviewLine> lines, string path, string before, string after)
    {
        if (string.Equals(before, after, StringComparison.Ordinal))
        {
            lines.Add(new PreviewLine(PreviewLineKind.Note, $"{path}: no change (the file already has this text)"));
            return;
        }

        var old = SplitLines(before);
        var updated = SplitLines(after);
        lines.Add(new PreviewLine(PreviewLineKind.Header, $"--- {path}"));
        lines.Add(new PreviewLine(PreviewLineKind.Header, $"+++ {path}"));
        if (old.Count + updated.Count > MaxDiffLines)
        {
            lines.Add(new PreviewLine(PreviewLineKind.Note, $"too large to compare ({old.Count} lines now, {updated.Count} after); the new text begins:"));
            lines.AddRange(updated.Select(l => new PreviewLine(PreviewLineKind.Added, "+" + l)));
            return;
        }

        foreach (var line in SplitLines(UnifiedDiff.Create(old, updated)))
        {
            lines.Add(line switch
            {
                ['+', ..] => new PreviewLine(PreviewLineKind.Added, line),
                ['-', ..] => new PreviewLine(PreviewLineKind.Removed, line),
                ['@', ..] => new PreviewLine(PreviewLineKind.Header, line),
                _ => new PreviewLine(PreviewLineKind.Context, line),
            });
        }
    }

    /// <summary>Reads a workspace text file as the tools would find it.</summary>
    /// <returns>The text, or <see langword="null"/> and why not (<see langword="null"/> too when the file does not exist).</returns>
    private static (string? Text, string? Problem) Read(string? workspace, string path)
    {
        if (workspace is null || !Path.IsPathRooted(workspace) || !Directory.Exists(workspace))
        {
            return (null, "not read: the workspace is not here");
        }

        try
        {
            if (!new WorkspacePaths(workspace).TryResolve(path, out var fullPath, out var error))
            {
                return (null, $"not read: {error}");
            }

            var file = new FileInfo(fullPath);
            if (!file.Exists)
            {
                return (null, Directory.Exists(fullPath) ? "a folder, not a file" : null);
            }

            if (file.Length > MaxFileBytes)
            {
                return (null, $"not read: larger than {MaxFileBytes / 1024} KB");
            }

            var bytes = File.ReadAllBytes(fullPath);
            if (bytes.AsSpan().Contains((byte)0))
            {
                return (null, "a binary file");
            }

            var bom = bytes.AsSpan().StartsWith(Encoding.UTF8.Preamble) ? Encoding.UTF8.Preamble.Length : 0;
            return (Encoding.UTF8.GetString(bytes, bom, bytes.Length - bom), null);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException)
        {
            return (null, "not read: the file cannot be opened");
        }
    }

    private static List<string> SplitLines(string text)
    {
        var lines = text.Split('\n').Select(l => l.TrimEnd('\r')).ToList();
        if (lines.Count > 1 && lines[^1].Length == 0)
        {
            lines.RemoveAt(lines.Count - 1);
        }

        return lines;
    }

    private static string? String(JsonElement args, string name) =>
        args.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static void AddRest(List<PreviewLine> lines, JsonElement args, string shown)
    {
        if (args.EnumerateObject().Any(p => p.Name != shown))
        {
            lines.Add(new PreviewLine(PreviewLineKind.Note, $"with {Compact(args, [shown])}"));
        }
    }

    private static string Compact(JsonElement value, string[] leaveOut)
    {
        using var buffer = new MemoryStream();
        // Relaxed: a preview is read by people, so quotes and non-ASCII letters stay as they are; controls are still escaped.
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            if (value.ValueKind == JsonValueKind.Object)
            {
                writer.WriteStartObject();
                foreach (var property in value.EnumerateObject().Where(p => !leaveOut.Contains(p.Name)))
                {
                    property.WriteTo(writer);
                }

                writer.WriteEndObject();
            }
            else
            {
                value.WriteTo(writer);
            }
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }
}
