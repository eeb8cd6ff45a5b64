using System.ComponentModel;
using System.Diagnostics;
using System.Text;

namespace Rein.Guard.Checkpoints;

/// <summary>Runs git against a shadow repository with an environment that ignores the user's configuration and repository.</summary>
internal sealed class GitProcess(string executable, string gitDir, string workTree, string indexFile, TimeSpan timeout)
{
    // Passed on every command line rather than stored in the repository, so nothing the user has configured can
    // change how snapshots are taken or restored (line endings, filters, hooks, fsmonitor, pagers, colors).
    private static readonly string[] ConfigArguments =
    [
        "-c", "safe.directory=*",
        "-c", "core.autocrlf=false",
        "-c", "core.safecrlf=false",
        "-c", "core.filemode=true",
        "-c", "core.symlinks=true",
        "-c", "core.ignorecase=false",
        "-c", "core.precomposeunicode=false",
        "-c", "core.hooksPath=/dev/null",
        "-c", "core.excludesFile=/dev/null",
        "-c", "core.attributesFile=/dev/null",
        "-c", "core.fsmonitor=false",
        "-c", "core.untrackedCache=true",
        "-c", "core.quotePath=false",
        "-c", "core.sparseCheckout=false",
        "-c", "core.pager=cat",
        "-c", "color.ui=false",
        "-c", "diff.renames=false",
        "-c", "diff.external=",
        "-c", "gc.auto=0",
        "-c", "commit.gpgSign=false",
        "-c", "advice.addEmbeddedRepo=false",
        "-c", "maintenance.auto=false",
    ];

    public string GitDir => gitDir;

    public async Task<string> RunAsync(IReadOnlyList<string> arguments, string? standardInput, CancellationToken cancellationToken, params int[] okExitCodes)
    {
        var (exitCode, output, error) = await RunRawAsync(arguments, standardInput, cancellationToken).ConfigureAwait(false);
        if (exitCode != 0 && Array.IndexOf(okExitCodes, exitCode) < 0)
        {
            throw new CheckpointException($"git {arguments[0]} failed (exit {exitCode}): {error.Trim()}");
        }

        return output;
    }

    public async Task<(int ExitCode, string Output, string Error)> RunRawAsync(IReadOnlyList<string> arguments, string? standardInput, CancellationToken cancellationToken)
    {
        var info = new ProcessStartInfo(executable)
        {
            WorkingDirectory = workTree,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardOutputEncoding = new UTF8Encoding(false),
            StandardErrorEncoding = new UTF8Encoding(false),
            StandardInputEncoding = new UTF8Encoding(false),
        };
        foreach (var argument in ConfigArguments)
        {
            info.ArgumentList.Add(argument);
        }

        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        // A GIT_* variable inherited from the caller (say, rein started from a git hook) must not redirect git elsewhere.
        foreach (var name in info.Environment.Keys.Where(k => k.StartsWith("GIT_", StringComparison.Ordinal)).ToList())
        {
            info.Environment.Remove(name);
        }

        info.Environment["GIT_DIR"] = gitDir;
        info.Environment["GIT_WORK_TREE"] = workTree;
        info.Environment["GIT_INDEX_FILE"] = indexFile;
        info.Environment["GIT_CONFIG_GLOBAL"] = "/dev/null";
        info.Environment["GIT_CONFIG_NOSYSTEM"] = "1";
        info.Environment["GIT_LITERAL_PATHSPECS"] = "1";
        info.Environment["GIT_TERMINAL_PROMPT"] = "0";
        info.Environment["GIT_OPTIONAL_LOCKS"] = "0";
        info.Environment["GIT_AUTHOR_NAME"] = "Rein";
        info.Environment["GIT_AUTHOR_EMAIL"] = "checkpoints@rein.invalid";
        info.Environment["GIT_COMMITTER_NAME"] = "Rein";
        info.Environment["GIT_COMMITTER_EMAIL"] = "checkpoints@rein.invalid";
        info.Environment["LC_ALL"] = "C";
        info.Environment["LANGUAGE"] = "C";

        Process process;
        try
        {
            process = Process.Start(info) ?? throw new CheckpointException($"Could not start '{executable}'.");
        }
        catch (Win32Exception ex)
        {
            throw new CheckpointException(
                $"Checkpoints need git, but '{executable}' could not be started ({ex.Message}). Install git (e.g. apt-get install git) and make sure it is on PATH.", ex)
            {
                GitMissing = true,
            };
        }

        using (process)
        {
            var output = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
            var error = process.StandardError.ReadToEndAsync(CancellationToken.None);
            using var timeoutSource = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeoutSource.CancelAfter(timeout);
            try
            {
                if (standardInput is not null)
                {
                    await process.StandardInput.WriteAsync(standardInput.AsMemory(), timeoutSource.Token).ConfigureAwait(false);
                }

                process.StandardInput.Close();
                await process.WaitForExitAsync(timeoutSource.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                Kill(process);
                cancellationToken.ThrowIfCancellationRequested();
                throw new CheckpointException($"git {arguments[0]} did not finish within {timeout.TotalSeconds:0} s.");
            }
            catch (IOException ex)
            {
                // Writing stdin fails when git exits early; its exit code and error text say why.
                await process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
                if (process.ExitCode == 0)
                {
                    throw new CheckpointException($"git {arguments[0]} stopped reading its input.", ex);
                }
            }

            return (process.ExitCode, await output.ConfigureAwait(false), await error.ConfigureAwait(false));
        }
    }

    private static void Kill(Process process)
    {
        try
        {
            process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
        }
    }

    internal static IEnumerable<string> SplitNul(string text) =>
        text.Split('\0', StringSplitOptions.RemoveEmptyEntries);
}
