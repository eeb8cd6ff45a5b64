using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Rein.Testing;

namespace Rein.Cli.Tests;

/// <summary>Runs the real <c>rein</c> executable (the built rein.dll) in an isolated home.</summary>
internal sealed class ReinProcess : IDisposable
{
    private readonly TempDirectory _home = new("rein-home");

    /// <param name="trustWorkspace">
    /// Trust <see cref="Workspace"/> the way <c>rein trust</c> does (an entry in the isolated config folder's
    /// trusted-folders.json), so its <c>.rein/settings.json</c> applies in full; false for tests of the trust boundary.
    /// </param>
    public ReinProcess(bool trustWorkspace = true)
    {
        Workspace = Path.Combine(_home.Path, "ws");
        Directory.CreateDirectory(Workspace);
        StorePath = Path.Combine(_home.Path, "data", "rein", "rein.db");
        // Most tests are about other things than permissions: let the agent edit and run commands (sandboxed) without asking.
        // Permission tests override this.
        Environment["REIN_MODE"] = "workspace-write";
        if (trustWorkspace)
        {
            var real = Hosting.Configuration.TrustedFolders.RealPath(Workspace);
            WriteFile(TrustFile, JsonSerializer.Serialize(new { folders = new[] { new { path = real, trusted_at = "2026-01-01T00:00:00+00:00" } } }));
        }
    }

    /// <summary>The trust file under the isolated XDG_CONFIG_HOME, relative to <see cref="Home"/>.</summary>
    public const string TrustFile = "config/rein/trusted-folders.json";

    public string Home => _home.Path;

    public string Workspace { get; }

    /// <summary>The default store path under the isolated XDG_DATA_HOME.</summary>
    public string StorePath { get; }

    public Dictionary<string, string?> Environment { get; } = new(StringComparer.Ordinal);

    public static string ReinDll => Path.Combine(AppContext.BaseDirectory, "rein.dll");

    public string WriteFile(string relative, string content)
    {
        var path = Path.Combine(_home.Path, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content);
        return path;
    }

    /// <summary>The environment changes every rein process of this test gets: an isolated home, no provider keys or REIN_* settings of the machine (null removes a variable), then <see cref="Environment"/>.</summary>
    public Dictionary<string, string?> ProcessEnvironment()
    {
        var environment = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (var name in new[] { "OPENAI_API_KEY", "ANTHROPIC_API_KEY", "OPENAI_BASE_URL", "ANTHROPIC_BASE_URL", "OLLAMA_HOST", "REIN_MODEL", "REIN_STORE", "REIN_BASE_URL", "REIN_MAX_STEPS", "REIN_CONFIG_DIR", "REIN_API_KEY", "REIN_ENV", "REIN_SANDBOX", "REIN_PRINCIPAL" })
        {
            environment[name] = null;
        }

        environment["HOME"] = _home.Path;
        environment["XDG_DATA_HOME"] = Path.Combine(_home.Path, "data");
        environment["XDG_CONFIG_HOME"] = Path.Combine(_home.Path, "config");
        environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        // Hermetic: the machine's /etc/rein/managed-settings.json must not change test outcomes.
        environment["REIN_MANAGED_SETTINGS"] = Path.Combine(_home.Path, "managed-settings.json");
        foreach (var (key, value) in Environment)
        {
            environment[key] = value;
        }

        return environment;
    }

    public Process Start(IEnumerable<string> args, string? stdin = null, string? workingDirectory = null, bool keepInputOpen = false)
    {
        // REIN_TEST_EXECUTABLE runs the suite against a published binary (e.g. the native AOT build).
        var executable = System.Environment.GetEnvironmentVariable("REIN_TEST_EXECUTABLE");
        var info = new ProcessStartInfo(executable is { Length: > 0 } ? executable : "dotnet")
        {
            WorkingDirectory = workingDirectory ?? Workspace,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        if (executable is not { Length: > 0 })
        {
            info.ArgumentList.Add("exec");
            info.ArgumentList.Add(ReinDll);
        }
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        foreach (var (key, value) in ProcessEnvironment())
        {
            if (value is null)
            {
                info.Environment.Remove(key);
            }
            else
            {
                info.Environment[key] = value;
            }
        }

        var process = Process.Start(info)!;
        if (stdin is not null)
        {
            process.StandardInput.Write(stdin);
        }

        if (!keepInputOpen)
        {
            process.StandardInput.Close();
        }

        return process;
    }

    public async Task<Result> RunAsync(params string[] args) => await RunWithInputAsync(null, args);

    public async Task<Result> RunWithInputAsync(string? stdin, params string[] args)
    {
        using var process = Start(args, stdin);
        return await CollectAsync(process);
    }

    public static async Task<Result> CollectAsync(Process process, int timeoutSeconds = 120)
    {
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(timeoutSeconds));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"rein did not exit within {timeoutSeconds} s. stderr so far: {await stderr}");
        }

        return new Result(process.ExitCode, await stdout, await stderr);
    }

    public void Dispose() => _home.Dispose();

    internal sealed record Result(int ExitCode, string Stdout, string Stderr)
    {
        public IReadOnlyList<JsonElement> JsonLines() =>
            [.. Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(l => JsonDocument.Parse(l).RootElement.Clone())];

        public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Stdout}\n--- stderr\n{Stderr}";
    }
}
