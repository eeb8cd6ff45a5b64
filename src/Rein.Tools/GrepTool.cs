using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Rein.Tools;

/// <summary>The <c>grep</c> tool: searches workspace text files with a regular expression, honouring .gitignore.</summary>
/// <remarks>
/// Thread-safe and stateless. Binary files, symbolic links and files over 10 MB are skipped, and so are files the
/// session's read rules refuse (<see cref="ToolContext.FileAccess"/>, judged by the real target), counted in a note. Each match costs at
/// most one second of regex time; a pattern that exceeds it stops the search with a note.
/// </remarks>
public sealed class GrepTool : ITool
{
    private const int MaxLineChars = 300;
    private const long MaxFileBytes = 10 * 1024 * 1024;
    private static readonly TimeSpan MatchTimeout = TimeSpan.FromSeconds(1);
    private readonly int _maxMatches;

    /// <summary>Creates the tool.</summary>
    /// <param name="maxMatches">The most matching lines returned by one call. Defaults to 200.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxMatches"/> is less than 1.</exception>
    public GrepTool(int maxMatches = 200)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxMatches, 1);
        _maxMatches = maxMatches;
        Definition = new ToolDefinition(
            "grep",
            "Search file contents with a .NET regex (skips .gitignored and binary files). Output: path:line:text.",
            ToolArguments.Schema("""
                {"type":"object","properties":{
                "pattern":{"type":"string","minLength":1,"description":"Regular expression"},
                "path":{"type":"string","description":"File or folder to search, relative to the workspace. Default: root"},
                "include":{"type":"string","description":"Glob filter for files, e.g. *.cs or src/**/*.ts"},
                "case_insensitive":{"type":"boolean","description":"Ignore case (default false)"}},
                "required":["pattern"],"additionalProperties":false}
                """),
            ReadOnly: true);
    }

    /// <inheritdoc />
    public ToolDefinition Definition { get; }

    /// <inheritdoc />
    public ValueTask<ToolResult> InvokeAsync(ToolInvocation invocation, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(invocation);
        return ToolGuard.RunAsync(() => SearchAsync(invocation, cancellationToken));
    }

    private async ValueTask<ToolResult> SearchAsync(ToolInvocation invocation, CancellationToken cancellationToken)
    {
        var pattern = ToolArguments.RequiredString(invocation.Arguments, "pattern");
        var path = ToolArguments.OptionalString(invocation.Arguments, "path") ?? "";
        var include = ToolArguments.OptionalString(invocation.Arguments, "include") is { Length: > 0 } given ? Glob.Parse(given) : null;
        var options = RegexOptions.CultureInvariant | (ToolArguments.OptionalBoolean(invocation.Arguments, "case_insensitive") ? RegexOptions.IgnoreCase : RegexOptions.None);
        Regex regex;
        try
        {
            regex = new Regex(pattern, options, MatchTimeout);
        }
        catch (ArgumentException ex)
        {
            return ToolResult.Error($"Invalid regex '{pattern}': {ex.Message}");
        }

        var workspace = new WorkspacePaths(invocation.Context.WorkspaceRoot);
        if (!workspace.TryResolve(path, out var target, out var error))
        {
            return ToolResult.Error(error);
        }

        IEnumerable<WalkEntry> files;
        if (File.Exists(target))
        {
            // An explicitly named file is searched even when .gitignore would skip it.
            files = [new WalkEntry(target, workspace.ToRelative(target), IsLink: false)];
        }
        else if (Directory.Exists(target))
        {
            var baseRelative = workspace.ToRelative(target);
            var prefixLength = baseRelative == "." ? 0 : baseRelative.Length + 1;
            files = WorkspaceWalker.EnumerateFiles(workspace, target, cancellationToken)
                .Where(f => include is null || include.IsMatch(f.RelativePath[prefixLength..]));
        }
        else
        {
            return ToolResult.Error($"Path '{path}' does not exist.");
        }

        var output = new StringBuilder();
        var matches = 0;
        var filesWithMatches = 0;
        var note = "";
        var access = invocation.Context.FileAccess;
        var refused = 0;
        foreach (var file in files)
        {
            if (file.IsLink || !await IsSearchableAsync(file.FullPath, cancellationToken).ConfigureAwait(false))
            {
                continue;
            }

            if (access is not null && access.CheckRead(file.FullPath).Decision == FileAccessDecision.Deny)
            {
                refused++;
                continue;
            }

            var (found, stopNote) = await SearchFileAsync(regex, file, output, _maxMatches - matches, invocation.Context.Redactor, cancellationToken).ConfigureAwait(false);
            matches += found;
            filesWithMatches += found > 0 ? 1 : 0;
            if (stopNote is not null)
            {
                note = stopNote;
                break;
            }
        }

        var skipped = refused == 0 ? "" : $"[{TextFiles.Plural(refused, "file", "files")} not searched: the policy does not allow reading {(refused == 1 ? "it" : "them")}]";
        if (matches == 0)
        {
            var none = note.Length > 0 ? note : $"No matches for '{pattern}'.";
            return ToolResult.Ok(skipped.Length > 0 ? none + "\n" + skipped : none);
        }

        if (note.Length > 0)
        {
            output.Append(note);
            if (skipped.Length > 0)
            {
                output.Append('\n').Append(skipped);
            }
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

    private static async ValueTask<bool> IsSearchableAsync(string path, CancellationToken cancellationToken)
    {
        try
        {
            return new FileInfo(path).Length <= MaxFileBytes && !await TextFiles.IsBinaryAsync(path, cancellationToken).ConfigureAwait(false);
        }
        catch (IOException)
        {
            return false;
        }
        catch (UnauthorizedAccessException)
        {
            return false;
        }
    }

    private static async ValueTask<(int Found, string? StopNote)> SearchFileAsync(Regex regex, WalkEntry file, StringBuilder output, int budget, IOutputRedactor? redactor, CancellationToken cancellationToken)
    {
        var found = 0;
        var stream = new FileStream(file.FullPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 4096, FileOptions.Asynchronous | FileOptions.SequentialScan);
        using var reader = new StreamReader(stream, Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
        var lineNumber = 0;
        while (await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false) is { } line)
        {
            lineNumber++;
            bool isMatch;
            try
            {
                isMatch = regex.IsMatch(line);
            }
            catch (RegexMatchTimeoutException)
            {
                return (found, $"[search stopped: the pattern took too long on {file.RelativePath}:{lineNumber}; simplify it]");
            }

            if (!isMatch)
            {
                continue;
            }

            if (found == budget)
            {
                return (found, "[match limit reached; narrow the pattern, path or include to see the rest]");
            }

            found++;
            output.Append(file.RelativePath).Append(':').Append(lineNumber.ToString(CultureInfo.InvariantCulture)).Append(':');
            // A long line is cut, never through a secret: its fragment would escape redaction.
            output.Append(line.Length > MaxLineChars ? string.Concat(line.AsSpan(0, redactor?.SpanAcross(line, MaxLineChars)?.Start.Value ?? MaxLineChars), " [...]") : line).Append('\n');
        }

        return (found, null);
    }
}
