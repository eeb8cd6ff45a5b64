using System.ComponentModel;
using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;

namespace Rein.Tools;

/// <summary>Runs commands as local processes, each in its own process group, with output interleaved and capped.</summary>
/// <remarks>
/// <para>
/// On Unix the command runs as <c>/bin/bash -c &lt;command&gt;</c> (or <c>/bin/sh</c> when bash is missing) under
/// <c>setsid</c>, so on timeout or cancellation the whole process group, background jobs included, is killed with
/// SIGKILL. Standard error is redirected into standard output so the two stay in order; standard input is empty.
/// On Windows the command runs under <c>cmd.exe /c</c> and the process tree is killed.
/// </para>
/// <para>
/// The environment is only the variables of Rein's own environment that <see cref="CommandEnvironment"/> lets pass
/// (an allow-list: <c>PATH</c>, <c>LANG</c>, <c>LC_*</c>, <c>TERM</c>, <c>TZ</c>, <c>HOME</c>, <c>USER</c>, <c>SHELL</c> and
/// the names configured), plus <c>PAGER=cat</c>, <c>GIT_PAGER=cat</c> and <c>GIT_TERMINAL_PROMPT=0</c> so
/// that nothing waits for a terminal, then <see cref="CommandRequest.Environment"/>. When the command exits but
/// processes it started in the background keep its output open, the runner waits one second and then stops
/// reading, leaving them running. Thread-safe.
/// </para>
/// </remarks>
public sealed class ProcessCommandRunner : ICommandRunner
{
    private static readonly TimeSpan DrainGrace = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan KillGrace = TimeSpan.FromSeconds(5);
    private static readonly string? SetsidPath = OperatingSystem.IsWindows() ? null : FindExecutable("setsid");
    private readonly Func<CommandRequest, IReadOnlyList<string>> _buildArguments;
    private readonly CommandEnvironment _environment;

    /// <summary>Creates a runner.</summary>
    /// <param name="buildArguments">
    /// Turns a request into the program and arguments to start, e.g. to wrap the shell in a sandbox. Defaults to
    /// <see cref="DefaultArguments"/>. The result still runs in its own process group with merged output.
    /// </param>
    /// <param name="environment">Which of Rein's environment variables commands inherit. Defaults to <see cref="CommandEnvironment.DefaultNames"/> only.</param>
    public ProcessCommandRunner(Func<CommandRequest, IReadOnlyList<string>>? buildArguments = null, CommandEnvironment? environment = null)
    {
        _buildArguments = buildArguments ?? DefaultArguments;
        _environment = environment ?? new CommandEnvironment();
    }

    /// <summary>Gets the shell that runs commands: <c>/bin/bash</c> when present, else <c>/bin/sh</c>; <c>cmd.exe</c> on Windows.</summary>
    public static string Shell { get; } = OperatingSystem.IsWindows() ? "cmd.exe" : File.Exists("/bin/bash") ? "/bin/bash" : "/bin/sh";

    /// <summary>The default argument builder: <c>[<see cref="Shell"/>, "-c", command]</c> (<c>/c</c> on Windows).</summary>
    /// <param name="request">The request.</param>
    /// <returns>The program and its arguments.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="request"/> is null.</exception>
    public static IReadOnlyList<string> DefaultArguments(CommandRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return [Shell, OperatingSystem.IsWindows() ? "/c" : "-c", request.Command];
    }

    private static async Task WriteInputAsync(StreamWriter stdin, string? text)
    {
        try
        {
            if (!string.IsNullOrEmpty(text))
            {
                // Written alongside the output pumps: a command that answers before reading all its input must not deadlock.
                await stdin.WriteAsync(text).ConfigureAwait(false);
                await stdin.FlushAsync().ConfigureAwait(false);
            }
        }
        catch (IOException)
        {
            // The command exited without reading all of its input; that is its choice.
        }
        finally
        {
            try
            {
                stdin.Close();
            }
            catch (IOException)
            {
            }
        }
    }

    /// <inheritdoc />
    public async ValueTask<CommandResult> RunAsync(CommandRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        cancellationToken.ThrowIfCancellationRequested();
        var argv = _buildArguments(request);
        if (argv.Count == 0)
        {
            throw new InvalidOperationException("The argument builder returned no program to run.");
        }

        using var process = new Process { StartInfo = CreateStartInfo(argv, request) };
        try
        {
            process.Start();
        }
        catch (Win32Exception ex)
        {
            return new CommandResult(null, "") { StartError = ex.Message };
        }

        var output = new OutputBuffer(request.MaxOutputChars, request.Redactor);
        // Not awaited with the output: a command that never reads its input must not hold up the result.
        _ = WriteInputAsync(process.StandardInput, request.StandardInput);
        var pumps = Task.WhenAll(
            PumpAsync(process.StandardOutput.BaseStream, output, request.Output),
            PumpAsync(process.StandardError.BaseStream, output, request.Output));

        using var timeout = new CancellationTokenSource(request.Timeout);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        var killed = false;
        try
        {
            await process.WaitForExitAsync(linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            Kill(process);
            killed = true;
            try
            {
                await process.WaitForExitAsync(CancellationToken.None).WaitAsync(KillGrace, CancellationToken.None).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
            }
        }

        // Killing the group closes the pipe for every process in it; on a normal exit, background jobs may keep it open.
        var drained = await Task.WhenAny(pumps, Task.Delay(killed ? KillGrace : DrainGrace, CancellationToken.None)).ConfigureAwait(false) == pumps;
        output.Close();
        if (killed && cancellationToken.IsCancellationRequested)
        {
            throw new OperationCanceledException("The command was cancelled; its process group was killed.", cancellationToken);
        }

        return new CommandResult(killed || !process.HasExited ? null : process.ExitCode, output.ToString())
        {
            TimedOut = killed,
            Truncated = output.Truncated,
            OutputLength = output.Length,
            OutputAbandoned = !drained,
        };
    }

    private ProcessStartInfo CreateStartInfo(IReadOnlyList<string> argv, CommandRequest request)
    {
        var info = new ProcessStartInfo
        {
            WorkingDirectory = request.WorkingDirectory,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            CreateNoWindow = true,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        if (OperatingSystem.IsWindows())
        {
            info.FileName = argv[0];
            foreach (var argument in argv.Skip(1))
            {
                info.ArgumentList.Add(argument);
            }
        }
        else
        {
            // A tiny sh trampoline merges stderr into stdout (one pipe keeps their order) and execs setsid, which
            // makes the command the leader of a new process group whose id is the child's pid.
            info.FileName = "/bin/sh";
            info.ArgumentList.Add("-c");
            info.ArgumentList.Add("exec \"$@\" 2>&1");
            info.ArgumentList.Add("rein-shell");
            if (SetsidPath is not null)
            {
                info.ArgumentList.Add(SetsidPath);
            }

            foreach (var argument in argv)
            {
                info.ArgumentList.Add(argument);
            }
        }

        // An allow-list, not a block-list: Rein's environment holds credentials under names nobody can predict
        // (DATABASE_URL, MYSQL_PWD, SENTRY_DSN), and commands the model writes must not see them.
        foreach (var name in info.Environment.Keys.Where(name => !_environment.Passes(name)).ToList())
        {
            info.Environment.Remove(name);
        }

        info.Environment["PAGER"] = "cat";
        info.Environment["GIT_PAGER"] = "cat";
        info.Environment["GIT_TERMINAL_PROMPT"] = "0";
        foreach (var (name, value) in request.Environment ?? new Dictionary<string, string?>())
        {
            if (value is null)
            {
                info.Environment.Remove(name);
            }
            else
            {
                info.Environment[name] = value;
            }
        }

        return info;
    }

    private static async Task PumpAsync(Stream stream, OutputBuffer output, IProgress<string>? progress)
    {
        var decoder = Encoding.UTF8.GetDecoder();
        var bytes = new byte[8192];
        var chars = new char[Encoding.UTF8.GetMaxCharCount(bytes.Length)];
        try
        {
            int read;
            while ((read = await stream.ReadAsync(bytes, CancellationToken.None).ConfigureAwait(false)) > 0)
            {
                var count = decoder.GetChars(bytes, 0, read, chars, 0, flush: false);
                output.Append(chars.AsSpan(0, count));
                progress?.Report(new string(chars, 0, count));
            }
        }
        catch (IOException)
        {
        }
        catch (ObjectDisposedException)
        {
        }
    }

    private static void Kill(Process process)
    {
        if (SetsidPath is not null && !OperatingSystem.IsWindows())
        {
            // Negative pid: signal every process in the group, including background jobs.
            _ = NativeMethods.Kill(-process.Id, NativeMethods.SigKill);
        }

        try
        {
            process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
        }
        catch (Win32Exception)
        {
        }
    }

    private static string? FindExecutable(string name)
    {
        foreach (var folder in new[] { "/usr/bin", "/bin", "/usr/sbin", "/sbin", "/usr/local/bin" })
        {
            var candidate = Path.Join(folder, name);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    private static class NativeMethods
    {
        public const int SigKill = 9;

        [DllImport("libc", EntryPoint = "kill")]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern int Kill(int pid, int signal);
    }
}
