namespace Rein.Evals.Suites;

/// <summary>A suite: the task folders (each with a <c>task.yaml</c>) found under one folder.</summary>
/// <param name="Directory">The suite folder (absolute).</param>
/// <param name="Tasks">The tasks, ordered by name.</param>
public sealed record EvalSuite(string Directory, IReadOnlyList<EvalTask> Tasks)
{
    /// <summary>The file that marks a task folder.</summary>
    public const string TaskFile = "task.yaml";

    /// <summary>Loads every task under a folder.</summary>
    /// <param name="directory">
    /// The suite folder. Task folders are found at any depth (a task folder's own contents are not searched); hidden
    /// folders are skipped. The folder may itself be a task folder, making a suite of one task.
    /// </param>
    /// <returns>The suite.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="directory"/> is null.</exception>
    /// <exception cref="EvalSuiteException">The folder does not exist, holds no task, or some task files are invalid (all problems are listed).</exception>
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
        var errors = new List<string>();
        foreach (var folder in folders)
        {
            var name = folder == root ? Path.GetFileName(root) : Path.GetRelativePath(root, folder).Replace(Path.DirectorySeparatorChar, '/');
            if (TaskFileReader.Read(folder, name, errors) is { } task)
            {
                tasks.Add(task);
            }
        }

        return errors.Count > 0 ? throw new EvalSuiteException(errors) : new EvalSuite(root, [.. tasks.OrderBy(t => t.Name, StringComparer.Ordinal)]);
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
