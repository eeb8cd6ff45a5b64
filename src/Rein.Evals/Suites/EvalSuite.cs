namespace Rein.Evals.Suites;

/// <summary>A suite: the task folders (each with a <c>task.yaml</c>) found under one folder.</summary>
/// <param name="Directory">The suite folder (absolute).</param>
/// <param name="Tasks">The tasks that loaded, ordered by name.</param>
public sealed record EvalSuite(string Directory, IReadOnlyList<EvalTask> Tasks)
{
    /// <summary>Gets the task folders whose <c>task.yaml</c> is invalid, ordered by name; they are reported, not run.</summary>
    public IReadOnlyList<EvalMalformedTask> Malformed { get; init; } = [];

    /// <summary>The file that marks a task folder.</summary>
    public const string TaskFile = "task.yaml";

    /// <summary>Loads every task under a folder.</summary>
    /// <param name="directory">
    /// The suite folder. Task folders are found at any depth (a task folder's own contents are not searched); hidden
    /// folders are skipped. The folder may itself be a task folder, making a suite of one task.
    /// </param>
    /// <returns>The suite.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="directory"/> is null.</exception>
    /// <exception cref="EvalSuiteException">
    /// The folder does not exist, holds no task, or no task file is valid (all problems are listed). When some are valid,
    /// the invalid ones are in <see cref="Malformed"/> instead, so that one bad task does not stop the others.
    /// </exception>
    public static EvalSuite Load(string directory)
    {
        ArgumentNullException.ThrowIfNull(directory);
        var root = Path.GetFullPath(directory);
        if (!System.IO.Directory.Exists(root))
        {
            throw new EvalSuiteException([$"{directory}: no such folder."]);
        }

        var folders = new List<string>();
        FindTaskFolders(root, folders);
        if (folders.Count == 0)
        {
            throw new EvalSuiteException([$"{directory}: no tasks found (a task is a folder with a {TaskFile})."]);
        }

        var tasks = new List<EvalTask>();
        var malformed = new List<EvalMalformedTask>();
        foreach (var folder in folders)
        {
            var name = folder == root ? Path.GetFileName(root) : Path.GetRelativePath(root, folder).Replace(Path.DirectorySeparatorChar, '/');
            var problems = new List<EvalTaskProblem>();
            if (TaskFileReader.Read(folder, name, problems) is { } task)
            {
                tasks.Add(task);
            }
            else
            {
                malformed.Add(new EvalMalformedTask(name, folder, problems));
            }
        }

        if (tasks.Count == 0)
        {
            throw new EvalSuiteException([.. malformed.SelectMany(m => m.Problems).Select(p => p.ToString())]);
        }

        return new EvalSuite(root, [.. tasks.OrderBy(t => t.Name, StringComparer.Ordinal)])
        {
            Malformed = [.. malformed.OrderBy(m => m.Name, StringComparer.Ordinal)],
        };
    }

    private static void FindTaskFolders(string folder, List<string> found)
    {
        if (File.Exists(Path.Combine(folder, TaskFile)))
        {
            found.Add(folder);
            return;
        }

        foreach (var child in System.IO.Directory.EnumerateDirectories(folder).Order(StringComparer.Ordinal))
        {
            if (!Path.GetFileName(child).StartsWith('.'))
            {
                FindTaskFolders(child, found);
            }
        }
    }
}

/// <summary>One problem of a task file.</summary>
/// <param name="File">The file (absolute).</param>
/// <param name="Line">The 1-based line, or 0 when the problem is not on one line.</param>
/// <param name="Field">The field, dotted for nested ones (e.g. <c>limits.max_steps</c>), or null when the problem is not one field's.</param>
/// <param name="Message">What is wrong, e.g. <c>field 'limits.max_steps': must be a positive number.</c>.</param>
public sealed record EvalTaskProblem(string File, long Line, string? Field, string Message)
{
    /// <summary>Formats the problem as <c>file:line: message</c>.</summary>
    /// <returns>The text.</returns>
    public override string ToString() => Line > 0 ? $"{File}:{Line}: {Message}" : $"{File}: {Message}";
}

/// <summary>A task folder whose <c>task.yaml</c> could not be loaded.</summary>
/// <param name="Name">The task's name: its folder's path relative to the suite.</param>
/// <param name="Directory">The task folder (absolute).</param>
/// <param name="Problems">Every problem found, at least one.</param>
public sealed record EvalMalformedTask(string Name, string Directory, IReadOnlyList<EvalTaskProblem> Problems);

/// <summary>Thrown when a suite cannot be loaded; <see cref="Errors"/> lists every problem as <c>file:line: field 'x': …</c>.</summary>
public sealed class EvalSuiteException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="errors">The problems, one line each.</param>
    public EvalSuiteException(IReadOnlyList<string> errors)
        : base(string.Join(Environment.NewLine, errors ?? []))
    {
        Errors = errors ?? [];
    }

    /// <summary>Gets the problems, one line each.</summary>
    public IReadOnlyList<string> Errors { get; }
}
