using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Rein.Testing;
using Rein.Testing.FakeProviders;

namespace Rein.Server.Tests.Api;

/// <summary>
/// A real <c>rein serve</c> process on loopback against a fake OpenAI-compatible model server (in this process, so it
/// outlives the server), with an explicit store that the CLI shares, an owner and an operator, and the means to kill it
/// with SIGKILL and start it again on the same store. Tests script the model per session by a keyword in their task.
/// </summary>
public class LiveServe : IAsyncLifetime
{
    private const string Prefix = "Listening on ";

    private readonly TempDirectory _home = new("rein-live");
    private readonly ConcurrentDictionary<string, Func<FakeRequest, int, FakeReply>> _scripts = new(StringComparer.Ordinal);
    private readonly StringBuilder _stderr = new();
    private Process? _server;

    public FakeOpenAIServer Model { get; private set; } = null!;

    /// <summary>The only workspace root; each test works in a folder of its own below it.</summary>
    public string Root => _home.Combine("ws");

    public string StorePath => _home.Combine("store.db");

    public Uri BaseAddress { get; private set; } = null!;

    public Dictionary<string, string> Tokens { get; } = new(StringComparer.Ordinal);

    /// <summary>What the servers wrote to stderr so far, for failure messages.</summary>
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
        Directory.CreateDirectory(Root);
        Model = await FakeOpenAIServer.StartAsync();
        Model.OnRequest = request =>
        {
            var tools = CountOf(request.Body, "\"role\":\"tool\"");
            foreach (var (keyword, script) in _scripts)
            {
                if (request.Body.Contains(keyword, StringComparison.Ordinal))
                {
                    return script(request, tools);
                }
            }

            return FakeReply.Text("No script for this task.");
        };
        foreach (var (name, role) in new[] { ("boss", "owner"), ("ops", "operator") })
        {
            var added = await RunAsync(null, "principals", "add", name, "--role", role, "--json", "--store", StorePath);
            Tokens[name] = JsonDocument.Parse(added).RootElement.GetProperty("token").GetString()!;
        }

        await BeforeServeAsync();
        await StartServerAsync();
    }

    /// <summary>The isolated home of the servers and CLI runs (their HOME and XDG folders).</summary>
    protected TempDirectory Home => _home;

    /// <summary>Variables every server and CLI run gets on top of the isolated home's.</summary>
    protected virtual IReadOnlyDictionary<string, string>? Environment => null;

    /// <summary>Arguments of <c>rein serve</c> besides the fixture's own.</summary>
    protected virtual IEnumerable<string> ServeArguments => [];

    /// <summary>Runs after the principals exist and before the server first starts.</summary>
    protected virtual Task BeforeServeAsync() => Task.CompletedTask;

    /// <summary>Answers the model requests of every session whose task contains <paramref name="keyword"/>: the script gets the request and how many tool results it carries.</summary>
    public void Script(string keyword, Func<FakeRequest, int, FakeReply> script) => _scripts[keyword] = script;

    /// <summary>A fresh folder below the root, for one test's sessions.</summary>
    public string NewWorkspace(string name)
    {
        var path = Path.Combine(Root, name);
        Directory.CreateDirectory(path);
        return path;
    }

    public async Task StartServerAsync()
    {
        _server = Start(["serve", "--listen", "127.0.0.1:0", "--workspace-root", Root, "--store", StorePath, "--model", "openai:gpt-test", "--base-url", Model.BaseUrl,
            // The tests poll sessions several times a second; the rate limit has tests of its own.
            "--rate-limit", "100000", .. ServeArguments]);
        _server.ErrorDataReceived += (_, e) =>
        {
            lock (_stderr)
            {
                _stderr.AppendLine(e.Data);
            }
        };
        _server.BeginErrorReadLine();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        var first = await _server.StandardOutput.ReadLineAsync(timeout.Token);
        if (first is null || !first.StartsWith(Prefix, StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"rein serve did not start: first line '{first}', stderr: {ServerErrors}");
        }

        BaseAddress = new Uri(first[Prefix.Length..].Trim().TrimEnd('/') + "/");
    }

    /// <summary>Kills the server with SIGKILL (no shutdown of any kind) and waits until it is gone.</summary>
    public async Task KillServerAsync()
    {
        var server = _server!;
        server.Kill(entireProcessTree: false);
        await server.WaitForExitAsync();
        server.Dispose();
        _server = null;
    }

    public HttpClient Client(string principal = "boss")
    {
        var client = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(90) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Tokens[principal]);
        return client;
    }

    /// <summary>Starts a session over HTTP and returns its id.</summary>
    public async Task<string> StartSessionAsync(string message, string workspace, string mode, string principal = "boss")
    {
        using var client = Client(principal);
        var body = JsonSerializer.Serialize(new { message, workspace, mode });
        using var response = await client.PostAsync(new Uri("v1/sessions", UriKind.Relative), new StringContent(body, Encoding.UTF8, "application/json"), TestContext.Current.CancellationToken);
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.True(response.StatusCode == System.Net.HttpStatusCode.Created, $"{(int)response.StatusCode}: {text}");
        return JsonDocument.Parse(text).RootElement.GetProperty("id").GetString()!;
    }

    /// <summary>The session object (GET /v1/sessions/{id}).</summary>
    public async Task<JsonElement> SessionAsync(string id)
    {
        using var client = Client();
        return JsonDocument.Parse(await client.GetStringAsync(new Uri($"v1/sessions/{id}", UriKind.Relative), TestContext.Current.CancellationToken)).RootElement;
    }

    /// <summary>Polls the session until its status is one of <paramref name="statuses"/>; fails with its journal after a minute.</summary>
    public async Task<JsonElement> WaitForStatusAsync(string id, params string[] statuses)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            var session = await SessionAsync(id);
            if (statuses.Contains(session.GetProperty("status").GetString()))
            {
                return session;
            }

            if (deadline.Elapsed > TimeSpan.FromSeconds(60))
            {
                Assert.Fail($"session {id} is {session.GetProperty("status")}, not {string.Join(" or ", statuses)}:\n{await EventsTextAsync(id)}\n--- stderr\n{ServerErrors}");
            }

            await Task.Delay(200, TestContext.Current.CancellationToken);
        }
    }

    /// <summary>The journal as the NDJSON route returns it.</summary>
    public async Task<string> EventsTextAsync(string id)
    {
        using var client = Client();
        return await client.GetStringAsync(new Uri($"v1/sessions/{id}/events", UriKind.Relative), TestContext.Current.CancellationToken);
    }

    public async Task<List<JsonElement>> EventsAsync(string id) =>
        [.. (await EventsTextAsync(id)).Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement)];

    /// <summary>Runs the CLI on the server's store and returns its standard output; fails on a non-zero exit.</summary>
    public async Task<string> RunAsync(IReadOnlyDictionary<string, string>? environment, params string[] args)
    {
        using var process = Start(args, environment);
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(120));
        Assert.True(process.ExitCode == 0, $"rein {string.Join(' ', args)} exited {process.ExitCode}: {await stderr}");
        return await stdout;
    }

    private static int CountOf(string text, string value)
    {
        var count = 0;
        for (var i = text.IndexOf(value, StringComparison.Ordinal); i >= 0; i = text.IndexOf(value, i + value.Length, StringComparison.Ordinal))
        {
            count++;
        }

        return count;
    }

    private Process Start(string[] args, IReadOnlyDictionary<string, string>? environment = null) =>
        ReinProcesses.Start(Root, _home, args, Environment is { } shared ? new Dictionary<string, string>(shared.Concat(environment ?? new Dictionary<string, string>())) : environment);

    public async ValueTask DisposeAsync()
    {
        await DisposeCoreAsync();
        GC.SuppressFinalize(this);
    }

    /// <summary>Stops the server and the model, and removes the home; a fixture with more to stop does it first.</summary>
    protected virtual async ValueTask DisposeCoreAsync()
    {
        if (_server is not null)
        {
            if (!_server.HasExited)
            {
                _server.Kill(entireProcessTree: true);
                await _server.WaitForExitAsync();
            }

            _server.Dispose();
        }

        if (Model is not null)
        {
            await Model.DisposeAsync();
        }

        _home.Dispose();
    }
}

/// <summary>One Server-Sent Events frame: its <c>id</c> (none for live text), <c>event</c> and <c>data</c>.</summary>
internal sealed record SseFrame(string? Id, string Event, string Data);

/// <summary>Reads a session's event stream frame by frame over a real connection; disposing it drops the connection.</summary>
internal sealed class SseReader : IAsyncDisposable
{
    private readonly HttpClient _client;
    private readonly HttpResponseMessage _response;
    private readonly StreamReader _reader;

    private SseReader(HttpClient client, HttpResponseMessage response, StreamReader reader)
    {
        _client = client;
        _response = response;
        _reader = reader;
    }

    public static async Task<SseReader> OpenAsync(LiveServe serve, string sessionId, string? lastEventId = null)
    {
        var client = serve.Client();
        client.Timeout = Timeout.InfiniteTimeSpan;
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri($"v1/sessions/{sessionId}/events", UriKind.Relative));
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        if (lastEventId is not null)
        {
            request.Headers.Add("Last-Event-ID", lastEventId);
        }

        var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, TestContext.Current.CancellationToken);
        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        var stream = await response.Content.ReadAsStreamAsync(TestContext.Current.CancellationToken);
        return new SseReader(client, response, new StreamReader(stream, Encoding.UTF8));
    }

    /// <summary>Reads frames (keep-alive comments skipped) until <paramref name="until"/> holds for one, which is the last returned.</summary>
    public async Task<List<SseFrame>> ReadUntilAsync(Func<SseFrame, bool> until)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(90));
        var frames = new List<SseFrame>();
        string? id = null;
        string? type = null;
        var data = new StringBuilder();
        while (await _reader.ReadLineAsync(timeout.Token) is { } line)
        {
            if (line.Length == 0)
            {
                if (type is not null)
                {
                    var frame = new SseFrame(id, type, data.ToString());
                    frames.Add(frame);
                    if (until(frame))
                    {
                        return frames;
                    }
                }

                (id, type) = (null, null);
                data.Clear();
            }
            else if (line.StartsWith("id: ", StringComparison.Ordinal))
            {
                id = line[4..];
            }
            else if (line.StartsWith("event: ", StringComparison.Ordinal))
            {
                type = line[7..];
            }
            else if (line.StartsWith("data: ", StringComparison.Ordinal))
            {
                data.Append(line[6..]);
            }
        }

        Assert.Fail($"the event stream ended before the awaited frame; got: {string.Join(", ", frames.Select(f => f.Event))}");
        return frames;
    }

    public async ValueTask DisposeAsync()
    {
        _reader.Dispose();
        _response.Dispose();
        _client.Dispose();
        await Task.CompletedTask;
    }
}
