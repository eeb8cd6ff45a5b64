using System.Text;

namespace Rein.Tools;

/// <summary>The <c>list_files</c> tool: lists workspace files matching a glob, honouring .gitignore.</summary>
/// <remarks>
/// Thread-safe and stateless. Paths are listed relative to the workspace root, sorted ordinally. Files the session's
/// read rules deny (<see cref="ToolContext.FileAccess"/>; a link by its target) are left out and counted in a note.
/// </remarks>
public sealed class ListFilesTool : ITool
{
    private readonly int _maxFiles;

    /// <summary>Creates the tool.</summary>
    /// <param name="maxFiles">The most paths returned by one call. Defaults to 1000.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxFiles"/> is less than 1.</exception>
    public ListFilesTool(int maxFiles = 1000)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxFiles, 1);
        _maxFiles = maxFiles;
        Definition = new ToolDefinition(
            "list_files",
            "List files matching a glob (skips .gitignored files). Paths are relative to the workspace root.",
            ToolArguments.Schema("""
                {"type":"object","properties":{
                "pattern":{"type":"string","description":"Glob relative to path, e.g. src/**/*.cs; without '/' matches file names at any depth. Default **/*"},
                "path":{"type":"string","description":"Folder to search, relative to the workspace. Default: root"}},
                "additionalProperties":false}
                """),
            ReadOnly: true);
    }

    /// <inheritdoc />
    public ToolDefinition Definition { get; }

    /// <inheritdoc />
    public ValueTask<ToolResult> InvokeAsync(ToolInvocation invocation, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(invocation);
        return ToolGuard.RunAsync(() => ValueTask.FromResult(List(invocation, cancellationToken)));
    }

    private ToolResult List(ToolInvocation invocation, CancellationToken cancellationToken)
    {
        var pattern = ToolArguments.OptionalString(invocation.Arguments, "pattern") is { Length: > 0 } given ? given : "**/*";
        var path = ToolArguments.OptionalString(invocation.Arguments, "path") ?? "";
        var glob = Glob.Parse(pattern);
        var workspace = new WorkspacePaths(invocation.Context.WorkspaceRoot);
        if (!workspace.TryResolve(path, out var folder, out var error))
        {
            return ToolResult.Error(error);
        }

        if (!Directory.Exists(folder))
        {
            return ToolResult.Error(File.Exists(folder)
                ? $"'{path}' is a file, not a folder."
                : $"Folder '{path}' does not exist.");
        }

        var baseRelative = workspace.ToRelative(folder);
        var prefixLength = baseRelative == "." ? 0 : baseRelative.Length + 1;
        var matches = new List<string>();
        var total = 0;
        var refused = 0;
        var access = invocation.Context.FileAccess;
        foreach (var entry in WorkspaceWalker.EnumerateFiles(workspace, folder, cancellationToken))
        {
            if (!glob.IsMatch(entry.RelativePath[prefixLength..]))
            {
                continue;
            }

            // A link is judged by its target, so a link to a denied file is left out like the file.
            if (access is not null && access.CheckRead(entry.IsLink ? RealPath.Resolve(entry.FullPath) ?? entry.FullPath : entry.FullPath).Decision == FileAccessDecision.Deny)
            {
                refused++;
                continue;
            }

            total++;
            matches.Add(entry.RelativePath);
        }

        var skipped = refused == 0 ? "" : $"[{TextFiles.Plural(refused, "file", "files")} not listed: the policy does not allow reading {(refused == 1 ? "it" : "them")}]";
        if (total == 0)
        {
            var none = $"No files match '{pattern}' in '{(prefixLength == 0 ? "." : baseRelative)}'.";
            return ToolResult.Ok(skipped.Length > 0 ? none + "\n" + skipped : none);
        }

        matches.Sort(StringComparer.Ordinal);
        var output = new StringBuilder();
        foreach (var match in matches.Take(_maxFiles))
        {
            output.Append(match).Append('\n');
        }

        if (total > _maxFiles)
        {
            output.Append($"[showing {_maxFiles} of {total} files; narrow the pattern or path]");
            output.Append(skipped.Length > 0 ? "\n" + skipped : "");
        }
        else if (skipped.Length > 0)
        {
            output.Append(skipped);
        }
        else
        {
            output.Length--;
        }

        return ToolResult.Ok(output.ToString());
    }
}
