namespace Rein.Evals.Suites;

/// <summary>
/// The Terminal-Bench task layout: <c>task.yaml</c>, <c>tests/</c> (e.g. <c>test_outputs.py</c>), <c>run-tests.sh</c>,
/// usually a <c>Dockerfile</c> and <c>docker-compose.yaml</c>, and a reference <c>solution.sh</c>.
/// </summary>
/// <remarks>
/// Rein runs such a task without Docker: the workspace is the task folder without the files that belong to the harness
/// (<see cref="IsHarnessFile"/>); after the agent finishes, <c>tests/</c> and <c>run-tests.sh</c> are copied in and
/// <c>bash run-tests.sh</c> (or, without one, <see cref="DefaultTestCommand"/>) runs with <c>TEST_DIR</c> set to the copied
/// tests. A task needs Docker, and is skipped, when its Dockerfile does more than pick a base image and copy files
/// (<c>FROM</c>, <c>WORKDIR</c>, <c>COPY</c>, <c>ADD</c>, <c>ENV</c>, <c>ARG</c>, <c>LABEL</c>, <c>USER</c>, <c>SHELL</c>,
/// <c>CMD</c>, <c>ENTRYPOINT</c>), when its compose file declares more than one service, or when its instruction,
/// <c>solution.sh</c>, <c>run-tests.sh</c> or tests name a folder that exists only in its container (<c>/app</c>, or the
/// Dockerfile's <c>WORKDIR</c>).
/// </remarks>
public static class TerminalBench
{
    /// <summary>The folder of tests copied in after the agent finishes.</summary>
    public const string TestsFolder = "tests";

    /// <summary>The script that runs the tests.</summary>
    public const string RunTestsScript = "run-tests.sh";

    /// <summary>
    /// The test command of a task without <c>run-tests.sh</c>: what Terminal-Bench's default script runs
    /// (<c>pytest $TEST_DIR/test_outputs.py -rA</c>), with the machine's own pytest instead of one it downloads.
    /// </summary>
    public const string DefaultTestCommand = "python3 -m pytest \"$TEST_DIR/test_outputs.py\" -rA";

    /// <summary>The folder Terminal-Bench images work in; it exists only inside a task's container.</summary>
    private const string ContainerFolder = "/app";

    private const long LargestScannedFile = 1_000_000;

    private static readonly string[] PlainInstructions = ["FROM", "WORKDIR", "COPY", "ADD", "ENV", "ARG", "LABEL", "USER", "SHELL", "CMD", "ENTRYPOINT", "MAINTAINER"];

    /// <summary>Gets whether a top-level entry of a Terminal-Bench task folder belongs to the harness, not the agent's workspace.</summary>
    /// <param name="name">The entry's file name.</param>
    /// <returns>True for <c>task.yaml</c>, <c>tests</c>, <c>run-tests.sh</c>, <c>solution.*</c>, <c>Dockerfile</c> and <c>docker-compose*</c>.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="name"/> is null.</exception>
    public static bool IsHarnessFile(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return name is EvalSuite.TaskFile or TestsFolder or RunTestsScript or "Dockerfile" or ".dockerignore"
            || name.StartsWith("solution.", StringComparison.Ordinal)
            || name.StartsWith("docker-compose", StringComparison.Ordinal);
    }

    /// <summary>Says why a Terminal-Bench task needs Docker, or returns null when it can run in Rein's sandbox.</summary>
    /// <param name="folder">The task folder.</param>
    /// <param name="instruction">The task's instruction, searched for container folders too; null to search only the files.</param>
    /// <returns>The reason, naming the file and line that show it, or null.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="folder"/> is null.</exception>
    public static string? WhyDockerIsNeeded(string folder, string? instruction = null)
    {
        ArgumentNullException.ThrowIfNull(folder);
        string? workdir = null;
        var dockerfile = Path.Combine(folder, "Dockerfile");
        if (File.Exists(dockerfile))
        {
            var lines = File.ReadAllLines(dockerfile);
            for (var i = 0; i < lines.Length; i++)
            {
                var line = lines[i].Trim();
                if (line.Length == 0 || line.StartsWith('#'))
                {
                    continue;
                }

                var keyword = line.Split(' ', '\t')[0].ToUpperInvariant();
                if (!PlainInstructions.Contains(keyword, StringComparer.Ordinal))
                {
                    return $"needs Docker: Dockerfile line {i + 1} runs '{Shorten(line)}' (only FROM/WORKDIR/COPY-style images run without Docker)";
                }

                if (keyword == "WORKDIR")
                {
                    workdir = line[7..].Trim();
                }
            }
        }

        foreach (var compose in Directory.EnumerateFiles(folder, "docker-compose*"))
        {
            if (CountServices(File.ReadAllLines(compose)) > 1)
            {
                return $"needs Docker: {Path.GetFileName(compose)} declares more than one service";
            }
        }

        List<string> containerFolders = [ContainerFolder];
        if (workdir is { Length: > 1 } && workdir.StartsWith('/') && workdir.TrimEnd('/') != ContainerFolder)
        {
            containerFolders.Add(workdir.TrimEnd('/'));
        }

        return FindContainerFolder(folder, instruction, containerFolders);
    }

    /// <summary>The first place where the instruction, the solution, the test script or a test names a container folder.</summary>
    private static string? FindContainerFolder(string folder, string? instruction, List<string> containerFolders)
    {
        var taskFile = Path.Combine(folder, EvalSuite.TaskFile);
        if (instruction is not null && Mentions(instruction, containerFolders) is { } named)
        {
            // The line is looked up in the file as written, so a reader can go straight to it.
            var line = File.Exists(taskFile) ? FirstLineMentioning(File.ReadAllLines(taskFile), containerFolders) : null;
            var where = line is { } l ? $"the instruction ({EvalSuite.TaskFile} line {l.Number})" : "the instruction";
            return $"needs Docker: {where} uses the container path {named}";
        }

        foreach (var file in ScannedFiles(folder))
        {
            if (new FileInfo(file).Length <= LargestScannedFile && FirstLineMentioning(File.ReadAllLines(file), containerFolders) is { } hit)
            {
                var name = Path.GetRelativePath(folder, file).Replace(Path.DirectorySeparatorChar, '/');
                return $"needs Docker: {name} line {hit.Number} uses the container path {hit.Path}";
            }
        }

        return null;
    }

    private static (int Number, string Path)? FirstLineMentioning(string[] lines, List<string> containerFolders)
    {
        for (var i = 0; i < lines.Length; i++)
        {
            if (Mentions(lines[i], containerFolders) is { } path)
            {
                return (i + 1, path);
            }
        }

        return null;
    }

    /// <summary>The container folder a text names as a path of its own (<c>/app</c>, <c>/app/x</c>; not <c>/webapp</c> or <c>./app</c>).</summary>
    private static string? Mentions(string text, List<string> containerFolders)
    {
        foreach (var path in containerFolders)
        {
            for (var at = text.IndexOf(path, StringComparison.Ordinal); at >= 0; at = text.IndexOf(path, at + 1, StringComparison.Ordinal))
            {
                var end = at + path.Length;
                var startsPath = at == 0 || !IsPathChar(text[at - 1]);
                var endsName = end == text.Length || !(char.IsLetterOrDigit(text[end]) || text[end] is '_' or '-' or '.');
                if (startsPath && endsName)
                {
                    return path;
                }
            }
        }

        return null;
    }

    private static bool IsPathChar(char c) => char.IsLetterOrDigit(c) || c is '_' or '-' or '.' or '/' or '~' or '$' or '}';

    private static IEnumerable<string> ScannedFiles(string folder)
    {
        foreach (var name in (string[])["solution.sh", RunTestsScript])
        {
            var file = Path.Combine(folder, name);
            if (File.Exists(file))
            {
                yield return file;
            }
        }

        var tests = Path.Combine(folder, TestsFolder);
        if (Directory.Exists(tests))
        {
            foreach (var file in Directory.EnumerateFiles(tests, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
            {
                yield return file;
            }
        }
    }

    /// <summary>Counts the entries under the top-level <c>services:</c> key of a compose file (indentation based; no YAML anchors needed).</summary>
    private static int CountServices(string[] lines)
    {
        var count = 0;
        var inServices = false;
        int? indent = null;
        foreach (var raw in lines)
        {
            if (raw.Trim().Length == 0 || raw.TrimStart().StartsWith('#'))
            {
                continue;
            }

            var depth = raw.Length - raw.TrimStart().Length;
            if (depth == 0)
            {
                inServices = raw.TrimEnd() == "services:";
                continue;
            }

            if (inServices && raw.TrimEnd().EndsWith(':') && (indent ??= depth) == depth)
            {
                count++;
            }
        }

        return count;
    }

    private static string Shorten(string text) => text.Length <= 60 ? text : text[..57] + "...";
}
