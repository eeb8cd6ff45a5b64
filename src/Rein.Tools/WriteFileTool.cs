namespace Rein.Tools;

/// <summary>The <c>write_file</c> tool: creates or replaces a workspace file, creating parent folders.</summary>
/// <remarks>
/// Thread-safe and stateless. Content is written as UTF-8 without a byte order mark, to the path's real target
/// (links resolved), which the session's policy must allow (<see cref="ToolContext.FileAccess"/>); the file is opened
/// without following links, so a link swapped in after the check is not written through.
/// </remarks>
public sealed class WriteFileTool : ITool
{
    /// <summary>Creates the tool.</summary>
    public WriteFileTool()
    {
        Definition = new ToolDefinition(
            "write_file",
            "Create or overwrite a file with the given content. Creates parent folders. Prefer edit_file for changes to existing files.",
            ToolArguments.Schema("""
                {"type":"object","properties":{
                "path":{"type":"string","description":"File path, relative to the workspace"},
                "content":{"type":"string","description":"The full new content"}},
                "required":["path","content"],"additionalProperties":false}
                """));
    }

    /// <inheritdoc />
    public ToolDefinition Definition { get; }

    /// <inheritdoc />
    public ValueTask<ToolResult> InvokeAsync(ToolInvocation invocation, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(invocation);
        return ToolGuard.RunAsync(() => WriteAsync(invocation, cancellationToken));
    }

    private static async ValueTask<ToolResult> WriteAsync(ToolInvocation invocation, CancellationToken cancellationToken)
    {
        var path = ToolArguments.RequiredString(invocation.Arguments, "path");
        var content = ToolArguments.RequiredString(invocation.Arguments, "content", allowEmpty: true);
        var workspace = new WorkspacePaths(invocation.Context.WorkspaceRoot);
        if (!workspace.TryResolve(path, out var fullPath, out var error))
        {
            return ToolResult.Error(error);
        }

        if (Directory.Exists(fullPath))
        {
            return ToolResult.Error($"'{path}' is a folder; give a file path.");
        }

        if (invocation.Context.FileAccess?.CheckWrite(fullPath) is { Decision: FileAccessDecision.Deny } refused)
        {
            return ToolResult.Error($"Not written: '{path}' is really '{workspace.ToRelative(fullPath)}', and the policy refuses it: {refused.Reason}.");
        }

        var parent = Path.GetDirectoryName(fullPath)!;
        if (File.Exists(parent))
        {
            return ToolResult.Error($"Cannot create '{path}': '{workspace.ToRelative(parent)}' is a file, not a folder.");
        }

        var existed = File.Exists(fullPath);
        Directory.CreateDirectory(parent);
        var bytes = TextFiles.Utf8NoBom.GetBytes(content);
        if (invocation.Context.Editor is not { CanWrite: true } editor || !await editor.WriteTextAsync(fullPath, content, cancellationToken).ConfigureAwait(false))
        {
            var stream = NoFollowFile.OpenWrite(fullPath);
            await using (stream.ConfigureAwait(false))
            {
                await stream.WriteAsync(bytes, cancellationToken).ConfigureAwait(false);
            }
        }

        var lines = content.Length == 0 ? 0 : content.Count('\n') + (content.EndsWith('\n') ? 0 : 1);
        var verb = existed ? "Overwrote" : "Created";
        return ToolResult.Ok($"{verb} '{workspace.ToRelative(fullPath)}' ({TextFiles.Plural(bytes.Length, "byte", "bytes")}, {TextFiles.Plural(lines, "line", "lines")}).");
    }
}
