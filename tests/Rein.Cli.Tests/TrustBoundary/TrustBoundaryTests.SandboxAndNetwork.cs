using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Rein.Testing;

namespace Rein.Cli.Tests;

/// <summary>Classes 4 and 5: what a sandboxed command can read, and where fetch_url can be made to go.</summary>
[Trait("Category", "e2e")]
public sealed partial class TrustBoundaryTests
{
    [Fact]
    public async Task Class4_SandboxEnvironment_LeakedVariablesNotVisible()
    {
        using var rein = new ReinProcess();
        var leaked = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["DATABASE_URL"] = "postgres://app:db-pw-" + Unique() + "@db.internal/prod",
            ["MYSQL_PWD"] = "mysql-pw-" + Unique(),
            ["SENTRY_DSN"] = "https://sentry-key-" + Unique() + "@sentry.example/1",
            ["OTEL_EXPORTER_OTLP_HEADERS"] = "authorization=Bearer otel-" + Unique(),
            ["X_PWD"] = "x-pw-" + Unique(),
            ["GH_PAT"] = "ghp_" + Unique(),
        };
        foreach (var (name, value) in leaked)
        {
            rein.Environment[name] = value;
        }

        var listed = "listed-" + Unique();
        rein.Environment["REIN_TB_LISTED"] = listed;
        rein.WriteFile("config/rein/settings.json", """{"sandbox": {"env": ["REIN_TB_LISTED"]}}""");
        var script = rein.WriteFile("turns.json", """{"turns":[{"tool_calls":[{"name":"shell","arguments":{"command":"env; echo ENV-DONE"}}]},{"text":"done"}]}""");

        var run = await rein.RunAsync("run", "--json", "--model", $"scripted:{script}", "show the environment");

        Assert.True(run.ExitCode == 0, run.ToString());
        var journal = await JournalTextAsync(rein, run);
        Assert.Contains("ENV-DONE", journal, StringComparison.Ordinal);
        Assert.Contains("REIN_TB_LISTED=" + listed, journal, StringComparison.Ordinal);
        Assert.All(leaked.Values, value =>
        {
            Assert.DoesNotContain(value, journal, StringComparison.Ordinal);
            Assert.DoesNotContain(value, run.Stdout + run.Stderr, StringComparison.Ordinal);
        });
    }

    [Fact]
    public async Task Class5_FetchUrlRedirect_ToUnnamedLoopbackAddressRefused()
    {
        var secret = "internal-only-" + Unique();
        await using var inner = await ServeOnceAsync(IPAddress.Parse("127.0.0.2"), secret);
        await using var outer = await LoopbackHttpServer.StartAsync(
            context =>
            {
                context.Response.Redirect($"http://127.0.0.2:{inner.Port}/");
                return Task.CompletedTask;
            },
            TestContext.Current.CancellationToken);
        using var rein = new ReinProcess();
        rein.WriteFile("config/rein/settings.json", """{"permissions": {"allow": ["fetch_url(domain:localhost)"]}}""");
        var script = rein.WriteFile("turns.json", JsonSerializer.Serialize(new
        {
            turns = new object[]
            {
                new { tool_calls = new[] { new { name = "fetch_url", arguments = new { url = $"http://localhost:{outer.BaseAddress.Port}/start" } } } },
                new { text = "done" },
            },
        }));

        var run = await rein.RunAsync("run", "--json", "--model", $"scripted:{script}", "fetch the page");

        Assert.True(run.ExitCode == 0, run.ToString());
        var events = await JournalAsync(rein, run);
        var result = Assert.Single(events, e => e.GetProperty("type").GetString() == "tool_completed").GetProperty("result").GetString();
        Assert.Contains("the redirect was not followed", result, StringComparison.Ordinal);
        Assert.DoesNotContain(secret, string.Join('\n', events.Select(e => e.GetRawText())), StringComparison.Ordinal);
        Assert.Equal(0, inner.Connections);
    }

    [Fact]
    public async Task Class5_FetchUrlFullAuto_LoopbackWithoutNamingRuleRefused()
    {
        var secret = "loopback-only-" + Unique();
        var hits = 0;
        await using var server = await LoopbackHttpServer.StartAsync(
            context =>
            {
                Interlocked.Increment(ref hits);
                return context.Response.WriteAsync(secret, context.RequestAborted);
            },
            TestContext.Current.CancellationToken);
        using var rein = new ReinProcess();
        rein.Environment["REIN_MODE"] = "full-auto";
        var script = rein.WriteFile("turns.json", JsonSerializer.Serialize(new
        {
            turns = new object[]
            {
                new { tool_calls = new[] { new { name = "fetch_url", arguments = new { url = $"http://127.0.0.1:{server.BaseAddress.Port}/" } } } },
                new { text = "done" },
            },
        }));

        var run = await rein.RunAsync("run", "--json", "--model", $"scripted:{script}", "fetch the page");

        Assert.True(run.ExitCode == 0, run.ToString());
        var events = await JournalAsync(rein, run);
        var result = Assert.Single(events, e => e.GetProperty("type").GetString() == "tool_completed").GetProperty("result").GetString();
        Assert.Contains("127.0.0.1 (loopback)", result, StringComparison.Ordinal);
        Assert.DoesNotContain(secret, string.Join('\n', events.Select(e => e.GetRawText())), StringComparison.Ordinal);
        Assert.Equal(0, Volatile.Read(ref hits));
    }

    internal static string Unique() => Guid.NewGuid().ToString("N")[..12];

    private static async Task<List<JsonElement>> JournalAsync(ReinProcess rein, ReinProcess.Result run)
    {
        var sessionId = run.JsonLines().First(l => l.GetProperty("type").GetString() == "session_started").GetProperty("session_id").GetString()!;
        var show = await rein.RunAsync("sessions", "show", sessionId, "--json");
        Assert.True(show.ExitCode == 0, show.ToString());
        return [.. show.JsonLines()];
    }

    /// <summary>The journal as shown, plus the raw bytes of the store, so nothing escapes by being stored but not shown.</summary>
    internal static async Task<string> JournalTextAsync(ReinProcess rein, ReinProcess.Result run)
    {
        var events = await JournalAsync(rein, run);
        var text = new StringBuilder(string.Join('\n', events.Select(e => e.ToString())));
        foreach (var file in new[] { rein.StorePath, rein.StorePath + "-wal" }.Where(File.Exists))
        {
            await using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            using var reader = new StreamReader(stream, Encoding.Latin1);
            text.Append('\n').Append(await reader.ReadToEndAsync(TestContext.Current.CancellationToken));
        }

        return text.ToString();
    }

    /// <summary>A plain HTTP server on one address that answers every request with <paramref name="body"/> and counts connections.</summary>
    private static Task<OneAddressServer> ServeOnceAsync(IPAddress address, string body) => Task.FromResult(new OneAddressServer(address, body));

    private sealed class OneAddressServer : IAsyncDisposable
    {
        private readonly TcpListener _listener;
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _loop;
        private int _connections;

        public OneAddressServer(IPAddress address, string body)
        {
            _listener = new TcpListener(address, 0);
            _listener.Start();
            _loop = AcceptAsync(body);
        }

        public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

        public int Connections => Volatile.Read(ref _connections);

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            _listener.Stop();
            try
            {
                await _loop;
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
            {
            }

            _stop.Dispose();
        }

        private async Task AcceptAsync(string body)
        {
            while (!_stop.IsCancellationRequested)
            {
                using var client = await _listener.AcceptTcpClientAsync(_stop.Token);
                Interlocked.Increment(ref _connections);
                var stream = client.GetStream();
                var buffer = new byte[4096];
                _ = await stream.ReadAsync(buffer, _stop.Token);
                var bytes = Encoding.UTF8.GetBytes(body);
                await stream.WriteAsync(Encoding.ASCII.GetBytes($"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {bytes.Length}\r\nConnection: close\r\n\r\n"), _stop.Token);
                await stream.WriteAsync(bytes, _stop.Token);
            }
        }
    }
}
