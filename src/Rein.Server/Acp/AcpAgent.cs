using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Rein.Guard.Policy;
using Rein.Hosting.Configuration;
using Rein.Hosting.Sessions;
using Rein.Journal;
using Rein.Mcp.Configuration;

namespace Rein.Server.Acp;

/// <summary>
/// Rein as an Agent Client Protocol (v1) agent for editors: sessions, prompt turns streamed as <c>session/update</c>,
/// approvals as <c>session/request_permission</c>, cancellation, modes, and loading a session's history.
/// </summary>
/// <remarks>
/// Each prompt turn runs the session in the foreground of a <see cref="SessionHost"/> with the settings of the session's
/// folder, so policy, approvals, budgets, the sandbox and the journal apply as for <c>rein run</c>; the editor's user answers
/// the approvals. One turn at a time per session. Thread-safe.
/// </remarks>
internal sealed class AcpAgent
{
    /// <summary>The protocol version spoken.</summary>
    public const int ProtocolVersion = 1;

    private readonly SessionHost _host;
    private readonly ISessionStore _store;
    private readonly Func<string, string?, ResolvedSettings> _settings;
    private readonly string _principal;
    private readonly string _version;
    private readonly Action<string> _log;
    private readonly ConcurrentDictionary<string, AcpSession> _sessions = new(StringComparer.Ordinal);
    private AcpConnection? _connection;
    private volatile bool _initialized;
    private bool _editorReads;
    private bool _editorWrites;

    /// <param name="host">Runs the sessions.</param>
    /// <param name="store">The host's store (for loading sessions).</param>
    /// <param name="settings">Resolves the settings of a folder, with a permission mode chosen by the editor (or null for the settings').</param>
    /// <param name="principal">Who answers approvals: the user running the editor.</param>
    /// <param name="version">Rein's version, for <c>agentInfo</c>.</param>
    /// <param name="log">Where warnings go (standard error: standard output carries protocol messages only).</param>
    public AcpAgent(SessionHost host, ISessionStore store, Func<string, string?, ResolvedSettings> settings, string principal, string version, Action<string> log)
    {
        _host = host;
        _store = store;
        _settings = settings;
        _principal = principal;
        _version = version;
        _log = log;
    }

    /// <summary>Serves one client until its input ends.</summary>
    public async Task RunAsync(TextReader input, TextWriter output, CancellationToken cancellationToken)
    {
        using var connection = new AcpConnection(input, output) { OnRequest = HandleAsync, OnNotification = Notified };
        _connection = connection;
        try
        {
            await connection.RunAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            foreach (var session in _sessions.Values)
            {
                session.CancelTurn();
            }
        }
    }

    private async Task<JsonNode?> HandleAsync(string method, JsonElement parameters, CancellationToken cancellationToken)
    {
        if (method == "initialize")
        {
            if (parameters.ValueKind == JsonValueKind.Object && parameters.TryGetProperty("clientCapabilities", out var client)
                && client.ValueKind == JsonValueKind.Object && client.TryGetProperty("fs", out var fs) && fs.ValueKind == JsonValueKind.Object)
            {
                _editorReads = fs.TryGetProperty("readTextFile", out var read) && read.ValueKind == JsonValueKind.True;
                _editorWrites = fs.TryGetProperty("writeTextFile", out var write) && write.ValueKind == JsonValueKind.True;
            }

            _initialized = true;
            return Initialize();
        }

        if (!_initialized)
        {
            throw new JsonRpcException(AcpConnection.InvalidRequest, $"'{method}' before 'initialize': initialize the connection first.");
        }

        return method switch
        {
            "authenticate" => new JsonObject(),
            "session/new" => await NewAsync(parameters, cancellationToken).ConfigureAwait(false),
            "session/load" => await LoadAsync(parameters, cancellationToken).ConfigureAwait(false),
            "session/prompt" => await PromptAsync(parameters, cancellationToken).ConfigureAwait(false),
            "session/set_mode" => SetMode(parameters),
            _ => throw new JsonRpcException(AcpConnection.MethodNotFound, $"Rein does not handle '{method}'."),
        };
    }

    private void Notified(string method, JsonElement parameters)
    {
        if (method == "session/cancel" && Text(parameters, "sessionId") is { } id && _sessions.TryGetValue(id, out var session))
        {
            session.CancelTurn();
        }
    }

    private JsonObject Initialize() => new()
    {
        ["protocolVersion"] = ProtocolVersion,
        ["agentCapabilities"] = new JsonObject
        {
            ["loadSession"] = true,
            ["promptCapabilities"] = new JsonObject { ["image"] = false, ["audio"] = false, ["embeddedContext"] = true },
            ["mcpCapabilities"] = new JsonObject { ["http"] = true, ["sse"] = true },
        },
        ["agentInfo"] = new JsonObject { ["name"] = "rein", ["title"] = "Rein", ["version"] = _version },
        ["authMethods"] = new JsonArray(),
    };

    private async Task<JsonNode> NewAsync(JsonElement parameters, CancellationToken cancellationToken)
    {
        var cwd = Folder(parameters);
        var servers = McpServers(parameters);
        var settings = Resolve(cwd, null);
        await using var handle = await _host.OpenAsync(new SessionRunOptions { Settings = settings, Notice = _log, McpServers = servers }, cancellationToken).ConfigureAwait(false);
        await handle.StartAsync("acp", cancellationToken).ConfigureAwait(false);
        var session = new AcpSession(handle.SessionId!, cwd, settings.Values.Mode ?? PermissionModes.Ask, servers);
        _sessions[session.Id] = session;
        return new JsonObject { ["sessionId"] = session.Id, ["modes"] = Modes(session.Mode) };
    }

    private async Task<JsonNode> LoadAsync(JsonElement parameters, CancellationToken cancellationToken)
    {
        var id = Text(parameters, "sessionId") ?? throw new JsonRpcException(AcpConnection.InvalidParams, "session/load needs \"sessionId\".");
        var cwd = Folder(parameters);
        var events = await _store.ReadAsync(id, 0, cancellationToken).ConfigureAwait(false);
        if (events.Count == 0)
        {
            throw new JsonRpcException(AcpConnection.InvalidParams, $"No session {id} in this store.");
        }

        var state = SessionState.Fold(events);
        var session = new AcpSession(id, cwd, state.RunSettings?.Mode ?? Resolve(cwd, null).Values.Mode ?? PermissionModes.Ask, McpServers(parameters));
        // The history goes out before the answer, so the editor shows it when the load returns.
        var replay = AcpUpdates.ForReplay(state.Workspace.Length > 0 ? state.Workspace : cwd);
        foreach (var recorded in events)
        {
            foreach (var update in replay.Map(recorded.Event))
            {
                await SendUpdateAsync(id, update).ConfigureAwait(false);
            }
        }

        _sessions[id] = session;
        return new JsonObject { ["modes"] = Modes(session.Mode) };
    }

    private JsonObject SetMode(JsonElement parameters)
    {
        var session = Session(parameters);
        var mode = Text(parameters, "modeId");
        if (mode is null || !PermissionModes.All.Contains(mode))
        {
            throw new JsonRpcException(AcpConnection.InvalidParams, $"'{mode}' is not a mode; modes: {string.Join(", ", PermissionModes.All)}.");
        }

        session.Mode = mode;
        return new JsonObject();
    }

    private async Task<JsonNode> PromptAsync(JsonElement parameters, CancellationToken cancellationToken)
    {
        var session = Session(parameters);
        var message = PromptText(parameters);
        using var turn = session.BeginTurn(cancellationToken);
        var updates = new AcpTurnUpdates();
        session.Updates = updates;
        AcpUpdates? mapper = null;
        var options = new SessionRunOptions
        {
            Settings = Resolve(session.Cwd, session.Mode),
            Notice = _log,
            McpServers = session.McpServers,
            Approvals = _ => new AcpApprovals(this, session, _principal),
            Editor = _editorReads || _editorWrites ? new AcpEditorFiles(this, session, _editorReads, _editorWrites, _log) : null,
            OnUpdate = update =>
            {
                foreach (var mapped in mapper?.Map(update) ?? [])
                {
                    updates.Post(mapped);
                }
            },
        };
        var sending = Task.Run(() => updates.PumpAsync(update => SendUpdateAsync(session.Id, update)), CancellationToken.None);
        string stopReason;
        try
        {
            await using var handle = await _host.ContinueAsync(session.Id, options, turn.Token).ConfigureAwait(false);
            mapper = AcpUpdates.ForTurn(session.Cwd, handle.Session.Context.Options.ContextWindow);
            var outcome = await handle.RunAsync(message, turn.Token).ConfigureAwait(false);
            stopReason = outcome.BlockedReason is not null ? "refusal" : StopReason(outcome.Stopped?.Reason);
        }
        catch (OperationCanceledException) when (turn.IsCancellationRequested)
        {
            stopReason = "cancelled";
        }
        catch (Exception ex) when (ex is Rein.Hosting.Sessions.SessionBusyException or Rein.Journal.SessionBusyException or SessionNotFoundException or SettingsException)
        {
            throw new JsonRpcException(AcpConnection.InvalidParams, ex.Message);
        }
        finally
        {
            updates.Complete();
            // Every update of the turn is sent before its answer.
            await sending.ConfigureAwait(false);
            session.Updates = null;
            session.EndTurn();
        }

        return new JsonObject { ["stopReason"] = turn.IsCancellationRequested ? "cancelled" : stopReason };
    }

    /// <summary>Asks the editor's user about a tool call; null when the turn is cancelled first.</summary>
    internal async Task<JsonElement> RequestPermissionAsync(AcpSession session, JsonObject toolCall, CancellationToken cancellationToken)
    {
        var options = new JsonArray(
            Option("allow_once", "Allow once", "allow_once"),
            Option("allow_always", "Allow for this session", "allow_always"),
            Option("reject_once", "Reject", "reject_once"),
            Option("reject_always", "Reject always", "reject_always"));
        return await _connection!.RequestAsync("session/request_permission", new JsonObject { ["sessionId"] = session.Id, ["toolCall"] = toolCall, ["options"] = options }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Sends a request to the editor and waits for its result.</summary>
    internal Task<JsonElement> RequestAsync(string method, JsonObject parameters, CancellationToken cancellationToken) =>
        _connection!.RequestAsync(method, parameters, cancellationToken);

    private Task SendUpdateAsync(string sessionId, JsonObject update) =>
        _connection!.NotifyAsync("session/update", new JsonObject { ["sessionId"] = sessionId, ["update"] = update });

    private ResolvedSettings Resolve(string cwd, string? mode)
    {
        try
        {
            return _settings(cwd, mode);
        }
        catch (SettingsException ex)
        {
            throw new JsonRpcException(AcpConnection.InvalidParams, ex.Message);
        }
    }

    private AcpSession Session(JsonElement parameters)
    {
        var id = Text(parameters, "sessionId") ?? throw new JsonRpcException(AcpConnection.InvalidParams, "\"sessionId\" is required.");
        return _sessions.TryGetValue(id, out var session) ? session
            : throw new JsonRpcException(AcpConnection.InvalidParams, $"No session {id} in this connection: create it with session/new or load it with session/load.");
    }

    private static string Folder(JsonElement parameters)
    {
        var cwd = Text(parameters, "cwd");
        if (cwd is null || !Path.IsPathFullyQualified(cwd) || !Directory.Exists(cwd))
        {
            throw new JsonRpcException(AcpConnection.InvalidParams, $"\"cwd\" must be an absolute path to an existing folder, not '{cwd}'.");
        }

        return Path.GetFullPath(cwd);
    }

    private static string PromptText(JsonElement parameters)
    {
        if (parameters.ValueKind != JsonValueKind.Object || !parameters.TryGetProperty("prompt", out var prompt) || prompt.ValueKind != JsonValueKind.Array)
        {
            throw new JsonRpcException(AcpConnection.InvalidParams, "session/prompt needs \"prompt\": an array of content blocks.");
        }

        var text = new StringBuilder();
        foreach (var block in prompt.EnumerateArray())
        {
            var type = Text(block, "type");
            var piece = type switch
            {
                "text" => Text(block, "text"),
                "resource_link" => $"[{Text(block, "name") ?? "resource"}]({Text(block, "uri")})",
                "resource" when block.TryGetProperty("resource", out var r) => Text(r, "text") is { } body
                    ? $"<resource uri=\"{Text(r, "uri")}\">\n{body}\n</resource>"
                    : $"[resource {Text(r, "uri")}]",
                _ => null,
            };
            if (piece is not null)
            {
                if (text.Length > 0)
                {
                    text.Append('\n');
                }

                text.Append(piece);
            }
        }

        return text.Length > 0 ? text.ToString() : throw new JsonRpcException(AcpConnection.InvalidParams, "The prompt has no text.");
    }

    private static List<McpServerEntry> McpServers(JsonElement parameters)
    {
        if (parameters.ValueKind != JsonValueKind.Object || !parameters.TryGetProperty("mcpServers", out var servers) || servers.ValueKind != JsonValueKind.Array)
        {
            return [];
        }

        var entries = new List<McpServerEntry>();
        foreach (var server in servers.EnumerateArray())
        {
            var name = Text(server, "name") ?? "";
            var safe = new string([.. name.Select(c => char.IsAsciiLetterOrDigit(c) || c == '-' ? c : '_')]).Replace("__", "_", StringComparison.Ordinal);
            if (!McpConfig.IsValidName(safe))
            {
                throw new JsonRpcException(AcpConnection.InvalidParams, $"MCP server name '{name}' cannot be used.");
            }

            var type = Text(server, "type");
            entries.Add(type is "http" or "sse"
                ? new McpServerEntry(safe, type == "sse" ? McpTransport.Sse : McpTransport.Http, "editor")
                {
                    Url = Text(server, "url"),
                    Headers = Pairs(server, "headers"),
                }
                : new McpServerEntry(safe, McpTransport.Stdio, "editor")
                {
                    Command = Text(server, "command") ?? throw new JsonRpcException(AcpConnection.InvalidParams, $"MCP server '{name}' has no command."),
                    Args = server.TryGetProperty("args", out var args) && args.ValueKind == JsonValueKind.Array ? [.. args.EnumerateArray().Select(a => a.GetString() ?? "")] : [],
                    Env = Pairs(server, "env"),
                });
        }

        return entries;
    }

    private static Dictionary<string, string> Pairs(JsonElement server, string key)
    {
        var pairs = new Dictionary<string, string>(StringComparer.Ordinal);
        if (server.TryGetProperty(key, out var list) && list.ValueKind == JsonValueKind.Array)
        {
            foreach (var pair in list.EnumerateArray())
            {
                if (Text(pair, "name") is { } n && Text(pair, "value") is { } v)
                {
                    // Values from the editor are taken as written: ${...} is not expanded.
                    pairs[n] = v.Replace("${", "$${", StringComparison.Ordinal);
                }
            }
        }

        return pairs;
    }

    private static JsonObject Modes(string current) => new()
    {
        ["currentModeId"] = current,
        ["availableModes"] = new JsonArray([.. PermissionModes.All.Select(m => (JsonNode)new JsonObject { ["id"] = m, ["name"] = m, ["description"] = ModeText(m) })]),
    };

    private static string ModeText(string mode) => mode switch
    {
        PermissionModes.ReadOnly => "Reads and searches only; every change is refused.",
        PermissionModes.Ask => "Asks before edits, commands and network access.",
        PermissionModes.AcceptEdits => "Edits files in the workspace without asking; asks before commands.",
        PermissionModes.WorkspaceWrite => "Edits files and runs sandboxed commands in the workspace without asking.",
        PermissionModes.FullAuto => "Runs everything the rules allow without asking.",
        _ => mode,
    };

    private static string StopReason(string? reason) => reason switch
    {
        Journal.StopReason.Completed => "end_turn",
        Journal.StopReason.MaxSteps => "max_turn_requests",
        Journal.StopReason.BudgetExceeded => "max_tokens",
        Journal.StopReason.Cancelled or Journal.StopReason.UserExit => "cancelled",
        _ => "end_turn",
    };

    private static JsonObject Option(string id, string name, string kind) => new() { ["optionId"] = id, ["name"] = name, ["kind"] = kind };

    private static string? Text(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}

/// <summary>One ACP session of a connection: its Rein session, folder, mode, the editor's MCP servers, and the turn going on.</summary>
internal sealed class AcpSession(string id, string cwd, string mode, IReadOnlyList<McpServerEntry> mcpServers)
{
    private readonly Lock _gate = new();
    private CancellationTokenSource? _turn;

    public string Id { get; } = id;

    public string Cwd { get; } = cwd;

    public IReadOnlyList<McpServerEntry> McpServers { get; } = mcpServers;

    public string Mode { get; set; } = mode;

    /// <summary>The updates of the turn going on, or null between turns.</summary>
    public AcpTurnUpdates? Updates { get; set; }

    /// <summary>Starts a turn; a second one while one runs is refused.</summary>
    public CancellationTokenSource BeginTurn(CancellationToken outer)
    {
        lock (_gate)
        {
            if (_turn is not null)
            {
                throw new JsonRpcException(AcpConnection.InvalidRequest, $"Session {Id} is already running a prompt turn; cancel it first (session/cancel).");
            }

            _turn = CancellationTokenSource.CreateLinkedTokenSource(outer);
            return _turn;
        }
    }

    public void EndTurn()
    {
        lock (_gate)
        {
            _turn = null;
        }
    }

    public void CancelTurn()
    {
        lock (_gate)
        {
            _turn?.Cancel();
        }
    }
}

/// <summary>The updates of one prompt turn, sent in order by one pump; <see cref="FlushAsync"/> waits until those posted so far are out.</summary>
internal sealed class AcpTurnUpdates
{
    private readonly System.Threading.Channels.Channel<object> _items = System.Threading.Channels.Channel.CreateUnbounded<object>(new System.Threading.Channels.UnboundedChannelOptions { SingleReader = true });

    public void Post(JsonObject update) => _items.Writer.TryWrite(update);

    /// <summary>Waits until every update posted before it has been sent (a permission request must follow its tool call).</summary>
    public Task FlushAsync()
    {
        var sent = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        return _items.Writer.TryWrite(sent) ? sent.Task : Task.CompletedTask;
    }

    public void Complete() => _items.Writer.TryComplete();

    public async Task PumpAsync(Func<JsonObject, Task> send)
    {
        await foreach (var item in _items.Reader.ReadAllAsync(CancellationToken.None).ConfigureAwait(false))
        {
            switch (item)
            {
                case JsonObject update:
                    await send(update).ConfigureAwait(false);
                    break;
                case TaskCompletionSource flushed:
                    flushed.TrySetResult();
                    break;
            }
        }
    }
}
