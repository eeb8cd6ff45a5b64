using System.Diagnostics;
using System.Text;
using Rein.Testing;

namespace Rein.Server.Tests;

/// <summary>Starts the built <c>rein</c> as a process with a home of its own, so the machine's settings and keys play no part.</summary>
internal static class ReinProcesses
{
    private static readonly string[] Scrubbed =
    [
        "OPENAI_BASE_URL", "ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL", "OLLAMA_HOST", "REIN_MODEL", "REIN_STORE", "REIN_BASE_URL", "REIN_MODE",
        "REIN_CONFIG_DIR", "REIN_API_KEY", "REIN_ENV", "REIN_SANDBOX", "REIN_PRINCIPAL", "REIN_TOKEN",
    ];

    /// <summary>Starts <c>rein ARGS</c> in <paramref name="workingDirectory"/> with standard input closed.</summary>
    /// <param name="workingDirectory">Where it runs.</param>
    /// <param name="home">Its HOME, XDG folders and managed settings path.</param>
    /// <param name="args">Its arguments.</param>
    /// <param name="environment">Variables to set on top (e.g. <c>REIN_TOKEN</c>).</param>
    /// <returns>The started process.</returns>
    public static Process Start(string workingDirectory, TempDirectory home, IEnumerable<string> args, IReadOnlyDictionary<string, string>? environment = null)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        info.ArgumentList.Add("exec");
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "rein.dll"));
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        foreach (var name in Scrubbed)
        {
            info.Environment.Remove(name);
        }

        // A key the fake model servers accept; scripted models ignore it.
        info.Environment["OPENAI_API_KEY"] = "sk-test";
        info.Environment["HOME"] = home.Path;
        info.Environment["XDG_DATA_HOME"] = home.Combine("data");
        info.Environment["XDG_CONFIG_HOME"] = home.Combine("config");
        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        info.Environment["REIN_MANAGED_SETTINGS"] = home.Combine("managed-settings.json");
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[name] = value;
        }

        var process = Process.Start(info)!;
        process.StandardInput.Close();
        return process;
    }
}
