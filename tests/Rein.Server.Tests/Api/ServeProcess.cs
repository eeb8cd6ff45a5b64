using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text.Json;
using Rein.Testing;

namespace Rein.Server.Tests.Api;

/// <summary>
/// A real <c>rein serve</c> process on a free loopback port, in an isolated home with its own store, plus principals of
/// every role and one session made by a real <c>rein run</c> with a scripted model that waits for an approval.
/// </summary>
public class ServeProcess : IAsyncLifetime
{
    private readonly TempDirectory _home = new("rein-serve");
    private Process? _server;

    public string Workspace => _home.Combine("ws");

    public string Outside => _home.Combine("outside");

    public Uri BaseAddress { get; private set; } = null!;

    public Dictionary<string, string> Tokens { get; } = new(StringComparer.Ordinal);

    /// <summary>The session of the scripted run (its principal is the OS user, the store's owner).</summary>
    public string SessionId { get; private set; } = "";

    protected virtual string[] ServeArguments => [];

    public async ValueTask InitializeAsync()
    {
        Directory.CreateDirectory(Workspace);
        Directory.CreateDirectory(Outside);
        foreach (var (name, role) in new[] { ("boss", "owner"), ("alice", "operator"), ("vic", "viewer"), ("rex", "operator") })
        {
            var added = await RunAsync("principals", "add", name, "--role", role, "--json");
            Tokens[name] = JsonDocument.Parse(added).RootElement.GetProperty("token").GetString()!;
        }

        await RunAsync("principals", "token", "rex", "--revoke-all");
        var script = _home.Write("turns.json", """{"turns":[{"tool_calls":[{"name":"write_file","arguments":{"path":"notes.txt","content":"hello"}}]},{"text":"written"}]}""");
        var run = await RunAsync(ignoreExit: true, "run", "--json", "--mode", "ask", "--model", $"scripted:{script}", "write notes");
        SessionId = run.Split('\n').Select(l => l.Trim()).Where(l => l.StartsWith('{'))
            .Select(l => JsonDocument.Parse(l).RootElement).First(e => e.TryGetProperty("session_id", out _)).GetProperty("session_id").GetString()!;

        _server = Start(["serve", "--listen", "127.0.0.1:0", "--workspace-root", Workspace, .. ServeArguments]);
        var first = await _server.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60));
        Assert.True(first?.StartsWith("Listening on http://127.0.0.1:", StringComparison.Ordinal) == true, $"first line: {first}");
        BaseAddress = new Uri(first!["Listening on ".Length..]);
    }

    public HttpClient Client(string? principal = null)
    {
        var client = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
        if (principal is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Tokens[principal]);
        }

        return client;
    }

    /// <summary>What the owner sees of the store: every session with its event count, and every waiting approval.</summary>
    public async Task<string> SnapshotAsync()
    {
        using var owner = Client("boss");
        return await owner.GetStringAsync(new Uri("/v1/sessions?limit=1000", UriKind.Relative)) + await owner.GetStringAsync(new Uri("/v1/approvals", UriKind.Relative));
    }

    public Task<string> RunAsync(params string[] args) => RunAsync(ignoreExit: false, args);

    public async Task<string> RunAsync(bool ignoreExit, params string[] args)
    {
        using var process = Start(args);
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(120));
        Assert.True(ignoreExit || process.ExitCode == 0, $"rein {string.Join(' ', args)} exited {process.ExitCode}: {await stderr}");
        return await stdout;
    }

    private Process Start(string[] args) => ReinProcesses.Start(Workspace, _home, args);

    public async ValueTask DisposeAsync()
    {
        if (_server is { HasExited: false })
        {
            _server.Kill(entireProcessTree: true);
            await _server.WaitForExitAsync();
        }

        _server?.Dispose();
        _home.Dispose();
        GC.SuppressFinalize(this);
    }
}

/// <summary>A server whose rate limit is two requests per minute for each principal.</summary>
public sealed class TinyRateLimitServeProcess : ServeProcess
{
    protected override string[] ServeArguments => ["--rate-limit", "2"];
}
