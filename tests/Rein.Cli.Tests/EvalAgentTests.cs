using System.Text.Json;
using Rein.Hosting.Composition;
using Rein.Hosting.Configuration;
using Rein.Evals.Running;
using Rein.Guard.Sandbox;
using Rein.Journal;
using Rein.Testing;
using Rein.Tools;

namespace Rein.Cli.Tests;

/// <summary>How an eval trial's graders are run and how its tool calls are read back, in-process against an isolated home.</summary>
public sealed class EvalAgentTests : IDisposable
{
    private readonly TempDirectory _home = new("rein-eval-agent");

    public void Dispose() => _home.Dispose();

    private string? Env(string name) => name switch
    {
        "HOME" => _home.Path,
        "XDG_CONFIG_HOME" => _home.Combine("config"),
        "XDG_DATA_HOME" => _home.Combine("data"),
        "REIN_MANAGED_SETTINGS" => _home.Combine("managed.json"),
        _ => null,
    };

    [Fact]
    public void CreateGraderRunner_SandboxAllowListInTheSettings_GradersGetItToo()
    {
        _home.Write("config/rein/settings.json", """{"sandbox": {"network": {"allow": ["static.rust-lang.org"]}, "env": ["RUSTUP_HOME"]}}""");
        var workspace = Directory.CreateDirectory(_home.Combine("ws")).FullName;
        var agent = new EvalAgent(new SettingsValues { Store = _home.Combine("store.db") }, suiteTrusted: false, Env);

        var runner = Assert.IsType<BubblewrapCommandRunner>(agent.CreateGraderRunner(workspace));

        Assert.Contains("static.rust-lang.org", runner.Options.AllowedDomains);
        Assert.Contains("RUSTUP_HOME", runner.Options.EnvironmentNames);
        Assert.Contains(_home.Combine("store.db"), runner.Options.HiddenPaths);
    }

    [Fact]
    public void CreateGraderRunner_SandboxNone_GradersRunUnsandboxedToo()
    {
        var agent = new EvalAgent(new SettingsValues { Store = _home.Combine("store.db"), Sandbox = "none" }, suiteTrusted: false, Env);

        Assert.IsType<ProcessCommandRunner>(agent.CreateGraderRunner(_home.Path));
    }

    [Fact]
    public void ToolCalls_RefusedTimedOutKilledAndCompleted_AreToldApart()
    {
        var args = JsonDocument.Parse("""{"command":"x"}""").RootElement;
        SessionEvent[] events =
        [
            new ToolCallProposed("a", "shell", args),
            new PolicyDecided("a", "shell", PolicyDecisions.Deny, "denied by rule shell(curl *)"),
            new ToolCompleted("a", "shell", ToolOutcome.Error, "Denied: denied by rule shell(curl *)"),
            new ToolCallProposed("b", "shell", args),
            new ToolCompleted("b", "shell", ToolOutcome.Error, "partial\n[timed out after 900 s; the command and all its child processes were killed]"),
            new ToolCallProposed("c", "shell", args),
            new ToolCompleted("c", "shell", ToolOutcome.Success, "Killed\n[exit code 137]"),
            new ToolCallProposed("d", "shell", args),
            new ToolCompleted("d", "shell", ToolOutcome.Success, "grep found nothing\n[exit code 1]"),
            new ToolCallProposed("e", "shell", args),
        ];

        var calls = EvalAgent.ToolCalls(events);

        Assert.Equal(
            [
                new EvalToolCall("shell", EvalToolCall.Refused, "denied by rule shell(curl *)"),
                new EvalToolCall("shell", EvalToolCall.TimedOut, "timed out after 900 s"),
                new EvalToolCall("shell", EvalToolCall.Killed, "killed by signal 9 (exit code 137)"),
                new EvalToolCall("shell", EvalToolCall.Completed),
                new EvalToolCall("shell", EvalToolCall.Killed, "it never finished"),
            ],
            calls);
    }
}
