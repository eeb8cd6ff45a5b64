using System.Text.RegularExpressions;

namespace Rein.Cli.Tests;

[Trait("Category", "e2e")]
public sealed partial class TelemetryEndToEndTests : IDisposable
{
    private const string Secret = "tok-9f8e7d6c5b4a-SECRET";
    private readonly ReinProcess _rein = new();

    public TelemetryEndToEndTests()
    {
        // Hermetic: whatever OTEL_* the machine has must not change what these runs export.
        foreach (var name in new[]
        {
            "OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT", "OTEL_EXPORTER_OTLP_PROTOCOL",
            "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "OTEL_EXPORTER_OTLP_METRICS_PROTOCOL", "OTEL_SERVICE_NAME", "OTEL_SDK_DISABLED", "OTEL_TRACES_EXPORTER",
            "OTEL_METRICS_EXPORTER", "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT", "OTEL_RESOURCE_ATTRIBUTES",
        })
        {
            _rein.Environment[name] = null;
        }
    }

    public void Dispose() => _rein.Dispose();

    /// <summary>Writes a script whose shell call reports how many OpenTelemetry assemblies the rein process has mapped.</summary>
    private string WriteScript()
    {
        File.WriteAllText(Path.Combine(_rein.Workspace, "loaded.sh"), """
            p=$PPID
            while [ "$p" -gt 1 ] && ! tr '\0' ' ' < /proc/$p/cmdline | grep -q rein; do p=$(cut -d' ' -f4 /proc/$p/stat); done
            echo "rein-mapped: $(grep -c 'Rein.Core.dll' /proc/$p/maps)"
            echo "otel-mapped: $(grep -c 'OpenTelemetry' /proc/$p/maps)"
            """);
        return _rein.WriteFile("turns.json", """
            {"turns":[
              {"text":"Writing it.","tool_calls":[{"name":"write_file","arguments":{"path":"a.txt","content":"x"}}],"usage":{"input_tokens":1000,"output_tokens":20,"cached_input_tokens":600}},
              {"tool_calls":[{"name":"shell","arguments":{"command":"sh loaded.sh","secrets":["DEPLOY_TOKEN"]}}],"usage":{"input_tokens":1100,"output_tokens":10}},
              {"text":"done","usage":{"input_tokens":1200,"output_tokens":5}}]}
            """);
    }

    private async Task<(ReinProcess.Result Run, string SessionId, string Observation)> RunAsync()
    {
        var set = await _rein.RunWithInputAsync(Secret + "\n", "secrets", "set", "DEPLOY_TOKEN");
        Assert.True(set.ExitCode == 0, set.ToString());
        var script = WriteScript();

        // The user's message carries the secret too: it must be redacted before any span sees it.
        var run = await _rein.RunAsync("run", "--json", "--sandbox", "none", "--model", $"scripted:{script}", $"write a.txt; the token is {Secret}");

        Assert.True(run.ExitCode == 0, run.ToString());
        var lines = run.JsonLines();
        var observation = lines.Where(l => l.GetProperty("type").GetString() == "tool_completed").Select(l => l.GetProperty("result").GetString()!).Single(r => r.Contains("otel-mapped", StringComparison.Ordinal));
        return (run, lines[^1].GetProperty("session_id").GetString()!, observation);
    }

    private static int Mapped(string observation, string what)
    {
        var match = Regex.Match(observation, what + @"-mapped: (\d+)");
        Assert.True(match.Success, observation);
        return int.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
    }

    [Fact]
    public async Task Run_WithOtlpEndpoint_ExportsTheSpanTreeAndTokenMetrics()
    {
        await using var receiver = await TelemetryOtlpReceiver.StartAsync(TestContext.Current.CancellationToken);
        _rein.Environment["OTEL_EXPORTER_OTLP_ENDPOINT"] = receiver.BaseAddress.ToString().TrimEnd('/');
        _rein.Environment["OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT"] = "true";

        var (_, sessionId, observation) = await RunAsync();

        Assert.All(receiver.Requests, r => Assert.Equal("application/x-protobuf", r.ContentType));
        var spans = receiver.Spans().Where(s => Equals(s["gen_ai.conversation.id"], sessionId)).ToList();
        var turn = Assert.Single(spans, s => Equals(s["gen_ai.operation.name"], "invoke_agent"));
        Assert.Equal($"invoke_agent {turn["gen_ai.agent.name"]}", turn.Name);
        Assert.Equal("", turn.ParentSpanId);
        Assert.Equal("rein", turn.Resource["service.name"]);
        Assert.Equal("Rein", turn.Scope);
        Assert.Equal("completed", turn["rein.stop_reason"]);
        var chats = spans.Where(s => s.Name == "chat turns.json").ToList();
        var tools = spans.Where(s => s.Name.StartsWith("execute_tool ", StringComparison.Ordinal)).ToList();
        Assert.Equal(3, chats.Count);
        Assert.Equal(["execute_tool shell", "execute_tool write_file"], tools.Select(t => t.Name).Order());
        Assert.Equal(6, spans.Count);
        Assert.All(spans, s => Assert.Equal(turn.TraceId, s.TraceId));
        Assert.All(chats.Concat(tools), s => Assert.Equal(turn.SpanId, s.ParentSpanId));
        Assert.All(spans, s => Assert.True(s.EndUnixNano >= s.StartUnixNano && s.StartUnixNano >= turn.StartUnixNano, s.Name));

        var first = chats.OrderBy(c => c.StartUnixNano).First();
        Assert.Equal("chat", first["gen_ai.operation.name"]);
        Assert.Equal("scripted", first["gen_ai.provider.name"]);
        Assert.Equal("turns.json", first["gen_ai.request.model"]);
        Assert.Equal(1000L, first["gen_ai.usage.input_tokens"]);
        Assert.Equal(20L, first["gen_ai.usage.output_tokens"]);
        Assert.Equal(600L, first["gen_ai.usage.cache_read.input_tokens"]);
        Assert.Equal(3, first.Kind); // SPAN_KIND_CLIENT
        var write = tools.Single(t => t.Name == "execute_tool write_file");
        Assert.Equal("execute_tool", write["gen_ai.operation.name"]);
        Assert.Equal("write_file", write["gen_ai.tool.name"]);
        Assert.False(string.IsNullOrEmpty(write["gen_ai.tool.call.id"] as string));
        Assert.Equal("allow", write["rein.policy.decision"]);
        Assert.Equal("success", write["rein.tool.outcome"]);
        Assert.Equal("disabled", tools.Single(t => t.Name == "execute_tool shell")["rein.sandbox"]);
        Assert.Contains("a.txt", (string)write["gen_ai.tool.call.arguments"]!, StringComparison.Ordinal);

        // Content was opted in, and the secret was still redacted before any span saw it.
        var input = Assert.IsType<string>(turn["gen_ai.input.messages"]);
        Assert.Contains("[REDACTED:DEPLOY_TOKEN]", input, StringComparison.Ordinal);
        var everything = string.Join("\n", receiver.Requests.Select(r => System.Text.Encoding.UTF8.GetString(r.Body)));
        Assert.DoesNotContain(Secret, everything, StringComparison.Ordinal);

        var usage = Assert.Single(receiver.Metrics(), m => m.Name == "gen_ai.client.token.usage");
        Assert.Equal("{token}", usage.Unit);
        var inputPoint = Assert.Single(usage.Points, p => Equals(p.Attributes["gen_ai.token.type"], "input"));
        Assert.Equal(3UL, inputPoint.Count);
        Assert.Equal(3300, inputPoint.Sum);
        Assert.Equal("scripted", inputPoint.Attributes["gen_ai.provider.name"]);
        Assert.Equal(35, Assert.Single(usage.Points, p => Equals(p.Attributes["gen_ai.token.type"], "output")).Sum);
        Assert.Contains(receiver.Metrics(), m => m.Name == "gen_ai.client.operation.duration" && m.Unit == "s");

        if (Mapped(observation, "rein") > 0)
        {
            Assert.True(Mapped(observation, "otel") > 0, observation);
        }
    }

    [Fact]
    public async Task Run_WithoutOtlpEndpoint_LoadsNoSdkAndSendsNothing()
    {
        await using var receiver = await TelemetryOtlpReceiver.StartAsync(TestContext.Current.CancellationToken);
        // Everything but the endpoint: content capture and the service name alone must not turn export on.
        _rein.Environment["OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT"] = "true";
        _rein.Environment["OTEL_SERVICE_NAME"] = "rein-test";

        var (_, _, observation) = await RunAsync();

        Assert.Empty(receiver.Requests);
        if (Mapped(observation, "rein") == 0)
        {
            Assert.Skip("The rein under test is a single-file build: its assemblies are not mapped one by one.");
        }

        Assert.Equal(0, Mapped(observation, "otel"));
    }
}
