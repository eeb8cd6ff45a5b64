using System.Globalization;
using System.Text;

namespace Rein.Tools;

/// <summary>The <c>read_file</c> tool: reads a workspace text file with line numbers.</summary>
/// <remarks>Thread-safe and stateless. The session's read rules apply to the file's real target (<see cref="ToolContext.FileAccess"/>).</remarks>
public sealed class ReadFileTool : ITool
{
    private const int MaxLineChars = 2000;
    private readonly int _maxLines;

    /// <summary>Creates the tool.</summary>
    /// <param name="maxLines">The most lines returned by one call. Defaults to 2000.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxLines"/> is less than 1.</exception>
    public ReadFileTool(int maxLines = 2000)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxLines, 1);
        _maxLines = maxLines;
        Definition = new ToolDefinition(
            "read_file",
            $"Read a text file with line numbers. Returns at most {maxLines} lines per call; use start_line/end_line for more.",
            ToolArguments.Schema("""
                {"type":"object","properties":{
                "path":{"type":"string","description":"File path, relative to the workspace"},
                "start_line":{"type":"integer","minimum":1,"description":"First line (1-based)"},
                "end_line":{"type":"integer","minimum":1,"description":"Last line, inclusive"}},
                "required":["path"],"additionalProperties":false}
                """),
            ReadOnly: true);
    }

    /// <inheritdoc />
    public ToolDefinition Definition { get; }

    /// <inheritdoc />
    public ValueTask<ToolResult> InvokeAsync(ToolInvocation invocation, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(invocation);
        return ToolGuard.RunAsync(() => ReadAsync(invocation, cancellationToken));
    }

    private async ValueTask<ToolResult> ReadAsync(ToolInvocation invocation, CancellationToken cancellationToken)
    {
        var path = ToolArguments.RequiredString(invocation.Arguments, "path");
        var start = ToolArguments.OptionalInteger(invocation.Arguments, "start_line", 1, int.MaxValue) ?? 1;
        var requestedEnd = ToolArguments.OptionalInteger(invocation.Arguments, "end_line", 1, int.MaxValue);
        if (requestedEnd < start)
        {
            return ToolResult.Error($"end_line ({requestedEnd}) is before start_line ({start}).");
        }

        var workspace = new WorkspacePaths(invocation.Context.WorkspaceRoot);
        if (!workspace.TryResolve(path, out var fullPath, out var error))
        {
            return ToolResult.Error(error);
        }

        if (Directory.Exists(fullPath))
        {
            return ToolResult.Error($"'{path}' is a folder, not a file. Use list_files to see its contents.");
        }

        if (!File.Exists(fullPath))
        {
            return ToolResult.Error($"File '{path}' does not exist. Check the path with list_files.");
        }

        if (invocation.Context.FileAccess?.CheckRead(fullPath) is { Decision: FileAccessDecision.Deny } refused)
        {
            return ToolResult.Error($"Not read: '{path}' is really '{workspace.ToRelative(fullPath)}', and the policy refuses it: {refused.Reason}.");
        }

        if (await TextFiles.IsBinaryAsync(fullPath, cancellationToken).ConfigureAwait(false))
        {
            return ToolResult.Error($"'{path}' is a binary file ({new FileInfo(fullPath).Length} bytes); read_file only reads text.");
        }

        var end = Math.Min(requestedEnd ?? long.MaxValue, start + _maxLines - 1);
        var output = new StringBuilder();
        long total = 0;
        // An editor's copy has the user's unsaved changes.
        var edited = invocation.Context.Editor is { CanRead: true } editor ? await editor.ReadTextAsync(fullPath, cancellationToken).ConfigureAwait(false) : null;
        using (TextReader reader = edited is not null ? new StringReader(edited)
            : new StreamReader(new FileStream(fullPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 4096, FileOptions.Asynchronous | FileOptions.SequentialScan), Encoding.UTF8, detectEncodingFromByteOrderMarks: true))
        {
            while (await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false) is { } line)
            {
                total++;
                if (total < start || total > end)
                {
                    continue;
                }

                output.Append(CultureInfo.InvariantCulture, $"{total,6}\t");
                if (line.Length > MaxLineChars)
                {
                    // Never through a secret: its fragment would escape redaction.
                    var cut = invocation.Context.Redactor?.SpanAcross(line, MaxLineChars)?.Start.Value ?? MaxLineChars;
                    output.Append(line, 0, cut).Append(CultureInfo.InvariantCulture, $"... [line cut, {line.Length} characters]");
                }
                else
                {
                    output.Append(line);
                }

                output.Append('\n');
            }
        }

        if (total == 0)
        {
            return ToolResult.Ok($"'{path}' is empty.");
        }

        if (start > total)
        {
            return ToolResult.Error($"start_line {start} is past the end of '{path}', which has {total} lines.");
        }

        var last = Math.Min(end, total);
        if (start > 1 || last < total)
        {
            output.Append(CultureInfo.InvariantCulture, $"[lines {start}-{last} of {total}");
            output.Append(last < total ? $"; to read more call read_file with start_line={last + 1}]" : "]");
        }
        else
        {
            output.Length--;
        }

        return ToolResult.Ok(output.ToString());
    }
}
