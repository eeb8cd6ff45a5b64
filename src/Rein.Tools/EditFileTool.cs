using System.Text;
using System.Text.RegularExpressions;

namespace Rein.Tools;

/// <summary>The <c>edit_file</c> tool: replaces an exact string in a workspace file.</summary>
/// <remarks>
/// Thread-safe and stateless. When the file uses CRLF line endings and <c>old_string</c> has none, both strings
/// are matched and written with CRLF, so edits copied from <c>read_file</c> output still apply. A UTF-8 byte order
/// mark is kept. The path's real target (links resolved) is what the session's policy judges
/// (<see cref="ToolContext.FileAccess"/>) and what is written, opened without following links.
/// </remarks>
public sealed class EditFileTool : ITool
{
    private static readonly Regex Whitespace = new(@"\s+", RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));

    /// <summary>Creates the tool.</summary>
    public EditFileTool()
    {
        Definition = new ToolDefinition(
            "edit_file",
            "Replace old_string with new_string in a file. old_string must match exactly (including indentation) and be unique unless replace_all is true.",
            ToolArguments.Schema("""
                {"type":"object","properties":{
                "path":{"type":"string","description":"File path, relative to the workspace"},
                "old_string":{"type":"string","minLength":1,"description":"Exact text to replace"},
                "new_string":{"type":"string","description":"Replacement text"},
                "replace_all":{"type":"boolean","description":"Replace every occurrence (default false)"}},
                "required":["path","old_string","new_string"],"additionalProperties":false}
                """));
    }

    /// <inheritdoc />
    public ToolDefinition Definition { get; }

    /// <inheritdoc />
    public ValueTask<ToolResult> InvokeAsync(ToolInvocation invocation, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(invocation);
        return ToolGuard.RunAsync(() => EditAsync(invocation, cancellationToken));
    }

    private static async ValueTask<ToolResult> EditAsync(ToolInvocation invocation, CancellationToken cancellationToken)
    {
        var path = ToolArguments.RequiredString(invocation.Arguments, "path");
        var oldString = ToolArguments.RequiredString(invocation.Arguments, "old_string");
        var newString = ToolArguments.RequiredString(invocation.Arguments, "new_string", allowEmpty: true);
        var replaceAll = ToolArguments.OptionalBoolean(invocation.Arguments, "replace_all");
        if (string.Equals(oldString, newString, StringComparison.Ordinal))
        {
            return ToolResult.Error("old_string and new_string are identical; nothing to change.");
        }

        var workspace = new WorkspacePaths(invocation.Context.WorkspaceRoot);
        if (!workspace.TryResolve(path, out var fullPath, out var error))
        {
            return ToolResult.Error(error);
        }

        if (!File.Exists(fullPath))
        {
            return ToolResult.Error(Directory.Exists(fullPath)
                ? $"'{path}' is a folder, not a file."
                : $"File '{path}' does not exist. Use write_file to create it.");
        }

        if (invocation.Context.FileAccess?.CheckWrite(fullPath) is { Decision: FileAccessDecision.Deny } refused)
        {
            return ToolResult.Error($"Not edited: '{path}' is really '{workspace.ToRelative(fullPath)}', and the policy refuses it: {refused.Reason}.");
        }

        var bytes = await File.ReadAllBytesAsync(fullPath, cancellationToken).ConfigureAwait(false);
        if (TextFiles.LooksBinary(bytes.AsSpan(0, Math.Min(bytes.Length, TextFiles.SniffBytes))))
        {
            return ToolResult.Error($"'{path}' is a binary file; edit_file only edits text.");
        }

        var bom = bytes.AsSpan().StartsWith(Encoding.UTF8.Preamble);
        var editor = invocation.Context.Editor;
        // An editor's copy has the user's unsaved changes: the edit applies to what they see.
        var text = (editor is { CanRead: true } ? await editor.ReadTextAsync(fullPath, cancellationToken).ConfigureAwait(false) : null)
            ?? TextFiles.Utf8NoBom.GetString(bytes, bom ? Encoding.UTF8.Preamble.Length : 0, bytes.Length - (bom ? Encoding.UTF8.Preamble.Length : 0));
        if (text.Contains("\r\n", StringComparison.Ordinal) && !oldString.Contains('\r', StringComparison.Ordinal))
        {
            oldString = oldString.ReplaceLineEndings("\r\n");
            newString = newString.ReplaceLineEndings("\r\n");
        }

        var count = Count(text, oldString);
        if (count == 0)
        {
            var hint = Count(Whitespace.Replace(text, " "), Whitespace.Replace(oldString, " ").Trim()) > 0
                ? " A match exists if whitespace is ignored: copy the exact text, including indentation and line breaks, from read_file."
                : " Read the file again to get its current text.";
            return ToolResult.Error($"old_string was not found in '{path}'.{hint}");
        }

        if (count > 1 && !replaceAll)
        {
            return ToolResult.Error($"old_string was found {count} times in '{path}'. Add surrounding context to make it unique, or set replace_all to true.");
        }

        var first = text.IndexOf(oldString, StringComparison.Ordinal);
        var firstLine = text.AsSpan(0, first).Count('\n') + 1;
        var updated = replaceAll
            ? text.Replace(oldString, newString, StringComparison.Ordinal)
            : string.Concat(text.AsSpan(0, first), newString, text.AsSpan(first + oldString.Length));
        if (editor is not { CanWrite: true } || !await editor.WriteTextAsync(fullPath, updated, cancellationToken).ConfigureAwait(false))
        {
            var stream = NoFollowFile.OpenWrite(fullPath);
            await using (stream.ConfigureAwait(false))
            {
                if (bom)
                {
                    await stream.WriteAsync(Encoding.UTF8.Preamble.ToArray(), cancellationToken).ConfigureAwait(false);
                }

                await stream.WriteAsync(TextFiles.Utf8NoBom.GetBytes(updated), cancellationToken).ConfigureAwait(false);
            }
        }

        return ToolResult.Ok($"Replaced {TextFiles.Plural(count, "occurrence", "occurrences")} in '{workspace.ToRelative(fullPath)}' (first at line {firstLine}).");
    }

    private static int Count(string text, string value)
    {
        if (value.Length == 0)
        {
            return 0;
        }

        var count = 0;
        for (var index = text.IndexOf(value, StringComparison.Ordinal); index >= 0; index = text.IndexOf(value, index + value.Length, StringComparison.Ordinal))
        {
            count++;
        }

        return count;
    }
}
