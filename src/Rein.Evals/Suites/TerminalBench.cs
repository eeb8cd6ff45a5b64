namespace Rein.Evals.Suites;

/// <summary>
/// The Terminal-Bench task layout: <c>task.yaml</c>, <c>tests/</c> (e.g. <c>test_outputs.py</c>), <c>run-tests.sh</c>,
/// usually a <c>Dockerfile</c> and <c>docker-compose.yaml</c>, and a reference <c>solution.sh</c>.
/// </summary>
/// <remarks>
/// Rein runs such a task without Docker: the workspace is the task folder without the files that belong to the harness
/// (<see cref="IsHarnessFile"/>); after the agent finishes, <c>tests/</c> and <c>run-tests.sh</c> are copied in and
/// <c>bash run-tests.sh</c> runs with <c>TEST_DIR</c> set to the copied tests. A task needs Docker, and is skipped, when its
/// Dockerfile does more than pick a base image and copy files (<c>FROM</c>, <c>WORKDIR</c>, <c>COPY</c>, <c>ADD</c>,
/// <c>ENV</c>, <c>ARG</c>, <c>LABEL</c>, <c>USER</c>, <c>SHELL</c>, <c>CMD</c>, <c>ENTRYPOINT</c>), when its compose file
/// declares more than one service, or when its tests name the container's working folder (e.g. <c>/app</c>).
/// </remarks>
public static class TerminalBench
{
    /// <summary>The folder of tests copied in after the agent finishes.</summary>
    public const string TestsFolder = "tests";

    /// <summary>The script that runs the tests.</summary>
    public const string RunTestsScript = "run-tests.sh";

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
    /// <returns>The reason, or null.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="folder"/> is null.</exception>
    public static string? WhyDockerIsNeeded(string folder)
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

                var instruction = line.Split(' ', '\t')[0].ToUpperInvariant();
                if (!PlainInstructions.Contains(instruction, StringComparer.Ordinal))
                {
                    return $"needs Docker: Dockerfile line {i + 1} runs '{Shorten(line)}' (only FROM/WORKDIR/COPY-style images run without Docker)";
                }

                if (instruction == "WORKDIR")
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

        if (workdir is { Length: > 1 } && workdir.StartsWith('/'))
        {
            foreach (var file in TestFiles(folder))
            {
                if (File.ReadAllText(file).Contains(workdir, StringComparison.Ordinal))
                {
                    return $"needs Docker: {Path.GetRelativePath(folder, file)} uses the container path {workdir}";
                }
            }
        }

        return null;
    }

    private static IEnumerable<string> TestFiles(string folder)
    {
        var tests = Path.Combine(folder, TestsFolder);
        var files = Directory.Exists(tests) ? Directory.EnumerateFiles(tests, "*", SearchOption.AllDirectories) : [];
        var script = Path.Combine(folder, RunTestsScript);
        return File.Exists(script) ? files.Append(script) : files;
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
