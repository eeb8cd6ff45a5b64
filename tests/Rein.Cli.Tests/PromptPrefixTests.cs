using System.Text;
using Microsoft.Extensions.AI;
using Rein.Hosting.Composition;
using Rein.Hosting.Profiles;
using Rein.Context.Tokens;
using Rein.Testing;

namespace Rein.Cli.Tests;

/// <summary>The first request of the default coder agent (system prompt, profile and every built-in tool) stays lean and byte-stable.</summary>
public sealed class PromptPrefixTests
{
    /// <summary>The budget for the prefix in o200k tokens (Codex CLI sends 7,687, Claude Code 10,749).</summary>
    private const int MaxPrefixTokens = 4_000;

    private static string Render(string workspace)
    {
        var profile = AgentProfiles.Load("coder", workspace, _ => null);
        var (system, tools) = SystemPrompt.Prefix(workspace, profile);
        var text = new StringBuilder(system.Text);
        foreach (var tool in tools.Cast<AIFunctionDeclaration>())
        {
            text.Append('\n').Append(tool.Name).Append('\n').Append(tool.Description).Append('\n').Append(tool.JsonSchema.GetRawText());
        }

        return text.ToString();
    }

    [Fact]
    public void Prefix_CoderProfile_FitsTheTokenBudget()
    {
        using var workspace = new TempDirectory();
        var profile = AgentProfiles.Load("coder", workspace.Path, _ => null);
        var (system, tools) = SystemPrompt.Prefix(workspace.Path, profile);

        var tokens = ContextTokens.Count(TokenCounters.ForModel("openai:gpt-5.5"), [system], tools);

        TestContext.Current.SendDiagnosticMessage($"coder prefix: {tokens} o200k tokens ({tools.Count} tools)");
        Assert.True(tokens <= MaxPrefixTokens, $"The coder agent's first request takes {tokens} o200k tokens; the budget is {MaxPrefixTokens}.");
        Assert.Equal(tokens, SystemPrompt.PrefixTokens(workspace.Path, profile, "openai:gpt-5.5"));
    }

    [Fact]
    public void Prefix_BuiltTwice_IsByteIdentical()
    {
        using var workspace = new TempDirectory();
        File.WriteAllText(Path.Combine(workspace.Path, "AGENTS.md"), "Run `make test` before finishing.");

        var first = Render(workspace.Path);
        var second = Render(workspace.Path);

        Assert.Equal(first, second);
        Assert.Contains("make test", first, StringComparison.Ordinal);
    }

    [Fact]
    [Trait("Category", "e2e")]
    public async Task AgentsShow_Coder_ReportsThePrefixTokens()
    {
        using var rein = new ReinProcess();
        var expected = SystemPrompt.PrefixTokens(rein.Workspace, AgentProfiles.Load("coder", rein.Workspace, _ => null), "openai:gpt-5.5");

        var json = await rein.RunAsync("agents", "show", "coder", "--json");
        var text = await rein.RunAsync("agents", "show", "coder");

        Assert.True(json.ExitCode == 0, json.ToString());
        var shown = Assert.Single(json.JsonLines());
        Assert.Equal(expected, shown.GetProperty("prefix_tokens").GetInt64());
        Assert.Equal("o200k_base", shown.GetProperty("prefix_encoding").GetString());
        Assert.Contains($"prefix: {expected:N0} tokens (o200k_base)", text.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    [Trait("Category", "e2e")]
    public async Task Run_FirstRequestToTheProvider_SystemPromptAndToolsFitTheBudget()
    {
        var ct = TestContext.Current.CancellationToken;
        using var rein = new ReinProcess();
        await using var server = await Rein.Testing.FakeProviders.FakeOpenAIServer.StartAsync(ct);
        server.Enqueue(Rein.Testing.FakeProviders.FakeReply.Text("Nothing to do."));
        rein.Environment["OPENAI_API_KEY"] = "sk-test";
        rein.Environment["OPENAI_BASE_URL"] = server.BaseUrl;

        var result = await rein.RunAsync("run", "--model", "openai:gpt-5.5", "say hello");

        Assert.True(result.ExitCode == 0, result.ToString());
        var request = server.Requests[0].Json;
        var system = request.GetProperty("messages")[0];
        Assert.Equal("system", system.GetProperty("role").GetString());
        var tools = request.GetProperty("tools");
        var names = tools.EnumerateArray().Select(t => t.GetProperty("function").GetProperty("name").GetString()).ToList();
        Assert.Contains("read_output", names);
        Assert.Contains("remember", names);
        Assert.Contains("task", names);

        // Counted on the wire: the system message and the whole tools array as JSON (syntax included, so an upper bound).
        var counter = TokenCounters.ForModel("openai:gpt-5.5");
        var tokens = counter.CountTokens(system.GetRawText()) + counter.CountTokens(tools.GetRawText());
        Assert.True(tokens <= MaxPrefixTokens, $"The first request's system prompt and {names.Count} tools take {tokens} o200k tokens; the budget is {MaxPrefixTokens}.");
        TestContext.Current.SendDiagnosticMessage($"first request prefix: {tokens} o200k tokens, {names.Count} tools");
    }
}
