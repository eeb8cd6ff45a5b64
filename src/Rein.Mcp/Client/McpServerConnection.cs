using System.Globalization;
using System.Text;
using System.Text.Json;
using ModelContextProtocol;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;
using Rein.Guard.Sandbox;
using Rein.Mcp.Configuration;
using Rein.Tools;

namespace Rein.Mcp.Client;

/// <summary>Why an MCP server could not start; the message names the server and what went wrong.</summary>
public sealed class McpStartException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// One session's connection to one MCP server: started when the session is composed, stopped with the session, and started
/// again once if it dies.
/// </summary>
/// <remarks>
/// Every failure of a call (the server died, did not answer within the entry's timeout, answered with a protocol error) is
/// a failed tool result the model can read, never an exception. A server that died is started again at the next call, once
/// per session; a second death leaves it stopped. Thread-safe.
/// </remarks>
internal sealed class McpServerConnection : IAsyncDisposable
{
    private const int MaxStarts = 2;

    /// <summary>The least time a start (the handshake and the tool list) is given, whatever the entry's call timeout: programs fetched by npx or uvx start slowly.</summary>
    private static readonly TimeSpan MinimumStartTimeout = TimeSpan.FromSeconds(30);
    private const int StderrLinesKept = 20;
    private readonly McpLaunch _launch;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly Queue<string> _stderr = new();
    private McpClient? _client;
    private EgressProxy? _proxy;
    private DirectoryInfo? _egressFolder;
    private int _starts;
    private string? _deadReason;
    private bool _disposed;

    public McpServerConnection(McpServerEntry entry, McpLaunch launch)
    {
        Entry = entry;
        _launch = launch;
    }

    /// <summary>The server's configuration.</summary>
    public McpServerEntry Entry { get; }

    /// <summary>The server's tools, as it listed them when it started.</summary>
    public IReadOnlyList<Tool> Tools { get; private set; } = [];

    /// <summary>Whether the server offers resources.</summary>
    public bool HasResources { get; private set; }

    /// <summary>Starts the server and lists its tools.</summary>
    /// <exception cref="McpStartException">The server could not start, or did not list its tools.</exception>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var client = await ConnectAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                using var timeout = Deadline(StartTimeout, cancellationToken);
                var tools = await client.ListToolsAsync(cancellationToken: timeout.Token).ConfigureAwait(false);
                Tools = [.. tools.Select(t => t.ProtocolTool)];
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                await StopAsync().ConfigureAwait(false);
                throw new McpStartException($"MCP server '{Entry.Name}' did not list its tools: {Describe(ex)}{StderrTail()}", ex);
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Calls one of the server's tools.</summary>
    /// <param name="tool">The tool's name as the server knows it.</param>
    /// <param name="arguments">The arguments object.</param>
    /// <param name="cancellationToken">Cancels the call (the server is told).</param>
    /// <returns>What the server answered, or a failed result saying why there is no answer.</returns>
    public async ValueTask<ToolResult> CallToolAsync(string tool, JsonElement arguments, CancellationToken cancellationToken)
    {
        var request = new CallToolRequestParams
        {
            Name = tool,
            Arguments = arguments.ValueKind == JsonValueKind.Object
                ? arguments.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.Clone(), StringComparer.Ordinal)
                : null,
        };
        return await UseAsync(
            async (client, token) => McpResults.Render(await client.CallToolAsync(request, token).ConfigureAwait(false)),
            $"call {tool}",
            cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Lists the server's resources.</summary>
    public ValueTask<ToolResult> ListResourcesAsync(CancellationToken cancellationToken) => UseAsync(
        async (client, token) => McpResults.Render(Entry.Name, await client.ListResourcesAsync(cancellationToken: token).ConfigureAwait(false)),
        "list resources",
        cancellationToken);

    /// <summary>Reads one of the server's resources.</summary>
    public ValueTask<ToolResult> ReadResourceAsync(string uri, CancellationToken cancellationToken) => UseAsync(
        async (client, token) => McpResults.Render(await client.ReadResourceAsync(uri, cancellationToken: token).ConfigureAwait(false)),
        $"read {uri}",
        cancellationToken);

    public async ValueTask DisposeAsync()
    {
        await _gate.WaitAsync().ConfigureAwait(false);
        try
        {
            _disposed = true;
            await StopAsync().ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    private async ValueTask<ToolResult> UseAsync(Func<McpClient, CancellationToken, Task<ToolResult>> call, string what, CancellationToken cancellationToken)
    {
        McpClient client;
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_disposed)
            {
                return ToolResult.Error($"MCP server '{Entry.Name}' was stopped with its session.");
            }

            if (_client is null)
            {
                if (_deadReason is not null && _starts >= MaxStarts)
                {
                    return ToolResult.Error($"MCP server '{Entry.Name}' stopped again after it was restarted ({_deadReason}); it is not started a third time in this session. Carry on without its tools.");
                }

                try
                {
                    await ConnectAsync(cancellationToken).ConfigureAwait(false);
                }
                catch (McpStartException ex)
                {
                    _deadReason = ex.Message;
                    return ToolResult.Error(ex.Message);
                }
            }

            client = _client!;
        }
        finally
        {
            _gate.Release();
        }

        using var timeout = Deadline(Entry.Timeout, cancellationToken);
        try
        {
            return await call(client, timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return ToolResult.Error($"MCP server '{Entry.Name}' did not answer within {Seconds(Entry.Timeout)} s ({what}); the call was cancelled.");
        }
        catch (McpProtocolException ex)
        {
            return ToolResult.Error($"MCP server '{Entry.Name}' refused to {what}: {ex.Message} (JSON-RPC error {(int)ex.ErrorCode}).");
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or InvalidOperationException or McpException)
        {
            var reason = Describe(ex);
            await ForgetAsync(client, reason).ConfigureAwait(false);
            var next = _starts < MaxStarts ? "It is started again at the next call." : "It is not started again in this session.";
            return ToolResult.Error($"MCP server '{Entry.Name}' stopped while it was asked to {what}: {reason}{StderrTail()} {next}");
        }
    }

    private async Task ForgetAsync(McpClient client, string reason)
    {
        await _gate.WaitAsync().ConfigureAwait(false);
        try
        {
            if (ReferenceEquals(_client, client))
            {
                _deadReason = reason;
                await StopAsync().ConfigureAwait(false);
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task<McpClient> ConnectAsync(CancellationToken cancellationToken)
    {
        _starts++;
        IClientTransport transport;
        try
        {
            transport = CreateTransport();
        }
        catch (Exception ex) when (ex is McpConfigException or InvalidOperationException or ArgumentException or System.Net.Sockets.SocketException)
        {
            await StopAsync().ConfigureAwait(false);
            throw new McpStartException($"MCP server '{Entry.Name}' could not start: {ex.Message}", ex);
        }

        using var timeout = Deadline(StartTimeout, cancellationToken);
        try
        {
            var options = new McpClientOptions
            {
                ClientInfo = new Implementation { Name = "rein", Version = typeof(McpServerConnection).Assembly.GetName().Version?.ToString(3) ?? "0.1.0" },
                InitializationTimeout = StartTimeout,
            };
            _client = await McpClient.CreateAsync(transport, options, _launch.LoggerFactory, timeout.Token).ConfigureAwait(false);
            HasResources = _client.ServerCapabilities.Resources is not null;
            return _client;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            await StopAsync().ConfigureAwait(false);
            throw;
        }
        catch (Exception ex)
        {
            await StopAsync().ConfigureAwait(false);
            var why = ex is OperationCanceledException or TimeoutException ? $"it did not finish the MCP handshake within {Seconds(StartTimeout)} s" : Describe(ex);
            throw new McpStartException($"MCP server '{Entry.Name}' could not start: {why}{StderrTail()}", ex);
        }
    }

    private IClientTransport CreateTransport()
    {
        switch (Entry.Transport)
        {
            case McpTransport.Http:
            case McpTransport.Sse:
                var where = $"{Entry.Source}: {McpConfig.Key}.{Entry.Name}";
                var url = _launch.Values.Expand(Entry.Url!, where + ".url");
                if (!Uri.TryCreate(url, UriKind.Absolute, out var endpoint) || endpoint.Scheme is not ("http" or "https"))
                {
                    throw new McpConfigException($"{where}.url is not an absolute http(s) URL once expanded.");
                }

                return new HttpClientTransport(
                    new HttpClientTransportOptions
                    {
                        Endpoint = endpoint,
                        Name = Entry.Name,
                        TransportMode = Entry.Transport == McpTransport.Sse ? HttpTransportMode.Sse : HttpTransportMode.StreamableHttp,
                        AdditionalHeaders = _launch.Values.Expand(Entry.Headers, where + ".headers"),
                        ConnectionTimeout = Entry.Timeout,
                    },
                    _launch.LoggerFactory);
            case McpTransport.Stdio:
            default:
                return CreateStdioTransport();
        }
    }

    private StdioClientTransport CreateStdioTransport()
    {
        var where = $"{Entry.Source}: {McpConfig.Key}.{Entry.Name}";
        var command = _launch.Values.Expand(Entry.Command!, where + ".command");
        var args = Entry.Args.Select((a, i) => _launch.Values.Expand(a, $"{where}.args[{i}]")).ToList();
        string program;
        List<string> arguments;
        Dictionary<string, string?> environment;
        if (_launch.Sandboxes(Entry))
        {
            var sandbox = _launch.Sandbox!;
            var (available, reason) = Bubblewrap.Probe();
            if (!available)
            {
                throw new InvalidOperationException($"the sandbox is unavailable: {reason}. Install bubblewrap, or set \"sandbox\": false for this server.");
            }

            var network = Entry.Network.Count > 0;
            string? egress = null;
            if (network)
            {
                _egressFolder = Directory.CreateTempSubdirectory("rein-mcp-egress-");
                _proxy = EgressProxy.Start(Path.Join(_egressFolder.FullName, Bubblewrap.EgressSocketName), Entry.Network, sandbox.EgressResolver, sandbox.AllowedPorts);
                egress = _egressFolder.FullName;
            }

            // exec: the sandbox's shell becomes the server, so stopping the sandbox stops the server.
            var line = "exec " + string.Join(' ', new[] { command }.Concat(args).Select(Quote));
            var argv = Bubblewrap.BuildArguments(new CommandRequest(line, _launch.Workspace, Entry.Timeout), _launch.Workspace, sandbox, egress);
            program = argv[0];
            arguments = [.. argv.Skip(1)];
            environment = _launch.ServerEnvironment(Entry, BubblewrapCommandRunner.EnvironmentFor(sandbox, null, network));
        }
        else
        {
            program = command;
            arguments = args;
            environment = _launch.ServerEnvironment(Entry, new Dictionary<string, string?>());
        }

        return new StdioClientTransport(new StdioClientTransportOptions
        {
            Name = Entry.Name,
            Command = program,
            Arguments = arguments,
            WorkingDirectory = _launch.Workspace,
            InheritEnvironmentVariables = false,
            EnvironmentVariables = environment,
            ShutdownTimeout = TimeSpan.FromSeconds(2),
            StandardErrorLines = KeepStderr,
        });
    }

    private void KeepStderr(string line)
    {
        lock (_stderr)
        {
            _stderr.Enqueue(line.Length > 500 ? line[..500] : line);
            while (_stderr.Count > StderrLinesKept)
            {
                _stderr.Dequeue();
            }
        }
    }

    private string StderrTail()
    {
        lock (_stderr)
        {
            if (_stderr.Count == 0)
            {
                return "";
            }

            var text = new StringBuilder("\nIts last error output:");
            foreach (var line in _stderr.TakeLast(5))
            {
                text.Append("\n  ").Append(line);
            }

            return text.ToString();
        }
    }

    private async Task StopAsync()
    {
        var client = _client;
        _client = null;
        if (client is not null)
        {
            try
            {
                await client.DisposeAsync().ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is IOException or InvalidOperationException or OperationCanceledException or McpException)
            {
                // Stopping a server that already died.
            }
        }

        if (_proxy is not null)
        {
            await _proxy.DisposeAsync().ConfigureAwait(false);
            _proxy = null;
        }

        try
        {
            _egressFolder?.Delete(recursive: true);
        }
        catch (IOException)
        {
        }

        _egressFolder = null;
    }

    private TimeSpan StartTimeout => Entry.Timeout > MinimumStartTimeout ? Entry.Timeout : MinimumStartTimeout;

    private static CancellationTokenSource Deadline(TimeSpan limit, CancellationToken cancellationToken)
    {
        var source = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        source.CancelAfter(limit);
        return source;
    }

    private static string Describe(Exception ex) => ex is ClientTransportClosedException or IOException
        ? $"the server closed the connection ({ex.Message.TrimEnd('.')})"
        : ex.Message.TrimEnd('.');

    private static string Seconds(TimeSpan time) => time.TotalSeconds.ToString("0.#", CultureInfo.InvariantCulture);

    private static string Quote(string value) => "'" + value.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
}
