using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Rein.Server.Acp;

/// <summary>A JSON-RPC error to send back: its code and message.</summary>
/// <param name="code">The JSON-RPC error code, e.g. <see cref="AcpConnection.InvalidParams"/>.</param>
/// <param name="message">What was wrong, for the client's user.</param>
internal sealed class JsonRpcException(int code, string message) : Exception(message)
{
    public int Code { get; } = code;
}

/// <summary>
/// JSON-RPC 2.0 over one JSON object per line, as the Agent Client Protocol carries it on a process's standard input and
/// output: requests and notifications from the client go to handlers, the agent's own requests wait for their responses,
/// and every message written goes out whole and in the order it was sent.
/// </summary>
/// <remarks>Thread-safe. Requests are handled concurrently (a prompt turn runs while <c>session/cancel</c> arrives).</remarks>
internal sealed class AcpConnection : IDisposable
{
    public const int ParseError = -32700;
    public const int InvalidRequest = -32600;
    public const int MethodNotFound = -32601;
    public const int InvalidParams = -32602;
    public const int InternalError = -32603;

    private readonly TextReader _input;
    private readonly TextWriter _output;
    private readonly SemaphoreSlim _writing = new(1, 1);
    private readonly ConcurrentDictionary<string, TaskCompletionSource<JsonElement>> _waiting = new(StringComparer.Ordinal);
    private readonly List<Task> _handlers = [];
    private long _nextId;

    public AcpConnection(TextReader input, TextWriter output)
    {
        _input = input;
        _output = output;
    }

    /// <summary>Handles a request: returns its result, or throws <see cref="JsonRpcException"/>.</summary>
    public required Func<string, JsonElement, CancellationToken, Task<JsonNode?>> OnRequest { get; init; }

    /// <summary>Handles a notification.</summary>
    public required Action<string, JsonElement> OnNotification { get; init; }

    /// <summary>Reads messages until the input ends or <paramref name="cancellationToken"/> is cancelled, then waits for the requests being handled.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        try
        {
            while (await _input.ReadLineAsync(cancellationToken).ConfigureAwait(false) is { } line)
            {
                if (!string.IsNullOrWhiteSpace(line))
                {
                    await ReceiveAsync(line, cancellationToken).ConfigureAwait(false);
                }
            }
        }
        finally
        {
            foreach (var waiting in _waiting.Values)
            {
                waiting.TrySetException(new IOException("The client closed the connection."));
            }

            Task[] handlers;
            lock (_handlers)
            {
                handlers = [.. _handlers];
            }

            await Task.WhenAll(handlers).ConfigureAwait(false);
        }
    }

    /// <summary>Sends a notification.</summary>
    public Task NotifyAsync(string method, JsonNode parameters) =>
        WriteAsync(new JsonObject { ["jsonrpc"] = "2.0", ["method"] = method, ["params"] = parameters });

    /// <summary>Sends a request to the client and waits for its result.</summary>
    /// <exception cref="JsonRpcException">The client answered with an error.</exception>
    /// <exception cref="IOException">The connection closed first.</exception>
    public async Task<JsonElement> RequestAsync(string method, JsonNode parameters, CancellationToken cancellationToken)
    {
        var id = "rein-" + Interlocked.Increment(ref _nextId).ToString(CultureInfo.InvariantCulture);
        var answer = new TaskCompletionSource<JsonElement>(TaskCreationOptions.RunContinuationsAsynchronously);
        _waiting[id] = answer;
        try
        {
            await WriteAsync(new JsonObject { ["jsonrpc"] = "2.0", ["id"] = id, ["method"] = method, ["params"] = parameters }).ConfigureAwait(false);
            return await answer.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _waiting.TryRemove(id, out _);
        }
    }

    private async Task ReceiveAsync(string line, CancellationToken cancellationToken)
    {
        JsonElement message;
        try
        {
            using var document = JsonDocument.Parse(line);
            message = document.RootElement.Clone();
        }
        catch (JsonException ex)
        {
            await WriteErrorAsync(null, ParseError, $"Not JSON: {ex.Message}").ConfigureAwait(false);
            return;
        }

        if (message.ValueKind != JsonValueKind.Object)
        {
            await WriteErrorAsync(null, InvalidRequest, "A JSON-RPC message is an object.").ConfigureAwait(false);
            return;
        }

        var hasId = message.TryGetProperty("id", out var id) && id.ValueKind is JsonValueKind.String or JsonValueKind.Number;
        var method = message.TryGetProperty("method", out var m) && m.ValueKind == JsonValueKind.String ? m.GetString() : null;
        var parameters = message.TryGetProperty("params", out var p) ? p : default;
        if (method is null)
        {
            if (hasId && _waiting.TryGetValue(IdText(id), out var waiting))
            {
                if (message.TryGetProperty("error", out var error))
                {
                    var code = error.TryGetProperty("code", out var c) && c.TryGetInt32(out var n) ? n : InternalError;
                    var text = error.TryGetProperty("message", out var t) ? t.GetString() : null;
                    waiting.TrySetException(new JsonRpcException(code, text ?? "error"));
                }
                else
                {
                    waiting.TrySetResult(message.TryGetProperty("result", out var result) ? result : default);
                }
            }

            return;
        }

        if (!hasId)
        {
            OnNotification(method, parameters);
            return;
        }

        var handling = HandleAsync(id, method, parameters, cancellationToken);
        lock (_handlers)
        {
            _handlers.RemoveAll(h => h.IsCompleted);
            _handlers.Add(handling);
        }
    }

    private async Task HandleAsync(JsonElement id, string method, JsonElement parameters, CancellationToken cancellationToken)
    {
        // Off the reading loop, so the next message (a cancel, a permission answer) is read while this one is handled.
        await Task.Yield();
        JsonNode? result;
        try
        {
            result = await OnRequest(method, parameters, cancellationToken).ConfigureAwait(false);
        }
        catch (JsonRpcException ex)
        {
            await WriteErrorAsync(id, ex.Code, ex.Message).ConfigureAwait(false);
            return;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return;
        }
#pragma warning disable CA1031 // Any failure of a handler is the client's error response, not the end of the connection.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            await WriteErrorAsync(id, InternalError, ex.Message).ConfigureAwait(false);
            return;
        }

        await WriteAsync(new JsonObject { ["jsonrpc"] = "2.0", ["id"] = JsonNode.Parse(id.GetRawText()), ["result"] = result ?? new JsonObject() }).ConfigureAwait(false);
    }

    private Task WriteErrorAsync(JsonElement? id, int code, string message) => WriteAsync(new JsonObject
    {
        ["jsonrpc"] = "2.0",
        ["id"] = id is { } value ? JsonNode.Parse(value.GetRawText()) : null,
        ["error"] = new JsonObject { ["code"] = code, ["message"] = message },
    });

    private async Task WriteAsync(JsonObject message)
    {
        var line = message.ToJsonString();
        await _writing.WaitAsync().ConfigureAwait(false);
        try
        {
            await _output.WriteAsync(line + "\n").ConfigureAwait(false);
            await _output.FlushAsync().ConfigureAwait(false);
        }
        finally
        {
            _writing.Release();
        }
    }

    public void Dispose() => _writing.Dispose();

    private static string IdText(JsonElement id) => id.ValueKind == JsonValueKind.String ? id.GetString()! : id.GetRawText();
}
