using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Microsoft.Playwright;
using Rein.Testing;
using Rein.Testing.FakeProviders;

namespace Rein.Server.Tests.Console;

/// <summary>
/// One real <c>rein serve</c> process (on loopback, against a fake OpenAI-compatible model server, in an isolated home
/// with an owner principal) and one headless Chromium driven by Playwright, shared by a browser test class.
/// </summary>
public sealed class ConsoleBrowserFixture : IAsyncLifetime
{
    /// <summary>The command the scripted model asks to run; it needs approval in the default ask mode.</summary>
    public const string Command = "echo console-says-hi";

    /// <summary>The model's answer once it has seen the command's output.</summary>
    public const string FinalAnswer = "The command printed console-says-hi.";

    private readonly TempDirectory _home = new("rein-console");
    private readonly StringBuilder _stderr = new();
    private FakeOpenAIServer? _model;
    private Process? _server;
    private IPlaywright? _playwright;

    public string Workspace => _home.Combine("ws");

    public Uri BaseAddress { get; private set; } = null!;

    /// <summary>An owner's API token, made with <c>rein principals add --json</c> on the server's store.</summary>
    public string Token { get; private set; } = "";

    public IBrowser Browser { get; private set; } = null!;

    /// <summary>What rein serve wrote to stderr so far, for failure messages.</summary>
    public string ServerErrors
    {
        get
        {
            lock (_stderr)
            {
                return _stderr.ToString();
            }
        }
    }

    public async ValueTask InitializeAsync()
    {
        Directory.CreateDirectory(Workspace);
        _model = await FakeOpenAIServer.StartAsync();
        // Any model request that already carries a tool result gets the final answer; any other asks for the command.
        _model.OnRequest = request => request.Body.Contains("\"role\":\"tool\"", StringComparison.Ordinal)
            ? FakeReply.Text(FinalAnswer)
            : FakeReply.ToolCall("shell", JsonSerializer.Serialize(new { command = Command }));

        using (var add = Start(["principals", "add", "console-owner", "--role", "owner", "--json"]))
        {
            var output = await add.StandardOutput.ReadToEndAsync();
            var errors = await add.StandardError.ReadToEndAsync();
            await add.WaitForExitAsync();
            if (add.ExitCode != 0)
            {
                throw new InvalidOperationException($"rein principals add failed ({add.ExitCode}): {errors}");
            }

            Token = JsonDocument.Parse(output).RootElement.GetProperty("token").GetString()!;
        }

        _server = Start(["serve", "--listen", "127.0.0.1:0", "--workspace-root", Workspace, "--model", "openai:gpt-test", "--base-url", _model.BaseUrl]);
        _server.ErrorDataReceived += (_, e) =>
        {
            lock (_stderr)
            {
                _stderr.AppendLine(e.Data);
            }
        };
        _server.BeginErrorReadLine();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var first = await _server.StandardOutput.ReadLineAsync(timeout.Token);
        const string Prefix = "Listening on ";
        if (first is null || !first.StartsWith(Prefix, StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"rein serve did not start: first line '{first}', stderr: {ServerErrors}");
        }

        BaseAddress = new Uri(first[Prefix.Length..].Trim().TrimEnd('/') + "/");

        // Debian's Chromium, never a downloaded browser.
        Environment.SetEnvironmentVariable("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1");
        _playwright = await Playwright.CreateAsync();
        // A model turn and a sandboxed command take seconds on a busy two-core machine.
        Assertions.SetDefaultExpectTimeout(20_000);
        List<string> args = ["--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"];
        if (Environment.UserName == "root")
        {
            args.Add("--no-sandbox");
        }

        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = "/usr/bin/chromium",
            Headless = true,
            Args = args,
        });
    }

    private Process Start(IEnumerable<string> args) => ReinProcesses.Start(Workspace, _home, args);

    public async ValueTask DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.DisposeAsync();
        }

        _playwright?.Dispose();
        if (_server is not null)
        {
            if (!_server.HasExited)
            {
                _server.Kill(entireProcessTree: true);
                await _server.WaitForExitAsync();
            }

            _server.Dispose();
        }

        if (_model is not null)
        {
            await _model.DisposeAsync();
        }

        _home.Dispose();
    }
}
