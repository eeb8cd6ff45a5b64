using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Rein.Tools;

namespace Rein.Guard.Sandbox;

/// <summary>
/// An HTTP proxy on a Unix domain socket that lets sandboxed commands reach only allow-listed domains: <c>CONNECT</c>
/// tunnels for https and absolute-URI requests for plain http.
/// </summary>
/// <remarks>
/// <para>
/// It runs outside the sandbox; the socket's folder is bound into it, and a bridge inside turns a loopback TCP port
/// into that socket. A refused host gets <c>403 Forbidden</c> with a body saying it is not on the allow-list, and is
/// recorded in <see cref="Refused"/> as <c>host:port</c>. Only the allowed ports are reached (80 and 443 unless
/// configured). For <c>CONNECT</c> the target is what is judged; for plain http the target of the absolute URI, and a
/// <c>Host</c> header that names another host or port is refused. Names are resolved here, never inside the sandbox,
/// and the connection goes to a checked address: an address that is not public (<see cref="NetworkAddresses"/>:
/// loopback, private, CGNAT, link-local, cloud metadata, unique local, …) is skipped unless the allow-list names that
/// address itself (e.g. <c>10.0.0.5</c>), so DNS cannot point an allowed name at the host's or the network's own
/// services. A plain http request is sent upstream with <c>Connection: close</c>.
/// </para>
/// <para>Thread-safe. Dispose to stop listening and close every connection.</para>
/// </remarks>
public sealed class EgressProxy : IAsyncDisposable
{
    private const int MaxHeadBytes = 32 * 1024;
    private static readonly TimeSpan HeadTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(15);
    private readonly DomainAllowList _allowList;
    private readonly HashSet<int> _ports;
    private readonly Func<string, int, (string Host, int Port)?>? _resolve;
    private readonly Socket _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<string> _refused = [];
    private readonly Lock _gate = new();
    private readonly HashSet<Task> _connections = [];
    private readonly Task _acceptLoop;

    private EgressProxy(string socketPath, DomainAllowList allowList, IEnumerable<int> ports, Func<string, int, (string Host, int Port)?>? resolve)
    {
        SocketPath = socketPath;
        _allowList = allowList;
        _ports = [.. ports];
        _resolve = resolve;
        _listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            _listener.Bind(new UnixDomainSocketEndPoint(socketPath));
            _listener.Listen(128);
        }
        catch
        {
            _listener.Dispose();
            throw;
        }

        _acceptLoop = AcceptLoopAsync();
    }

    /// <summary>Gets the path of the Unix domain socket the proxy listens on.</summary>
    public string SocketPath { get; }

    /// <summary>Gets the destinations refused so far, as <c>host:port</c>, each once, in the order first seen.</summary>
    public IReadOnlyList<string> Refused
    {
        get
        {
            lock (_gate)
            {
                return [.. _refused];
            }
        }
    }

    /// <summary>Starts a proxy listening on a new Unix domain socket.</summary>
    /// <param name="socketPath">Where to create the socket; its folder should be private to this process.</param>
    /// <param name="allowedDomains">Domains that may be reached, e.g. <c>pypi.org</c> or <c>*.github.com</c>.</param>
    /// <param name="resolve">Where to connect for an allowed host and port, or null (or a null result) for DNS. For tests.</param>
    /// <param name="allowedPorts">The ports that may be reached. Defaults to 80 and 443.</param>
    /// <returns>The running proxy.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="socketPath"/> or <paramref name="allowedDomains"/> is null.</exception>
    /// <exception cref="ArgumentException">A domain pattern is invalid.</exception>
    /// <exception cref="SocketException">The socket could not be created.</exception>
    public static EgressProxy Start(
        string socketPath, IEnumerable<string> allowedDomains, Func<string, int, (string Host, int Port)?>? resolve = null, IEnumerable<int>? allowedPorts = null)
    {
        ArgumentNullException.ThrowIfNull(socketPath);
        ArgumentNullException.ThrowIfNull(allowedDomains);
        return new EgressProxy(socketPath, new DomainAllowList(allowedDomains), allowedPorts ?? [80, 443], resolve);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (_stop.IsCancellationRequested)
        {
            return;
        }

        await _stop.CancelAsync().ConfigureAwait(false);
        _listener.Dispose();
        Task[] pending;
        lock (_gate)
        {
            pending = [.. _connections, _acceptLoop];
        }

        await Task.WhenAll(pending).ConfigureAwait(false);
        _stop.Dispose();
        try
        {
            File.Delete(SocketPath);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptAsync(_stop.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            var task = HandleAsync(client);
            lock (_gate)
            {
                _connections.Add(task);
            }

            _ = task.ContinueWith(
                done =>
                {
                    lock (_gate)
                    {
                        _connections.Remove(done);
                    }
                },
                CancellationToken.None,
                TaskContinuationOptions.ExecuteSynchronously,
                TaskScheduler.Default);
        }
    }

    private async Task HandleAsync(Socket client)
    {
        using var clientStream = new NetworkStream(client, ownsSocket: true);
        try
        {
            using var headTimeout = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
            headTimeout.CancelAfter(HeadTimeout);
            var (head, rest) = await ReadHeadAsync(clientStream, headTimeout.Token).ConfigureAwait(false);
            if (head is null)
            {
                await RespondAsync(clientStream, 400, "Bad Request", "The proxy could not read an HTTP request head.").ConfigureAwait(false);
                return;
            }

            var lines = head.Split("\r\n");
            var parts = lines[0].Split(' ');
            if (parts.Length != 3 || !TryParseTarget(parts[0], parts[1], out var host, out var port, out var pathAndQuery))
            {
                await RespondAsync(clientStream, 400, "Bad Request", "The proxy accepts CONNECT host:port and absolute http:// requests only.").ConfigureAwait(false);
                return;
            }

            if (parts[0] != "CONNECT" && HostHeaderMismatch(lines.Skip(1), host, port) is { } mismatch)
            {
                Refuse(host, port);
                await RespondAsync(clientStream, 403, "Forbidden", $"Rein sandbox: {mismatch}, so the request to {host}:{port} was refused.").ConfigureAwait(false);
                return;
            }

            if (!_allowList.IsAllowed(host))
            {
                Refuse(host, port);
                await RespondAsync(clientStream, 403, "Forbidden", $"Rein sandbox: {host} is not on the network allow-list (sandbox.network.allow), so the connection to {host}:{port} was refused.").ConfigureAwait(false);
                return;
            }

            if (!_ports.Contains(port))
            {
                Refuse(host, port);
                await RespondAsync(clientStream, 403, "Forbidden", $"Rein sandbox: port {port} is not allowed (sandbox.network.ports; 80 and 443 unless configured), so the connection to {host}:{port} was refused.").ConfigureAwait(false);
                return;
            }

            var (upstream, local) = await ConnectAsync(host, port).ConfigureAwait(false);
            if (local)
            {
                Refuse(host, port);
                await RespondAsync(clientStream, 403, "Forbidden", $"Rein sandbox: {host} resolves only to local or private addresses (loopback, private, link-local, metadata), which are reached only when sandbox.network.allow names the address itself, so the connection to {host}:{port} was refused.").ConfigureAwait(false);
                return;
            }

            if (upstream is null)
            {
                await RespondAsync(clientStream, 502, "Bad Gateway", $"Rein sandbox: could not connect to {host}:{port}.").ConfigureAwait(false);
                return;
            }

            using var upstreamStream = new NetworkStream(upstream, ownsSocket: true);
            if (parts[0] == "CONNECT")
            {
                await clientStream.WriteAsync("HTTP/1.1 200 Connection Established\r\n\r\n"u8.ToArray(), _stop.Token).ConfigureAwait(false);
            }
            else
            {
                var request = RewriteHead(parts[0], pathAndQuery, parts[2], lines.Skip(1), host, port);
                await upstreamStream.WriteAsync(Encoding.Latin1.GetBytes(request), _stop.Token).ConfigureAwait(false);
            }

            if (rest.Length > 0)
            {
                await upstreamStream.WriteAsync(rest, _stop.Token).ConfigureAwait(false);
            }

            await Task.WhenAll(PipeAsync(clientStream, upstream, upstreamStream), PipeAsync(upstreamStream, client, clientStream)).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // A client or server that goes away mid-request ends only its own connection.
        }
    }

    private void Refuse(string host, int port)
    {
        var entry = string.Create(CultureInfo.InvariantCulture, $"{host}:{port}");
        lock (_gate)
        {
            if (!_refused.Contains(entry))
            {
                _refused.Add(entry);
            }
        }
    }

    private async Task<(Socket? Socket, bool Local)> ConnectAsync(string host, int port)
    {
        var target = _resolve?.Invoke(host, port);
        IPAddress[] addresses;
        var connectPort = port;
        try
        {
            if (target is { } mapped)
            {
                // A test mapping is trusted as given, loopback included.
                connectPort = mapped.Port;
                addresses = IPAddress.TryParse(mapped.Host, out var literal) ? [literal] : await Dns.GetHostAddressesAsync(mapped.Host, _stop.Token).ConfigureAwait(false);
            }
            else
            {
                addresses = IPAddress.TryParse(host, out var literal) ? [literal] : await Dns.GetHostAddressesAsync(host, _stop.Token).ConfigureAwait(false);
                addresses = [.. addresses.Where(a => NetworkAddresses.Classify(a) is null || _allowList.NamesExactly(a.ToString()))];
                if (addresses.Length == 0)
                {
                    return (null, true);
                }
            }
        }
        catch (SocketException)
        {
            return (null, false);
        }

        foreach (var address in addresses)
        {
            var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
                timeout.CancelAfter(ConnectTimeout);
                await socket.ConnectAsync(new IPEndPoint(address, connectPort), timeout.Token).ConfigureAwait(false);
                return (socket, false);
            }
            catch (Exception ex) when (ex is SocketException or OperationCanceledException)
            {
                socket.Dispose();
                if (_stop.IsCancellationRequested)
                {
                    throw;
                }
            }
        }

        return (null, false);
    }

    /// <summary>Why the request's <c>Host</c> headers do not name the target, or null when they do (or there is none).</summary>
    private static string? HostHeaderMismatch(IEnumerable<string> headers, string host, int port)
    {
        var values = headers
            .Select(line => (Line: line, Colon: line.IndexOf(':', StringComparison.Ordinal)))
            .Where(h => h.Colon > 0 && h.Line[..h.Colon].Trim().Equals("Host", StringComparison.OrdinalIgnoreCase))
            .Select(h => h.Line[(h.Colon + 1)..].Trim())
            .ToList();
        if (values.Count == 0)
        {
            return null;
        }

        if (values.Count > 1)
        {
            return "the request has more than one Host header";
        }

        if (!Uri.TryCreate("http://" + values[0] + "/", UriKind.Absolute, out var named) || named.UserInfo.Length > 0)
        {
            return $"the Host header '{values[0]}' is not a host name";
        }

        var namedHost = DomainAllowList.Normalize(named.IdnHost.Trim('[', ']'));
        return namedHost == host && named.Port == port ? null : $"the Host header '{values[0]}' does not match the request's target {host}:{port}";
    }

    private static bool TryParseTarget(string method, string target, out string host, out int port, out string pathAndQuery)
    {
        host = "";
        port = 0;
        pathAndQuery = "/";
        if (method == "CONNECT")
        {
            var colon = target.LastIndexOf(':');
            if (colon <= 0 || !int.TryParse(target.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out port) || port is < 1 or > 65535)
            {
                return false;
            }

            host = target[..colon];
            if (host.StartsWith('[') && host.EndsWith(']'))
            {
                host = host[1..^1];
            }
        }
        else
        {
            if (!target.StartsWith("http://", StringComparison.OrdinalIgnoreCase) || !Uri.TryCreate(target, UriKind.Absolute, out var uri) || uri.UserInfo.Length > 0)
            {
                return false;
            }

            host = uri.IdnHost;
            port = uri.Port;
            pathAndQuery = uri.PathAndQuery;
        }

        host = DomainAllowList.Normalize(host);
        return DomainAllowList.IsValidHost(host) && method.All(char.IsAsciiLetterUpper);
    }

    private static string RewriteHead(string method, string pathAndQuery, string version, IEnumerable<string> headers, string host, int port)
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"{method} {pathAndQuery} {version}\r\n");
        var hasHost = false;
        foreach (var line in headers)
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            var name = colon > 0 ? line[..colon].Trim() : "";
            if (name.Length == 0
                || name.Equals("Proxy-Connection", StringComparison.OrdinalIgnoreCase)
                || name.Equals("Proxy-Authorization", StringComparison.OrdinalIgnoreCase)
                || name.Equals("Connection", StringComparison.OrdinalIgnoreCase)
                || name.Equals("Keep-Alive", StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            hasHost |= name.Equals("Host", StringComparison.OrdinalIgnoreCase);
            text.Append(line).Append("\r\n");
        }

        if (!hasHost)
        {
            text.Append(CultureInfo.InvariantCulture, $"Host: {host}{(port == 80 ? "" : ":" + port.ToString(CultureInfo.InvariantCulture))}\r\n");
        }

        // One request per upstream connection: a second request on the same client connection must not reach this host unchecked.
        text.Append("Connection: close\r\n\r\n");
        return text.ToString();
    }

    private static async Task<(string? Head, byte[] Remainder)> ReadHeadAsync(Stream stream, CancellationToken cancellationToken)
    {
        var buffer = new byte[MaxHeadBytes];
        var filled = 0;
        while (filled < buffer.Length)
        {
            var read = await stream.ReadAsync(buffer.AsMemory(filled), cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                return (null, []);
            }

            var searchFrom = Math.Max(0, filled - 3);
            filled += read;
            var end = buffer.AsSpan(searchFrom, filled - searchFrom).IndexOf("\r\n\r\n"u8);
            if (end >= 0)
            {
                end += searchFrom;
                return (Encoding.Latin1.GetString(buffer, 0, end), buffer[(end + 4)..filled]);
            }
        }

        return (null, []);
    }

    private async Task RespondAsync(Stream stream, int status, string reason, string body)
    {
        var bodyBytes = Encoding.UTF8.GetBytes(body + "\n");
        var head = string.Create(
            CultureInfo.InvariantCulture,
            $"HTTP/1.1 {status} {reason}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: {bodyBytes.Length}\r\nConnection: close\r\n\r\n");
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head), _stop.Token).ConfigureAwait(false);
        await stream.WriteAsync(bodyBytes, _stop.Token).ConfigureAwait(false);
    }

    private async Task PipeAsync(Stream from, Socket toSocket, Stream to)
    {
        try
        {
            await from.CopyToAsync(to, _stop.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
        }

        try
        {
            // Half-close: the other side learns this direction ended, and the reverse direction keeps flowing.
            toSocket.Shutdown(SocketShutdown.Send);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
        }
    }
}
