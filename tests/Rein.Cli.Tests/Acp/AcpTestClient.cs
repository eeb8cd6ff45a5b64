using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using Json.Schema;

namespace Rein.Cli.Tests.Acp;

/// <summary>
/// An editor's side of the Agent Client Protocol over a real <c>rein acp</c> process: sends requests and notifications,
/// answers the agent's requests with <see cref="OnRequest"/>, and validates every message the agent writes against the
/// protocol's published JSON Schema (acp-schema-v1.json).
/// </summary>
internal sealed class AcpTestClient : IAsyncDisposable
{
    private static readonly Lazy<JsonObject> SchemaDocument = new(() => JsonNode.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Acp", "acp-schema-v1.json")))!.AsObject());
    private static readonly ConcurrentDictionary<string, JsonSchema> Definitions = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<long, string> _methods = new();
    private readonly Process _process;
    private readonly ConcurrentDictionary<long, TaskCompletionSource<JsonElement>> _waiting = new();
    private readonly Task _reading;
    private readonly Task<string> _stderr;
    private long _nextId;

    public AcpTestClient(ReinProcess rein, params string[] args)
    {
        _process = rein.Start(["acp", .. args], keepInputOpen: true);
        _stderr = _process.StandardError.ReadToEndAsync();
        _reading = Task.Run(ReadAsync);
    }

    /// <summary>Every message the agent wrote, in order.</summary>
    public List<JsonElement> Received { get; } = [];

    /// <summary>Messages that did not match the schema, with why.</summary>
    public List<string> Invalid { get; } = [];

    /// <summary>Answers a request of the agent (its method and params); null answers with an empty result.</summary>
    public Func<string, JsonElement, JsonNode?> OnRequest { get; set; } = (_, _) => null;

    /// <summary>The <c>session/update</c> payloads received so far.</summary>
    public List<JsonElement> Updates
    {
        get
        {
            lock (Received)
            {
                return [.. Received.Where(m => m.TryGetProperty("method", out var method) && method.GetString() == "session/update").Select(m => m.GetProperty("params").GetProperty("update"))];
            }
        }
    }

    /// <summary>Sends a request and waits for its response (result or error).</summary>
    public async Task<JsonElement> RequestAsync(string method, JsonNode? parameters, CancellationToken cancellationToken)
    {
        var id = Interlocked.Increment(ref _nextId);
        var answer = new TaskCompletionSource<JsonElement>(TaskCreationOptions.RunContinuationsAsynchronously);
        _waiting[id] = answer;
        _methods[id] = method;
        await WriteAsync(new JsonObject { ["jsonrpc"] = "2.0", ["id"] = id, ["method"] = method, ["params"] = parameters });
        return await answer.Task.WaitAsync(TimeSpan.FromSeconds(60), cancellationToken);
    }

    /// <summary>Sends a request without waiting; returns its id.</summary>
    public async Task<Task<JsonElement>> StartRequestAsync(string method, JsonNode? parameters)
    {
        var id = Interlocked.Increment(ref _nextId);
        var answer = new TaskCompletionSource<JsonElement>(TaskCreationOptions.RunContinuationsAsynchronously);
        _waiting[id] = answer;
        _methods[id] = method;
        await WriteAsync(new JsonObject { ["jsonrpc"] = "2.0", ["id"] = id, ["method"] = method, ["params"] = parameters });
        return answer.Task;
    }

    public Task NotifyAsync(string method, JsonNode parameters) => WriteAsync(new JsonObject { ["jsonrpc"] = "2.0", ["method"] = method, ["params"] = parameters });

    /// <summary>Initializes the connection and creates a session in <paramref name="cwd"/>; returns the session id.</summary>
    public async Task<string> NewSessionAsync(string cwd, CancellationToken cancellationToken, JsonArray? mcpServers = null)
    {
        var initialized = await RequestAsync("initialize", new JsonObject { ["protocolVersion"] = 1, ["clientCapabilities"] = new JsonObject() }, cancellationToken);
        Assert.Equal(1, initialized.GetProperty("result").GetProperty("protocolVersion").GetInt32());
        var created = await RequestAsync("session/new", new JsonObject { ["cwd"] = cwd, ["mcpServers"] = mcpServers ?? [] }, cancellationToken);
        return created.GetProperty("result").GetProperty("sessionId").GetString()!;
    }

    /// <summary>Sends a prompt of one text block and waits for its answer.</summary>
    public async Task<JsonElement> PromptAsync(string sessionId, string text, CancellationToken cancellationToken) =>
        await RequestAsync("session/prompt", Prompt(sessionId, text), cancellationToken);

    public static JsonObject Prompt(string sessionId, string text) => new()
    {
        ["sessionId"] = sessionId,
        ["prompt"] = new JsonArray((JsonNode)new JsonObject { ["type"] = "text", ["text"] = text }),
    };

    public async ValueTask DisposeAsync()
    {
        try
        {
            _process.StandardInput.Close();
            await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        }
        catch (TimeoutException)
        {
            _process.Kill(entireProcessTree: true);
        }

        await _reading;
        _process.Dispose();
    }

    /// <summary>What the agent wrote on standard error (after it exited).</summary>
    public Task<string> StderrAsync() => _stderr;

    private async Task ReadAsync()
    {
        while (await _process.StandardOutput.ReadLineAsync() is { } line)
        {
            JsonElement message;
            try
            {
                message = JsonDocument.Parse(line).RootElement.Clone();
            }
            catch (JsonException ex)
            {
                lock (Received)
                {
                    Invalid.Add($"not JSON ({ex.Message}): {line}");
                }

                continue;
            }

            var method = message.TryGetProperty("id", out var answered) && answered.ValueKind == JsonValueKind.Number && _methods.TryGetValue(answered.GetInt64(), out var sent) ? sent : null;
            var problem = Check(message, method);
            lock (Received)
            {
                Received.Add(message);
                if (problem is not null)
                {
                    Invalid.Add($"{problem}: {line}");
                }
            }

            if (message.TryGetProperty("method", out var called))
            {
                if (message.TryGetProperty("id", out var requestId))
                {
                    var result = OnRequest(called.GetString()!, message.GetProperty("params")) ?? new JsonObject();
                    await WriteAsync(new JsonObject { ["jsonrpc"] = "2.0", ["id"] = JsonNode.Parse(requestId.GetRawText()), ["result"] = result });
                }
            }
            else if (message.TryGetProperty("id", out var id) && id.ValueKind == JsonValueKind.Number && _waiting.TryRemove(id.GetInt64(), out var waiting))
            {
                waiting.TrySetResult(message);
            }
        }
    }

    private readonly SemaphoreSlim _writing = new(1, 1);

    private async Task WriteAsync(JsonObject message)
    {
        await _writing.WaitAsync();
        try
        {
            await _process.StandardInput.WriteLineAsync(message.ToJsonString());
            await _process.StandardInput.FlushAsync();
        }
        finally
        {
            _writing.Release();
        }
    }

    /// <summary>Whether a message is one an agent may write, per the schema (for a response, to a request of <paramref name="answering"/>).</summary>
    public static bool IsAgentMessage(string json, string? answering = null) => Check(JsonDocument.Parse(json).RootElement, answering) is null;

    /// <summary>
    /// Checks a message the agent wrote against the definition its method (or, for a response, the method of the request it
    /// answers) names in the schema; null when it conforms, else why not.
    /// </summary>
    private static string? Check(JsonElement message, string? answering)
    {
        if (message.ValueKind != JsonValueKind.Object || !message.TryGetProperty("jsonrpc", out var version) || version.GetString() != "2.0")
        {
            return "not a JSON-RPC 2.0 message";
        }

        if (message.TryGetProperty("method", out var method))
        {
            var definition = method.GetString() switch
            {
                "session/update" => "SessionNotification",
                "session/request_permission" => "RequestPermissionRequest",
                "fs/read_text_file" => "ReadTextFileRequest",
                "fs/write_text_file" => "WriteTextFileRequest",
                var other => null,
            };
            return definition is null ? $"an agent does not send '{method.GetString()}'"
                : Conforms(definition, message.TryGetProperty("params", out var p) ? p : default) ? null : $"params are not a {definition}";
        }

        if (message.TryGetProperty("error", out var error))
        {
            return Conforms("Error", error) ? null : "not an Error";
        }

        if (!message.TryGetProperty("result", out var result))
        {
            return "neither a request, a notification, a result nor an error";
        }

        var response = answering switch
        {
            "initialize" => "InitializeResponse",
            "session/new" => "NewSessionResponse",
            "session/load" => "LoadSessionResponse",
            "session/prompt" => "PromptResponse",
            "session/set_mode" => "SetSessionModeResponse",
            "authenticate" => "AuthenticateResponse",
            _ => null,
        };
        return response is null ? $"a response to an unknown request ({answering})" : Conforms(response, result) ? null : $"result is not a {response}";
    }

    private static bool Conforms(string definition, JsonElement value) =>
        Definitions.GetOrAdd(definition, Build).Evaluate(value, new EvaluationOptions { OutputFormat = OutputFormat.Flag }).IsValid;

    /// <summary>A schema for one of the document's definitions, with every definition it may refer to.</summary>
    private static JsonSchema Build(string definition)
    {
        var document = new JsonObject
        {
            ["$schema"] = SchemaDocument.Value["$schema"]!.DeepClone(),
            ["$ref"] = "#/$defs/" + definition,
            ["$defs"] = SchemaDocument.Value["$defs"]!.DeepClone(),
        };
        return JsonSchema.FromText(document.ToJsonString(), new BuildOptions { SchemaRegistry = new SchemaRegistry() });
    }
}
