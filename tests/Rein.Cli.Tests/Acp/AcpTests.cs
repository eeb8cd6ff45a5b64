using System.Text.Json;
using System.Text.Json.Nodes;

namespace Rein.Cli.Tests.Acp;

/// <summary><c>rein acp</c> driven as an editor would, every message it writes checked against the ACP v1 schema.</summary>
public sealed class AcpTests : IDisposable
{
    private const string WriteNotes = """
        {"turns":[
          {"text":"Writing it.","tool_calls":[
            {"name":"todo_write","arguments":{"todos":[{"content":"write the notes","status":"in_progress"}]}},
            {"name":"write_file","arguments":{"path":"notes.txt","content":"hello from the editor"}}]},
          {"text":"All done."}]}
        """;

    private readonly ReinProcess _rein = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => _rein.Dispose();

    private string Script(string json) => "scripted:" + _rein.WriteFile($"script-{Guid.NewGuid():N}.json", json);

    private static JsonObject Choose(string option) => new() { ["outcome"] = new JsonObject { ["outcome"] = "selected", ["optionId"] = option } };

    private static string Kind(JsonElement update) => update.GetProperty("sessionUpdate").GetString()!;

    private static void AssertValid(AcpTestClient client) => Assert.True(client.Invalid.Count == 0, "messages that break the ACP schema:\n" + string.Join("\n", client.Invalid));

    [Theory]
    [InlineData("""{"jsonrpc":"2.0","method":"session/update","params":{"sessionId":"s","update":{"sessionUpdate":"agent_message_chunk","content":{"type":"text","text":"hi"}}}}""", true)]
    [InlineData("""{"jsonrpc":"2.0","method":"session/update","params":{"sessionId":"s","update":{"sessionUpdate":"agent_message_chunk","content":"hi"}}}""", false)]
    [InlineData("""{"jsonrpc":"2.0","method":"session/update","params":{"sessionId":"s","update":{"sessionUpdate":"tool_call_update","toolCallId":"c","status":"done"}}}""", false)]
    [InlineData("""{"jsonrpc":"2.0","method":"session/update","params":{"sessionId":"s","update":{"sessionUpdate":"tool_call_update","toolCallId":"c","status":"completed"}}}""", true)]
    [InlineData("""{"jsonrpc":"2.0","id":3,"result":{"stopReason":"finished"}}""", false)]
    [InlineData("""{"jsonrpc":"2.0","id":3,"result":{"stopReason":"end_turn"}}""", true)]
    public void Schema_TellsValidFromInvalidAgentMessages(string message, bool valid)
    {
        Assert.Equal(valid, AcpTestClient.IsAgentMessage(message, "session/prompt"));
    }

    [Fact]
    public async Task Initialize_RequestsBefore_AreRefusedWithInvalidRequest()
    {
        await using var client = new AcpTestClient(_rein, "--model", Script(WriteNotes));

        var early = await client.RequestAsync("session/new", new JsonObject { ["cwd"] = _rein.Workspace, ["mcpServers"] = new JsonArray() }, Ct);
        var initialized = await client.RequestAsync("initialize", new JsonObject { ["protocolVersion"] = 1 }, Ct);

        Assert.Equal(-32600, early.GetProperty("error").GetProperty("code").GetInt32());
        var result = initialized.GetProperty("result");
        Assert.Equal(1, result.GetProperty("protocolVersion").GetInt32());
        Assert.True(result.GetProperty("agentCapabilities").GetProperty("loadSession").GetBoolean());
        Assert.Equal("rein", result.GetProperty("agentInfo").GetProperty("name").GetString());
        AssertValid(client);
    }

    [Fact]
    public async Task Prompt_Allowed_StreamsToolCallsPlanDiffAndAnswerBeforeTheReply()
    {
        await using var client = new AcpTestClient(_rein, "--model", Script(WriteNotes), "--mode", "ask");
        var permissions = new List<JsonElement>();
        client.OnRequest = (method, parameters) =>
        {
            permissions.Add(parameters);
            return method == "session/request_permission" ? Choose("allow_once") : null;
        };
        var sessionId = await client.NewSessionAsync(_rein.Workspace, Ct);

        var reply = await client.PromptAsync(sessionId, "write the notes", Ct);

        Assert.Equal("end_turn", reply.GetProperty("result").GetProperty("stopReason").GetString());
        Assert.Equal("hello from the editor", File.ReadAllText(Path.Combine(_rein.Workspace, "notes.txt")));
        var permission = Assert.Single(permissions);
        Assert.Equal("edit", permission.GetProperty("toolCall").GetProperty("kind").GetString());
        Assert.Equal(["allow_once", "allow_always", "reject_once", "reject_always"], permission.GetProperty("options").EnumerateArray().Select(o => o.GetProperty("kind").GetString()));

        var messages = client.Received;
        var replyAt = messages.FindIndex(m => m.TryGetProperty("result", out var r) && r.TryGetProperty("stopReason", out _));
        var permissionAt = messages.FindIndex(m => m.TryGetProperty("method", out var x) && x.GetString() == "session/request_permission");
        var updates = messages.Select((m, i) => (m, i)).Where(p => p.m.TryGetProperty("method", out var x) && x.GetString() == "session/update").ToList();
        Assert.All(updates, u => Assert.True(u.i < replyAt, "an update came after the reply"));
        var toolCall = updates.First(u => Kind(u.m.GetProperty("params").GetProperty("update")) == "tool_call" && u.m.GetProperty("params").GetProperty("update").GetProperty("kind").GetString() == "edit");
        Assert.True(toolCall.i < permissionAt, "the permission request came before its tool call");

        var payloads = client.Updates;
        Assert.Contains(payloads, u => Kind(u) == "agent_message_chunk" && u.GetProperty("content").GetProperty("type").GetString() == "text");
        Assert.Equal("Writing it.All done.", string.Concat(payloads.Where(u => Kind(u) == "agent_message_chunk").Select(u => u.GetProperty("content").GetProperty("text").GetString())));
        var plan = Assert.Single(payloads, u => Kind(u) == "plan");
        Assert.Equal("write the notes", plan.GetProperty("entries")[0].GetProperty("content").GetString());
        var writeId = toolCall.m.GetProperty("params").GetProperty("update").GetProperty("toolCallId").GetString();
        var statuses = payloads.Where(u => u.TryGetProperty("toolCallId", out var id) && id.GetString() == writeId && u.TryGetProperty("status", out _)).Select(u => u.GetProperty("status").GetString()).ToList();
        Assert.Equal(["pending", "in_progress", "completed"], statuses);
        var diff = payloads.Where(u => Kind(u) == "tool_call_update" && u.TryGetProperty("content", out _)).SelectMany(u => u.GetProperty("content").EnumerateArray()).Single(c => c.GetProperty("type").GetString() == "diff");
        Assert.Equal((Path.Combine(_rein.Workspace, "notes.txt"), "hello from the editor"), (diff.GetProperty("path").GetString(), diff.GetProperty("newText").GetString()));
        AssertValid(client);

        var shown = await _rein.RunAsync("sessions", "show", sessionId, "--json");
        Assert.Contains("\"approval_decided\"", shown.Stdout, StringComparison.Ordinal);
        Assert.Contains("\"origin\":\"acp\"", shown.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Prompt_Rejected_FileUntouchedAndTheCallFails()
    {
        await using var client = new AcpTestClient(_rein, "--model", Script(WriteNotes), "--mode", "ask") { OnRequest = (_, _) => Choose("reject_once") };
        var sessionId = await client.NewSessionAsync(_rein.Workspace, Ct);

        var reply = await client.PromptAsync(sessionId, "write the notes", Ct);

        Assert.Equal("end_turn", reply.GetProperty("result").GetProperty("stopReason").GetString());
        Assert.False(File.Exists(Path.Combine(_rein.Workspace, "notes.txt")));
        Assert.Contains(client.Updates, u => Kind(u) == "tool_call_update" && u.GetProperty("status").GetString() == "failed");
        AssertValid(client);
    }

    [Fact]
    public async Task Cancel_WhileAskingPermission_TurnEndsCancelled()
    {
        AcpTestClient? self = null;
        string? sessionId = null;
        await using var client = new AcpTestClient(_rein, "--model", Script(WriteNotes), "--mode", "ask");
        self = client;
        client.OnRequest = (_, _) =>
        {
            // As an editor does: cancel the turn, then answer what is pending with "cancelled".
            self.NotifyAsync("session/cancel", new JsonObject { ["sessionId"] = sessionId }).GetAwaiter().GetResult();
            return new JsonObject { ["outcome"] = new JsonObject { ["outcome"] = "cancelled" } };
        };
        sessionId = await client.NewSessionAsync(_rein.Workspace, Ct);

        var reply = await client.PromptAsync(sessionId, "write the notes", Ct);

        Assert.Equal("cancelled", reply.GetProperty("result").GetProperty("stopReason").GetString());
        Assert.False(File.Exists(Path.Combine(_rein.Workspace, "notes.txt")));
        AssertValid(client);
    }

    [Fact]
    public async Task TwoPromptsThenLoad_HistoryReplayedBeforeTheAnswerAndTheSessionGoesOn()
    {
        var script = Script("""{"turns":[{"text":"first answer"},{"text":"second answer"},{"text":"third answer"}]}""");
        string sessionId;
        await using (var client = new AcpTestClient(_rein, "--model", script))
        {
            sessionId = await client.NewSessionAsync(_rein.Workspace, Ct);
            await client.PromptAsync(sessionId, "one", Ct);
            await client.PromptAsync(sessionId, "two", Ct);
            Assert.Equal("first answersecond answer", string.Concat(client.Updates.Where(u => Kind(u) == "agent_message_chunk").Select(u => u.GetProperty("content").GetProperty("text").GetString())));
            AssertValid(client);
        }

        await using var editor = new AcpTestClient(_rein, "--model", script);
        await editor.RequestAsync("initialize", new JsonObject { ["protocolVersion"] = 1 }, Ct);
        var loaded = await editor.RequestAsync("session/load", new JsonObject { ["sessionId"] = sessionId, ["cwd"] = _rein.Workspace, ["mcpServers"] = new JsonArray() }, Ct);
        var replayed = editor.Updates;
        var third = await editor.PromptAsync(sessionId, "three", Ct);

        Assert.True(loaded.TryGetProperty("result", out _), loaded.ToString());
        Assert.Equal(["one", "two"], replayed.Where(u => Kind(u) == "user_message_chunk").Select(u => u.GetProperty("content").GetProperty("text").GetString()));
        Assert.Equal(["first answer", "second answer"], replayed.Where(u => Kind(u) == "agent_message_chunk").Select(u => u.GetProperty("content").GetProperty("text").GetString()));
        Assert.Equal("end_turn", third.GetProperty("result").GetProperty("stopReason").GetString());
        Assert.Contains(editor.Updates, u => Kind(u) == "agent_message_chunk" && u.GetProperty("content").GetProperty("text").GetString()!.Contains("third", StringComparison.Ordinal));
        AssertValid(editor);
    }

    [Fact]
    public async Task SetMode_UnknownRefused_KnownApplies()
    {
        await using var client = new AcpTestClient(_rein, "--model", Script(WriteNotes), "--mode", "ask");
        var sessionId = await client.NewSessionAsync(_rein.Workspace, Ct);

        var bad = await client.RequestAsync("session/set_mode", new JsonObject { ["sessionId"] = sessionId, ["modeId"] = "yolo" }, Ct);
        var good = await client.RequestAsync("session/set_mode", new JsonObject { ["sessionId"] = sessionId, ["modeId"] = "accept-edits" }, Ct);
        var reply = await client.PromptAsync(sessionId, "write the notes", Ct);

        Assert.Equal(-32602, bad.GetProperty("error").GetProperty("code").GetInt32());
        Assert.True(good.TryGetProperty("result", out _));
        // accept-edits writes without asking.
        Assert.Equal("end_turn", reply.GetProperty("result").GetProperty("stopReason").GetString());
        Assert.DoesNotContain(client.Received, m => m.TryGetProperty("method", out var x) && x.GetString() == "session/request_permission");
        Assert.True(File.Exists(Path.Combine(_rein.Workspace, "notes.txt")));
        AssertValid(client);
    }

    [Fact]
    public async Task McpServersFromTheEditor_TheirToolsRunInTheSession()
    {
        // Into the workspace: the sandbox the server runs in sees only it (and the system).
        var server = Rein.Testing.TestMcpServer.CopyTo(Path.Combine(_rein.Workspace, ".server"));

        var script = Script("""{"turns":[{"tool_calls":[{"name":"mcp__editor-tools__echo","arguments":{"text":"from the editor's server"}}]},{"text":"echoed"}]}""");
        await using var client = new AcpTestClient(_rein, "--model", script, "--mode", "ask") { OnRequest = (_, _) => Choose("allow_once") };
        var servers = new JsonArray((JsonNode)new JsonObject
        {
            ["name"] = "editor-tools",
            ["command"] = "dotnet",
            ["args"] = new JsonArray((JsonNode)server),
            ["env"] = new JsonArray(),
        });
        var sessionId = await client.NewSessionAsync(_rein.Workspace, Ct, servers);

        var reply = await client.PromptAsync(sessionId, "echo", Ct);

        Assert.Equal("end_turn", reply.GetProperty("result").GetProperty("stopReason").GetString());
        var done = client.Updates.Where(u => Kind(u) == "tool_call_update" && u.GetProperty("status").GetString() == "completed").SelectMany(u => u.GetProperty("content").EnumerateArray());
        Assert.Contains(done, c => c.GetProperty("content").GetProperty("text").GetString() == "echo: from the editor's server");
        AssertValid(client);
    }

    [Fact]
    public async Task EditorFiles_ToolsSeeUnsavedTextWriteThroughTheEditorAndThePolicyStillDecides()
    {
        File.WriteAllText(Path.Combine(_rein.Workspace, "notes.txt"), "saved on disk\n");
        File.WriteAllText(Path.Combine(_rein.Workspace, "secret.txt"), "disk secret\n");
        _rein.WriteFile("ws/.rein/settings.json", """{"permissions": {"deny": ["read_file(secret.txt)"]}}""");
        var script = Script("""
            {"turns":[
              {"tool_calls":[{"name":"read_file","arguments":{"path":"notes.txt"}},{"name":"read_file","arguments":{"path":"secret.txt"}}]},
              {"tool_calls":[{"name":"edit_file","arguments":{"path":"notes.txt","old_string":"unsaved","new_string":"edited"}}]},
              {"text":"done"}]}
            """);
        var buffers = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            [Path.Combine(_rein.Workspace, "notes.txt")] = "unsaved in the editor\n",
            [Path.Combine(_rein.Workspace, "secret.txt")] = "buffer secret\n",
        };
        var asked = new List<string>();
        await using var client = new AcpTestClient(_rein, "--model", script, "--mode", "accept-edits");
        client.OnRequest = (method, parameters) =>
        {
            var path = parameters.TryGetProperty("path", out var p) ? p.GetString()! : "";
            lock (asked)
            {
                asked.Add($"{method} {Path.GetFileName(path)}");
            }

            switch (method)
            {
                case "fs/read_text_file":
                    return new JsonObject { ["content"] = buffers[path] };
                case "fs/write_text_file":
                    buffers[path] = parameters.GetProperty("content").GetString()!;
                    return null;
                default:
                    return Choose("allow_once");
            }
        };
        var initialized = await client.RequestAsync("initialize", new JsonObject
        {
            ["protocolVersion"] = 1,
            ["clientCapabilities"] = new JsonObject { ["fs"] = new JsonObject { ["readTextFile"] = true, ["writeTextFile"] = true } },
        }, Ct);
        Assert.True(initialized.TryGetProperty("result", out _));
        var sessionId = (await client.RequestAsync("session/new", new JsonObject { ["cwd"] = _rein.Workspace, ["mcpServers"] = new JsonArray() }, Ct)).GetProperty("result").GetProperty("sessionId").GetString()!;

        var reply = await client.PromptAsync(sessionId, "edit the notes", Ct);

        Assert.Equal("end_turn", reply.GetProperty("result").GetProperty("stopReason").GetString());
        var results = client.Updates.Where(u => Kind(u) == "tool_call_update" && u.TryGetProperty("content", out _))
            .Select(u => string.Concat(u.GetProperty("content").EnumerateArray().Where(c => c.GetProperty("type").GetString() == "content").Select(c => c.GetProperty("content").GetProperty("text").GetString()))).ToList();
        Assert.Contains(results, r => r.Contains("unsaved in the editor", StringComparison.Ordinal));
        Assert.DoesNotContain(results, r => r.Contains("secret", StringComparison.Ordinal) && !r.Contains("refuse", StringComparison.OrdinalIgnoreCase) && !r.Contains("denied", StringComparison.OrdinalIgnoreCase));
        Assert.DoesNotContain("fs/read_text_file secret.txt", asked);
        Assert.Equal("edited in the editor\n", buffers[Path.Combine(_rein.Workspace, "notes.txt")]);
        Assert.Equal("saved on disk\n", File.ReadAllText(Path.Combine(_rein.Workspace, "notes.txt")));
        AssertValid(client);
    }
}
