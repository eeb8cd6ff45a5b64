using System.Text.Json;

namespace Rein.Cli.Tests;

[Trait("Category", "e2e")]
public sealed class MemoryCommandTests : IDisposable
{
    private readonly ReinProcess _rein = new();

    public MemoryCommandTests() => _rein.Environment["REIN_PRINCIPAL"] = "alice";

    public void Dispose() => _rein.Dispose();

    private async Task<string> RunScriptAsync(string name, string turns, string task)
    {
        var script = _rein.WriteFile(name, turns);
        var run = await _rein.RunAsync("run", "--json", "--model", $"scripted:{script}", "--workspace", _rein.Workspace, task);
        Assert.True(run.ExitCode == 0, run.ToString());
        return run.JsonLines()[^1].GetProperty("session_id").GetString()!;
    }

    private async Task<IReadOnlyList<JsonElement>> JournalAsync(string sessionId)
    {
        var show = await _rein.RunAsync("sessions", "show", sessionId, "--json");
        Assert.True(show.ExitCode == 0, show.ToString());
        return show.JsonLines();
    }

    private async Task<IReadOnlyList<JsonElement>> ListAsync(params string[] extra)
    {
        var list = await _rein.RunAsync(["memory", "list", "--json", "--workspace", _rein.Workspace, .. extra]);
        Assert.True(list.ExitCode == 0, list.ToString());
        return list.JsonLines();
    }

    [Fact]
    public async Task Remember_InOneSession_IsRecalledIntoTheNextSessionsContext()
    {
        var first = await RunScriptAsync("remember.json", """
            {"turns":[
              {"tool_calls":[
                {"name":"remember","arguments":{"text":"Deploy the app with ./scripts/deploy.sh --prod"}},
                {"name":"remember","arguments":{"text":"Always answer in British English","scope":"user","kind":"preference"}}]},
              {"text":"noted"}]}
            """, "remember how we deploy");

        var stored = await ListAsync();
        Assert.Equal(2, stored.Count);
        var preference = stored[0];
        var fact = stored[1];
        Assert.Equal(("user", "alice", "preference"), (preference.GetProperty("scope").GetString(), preference.GetProperty("scope_key").GetString(), preference.GetProperty("kind").GetString()));
        Assert.Equal(("project", _rein.Workspace, "fact"), (fact.GetProperty("scope").GetString(), fact.GetProperty("scope_key").GetString(), fact.GetProperty("kind").GetString()));
        Assert.Equal(("tool", first, 1), (fact.GetProperty("source").GetString(), fact.GetProperty("session_id").GetString(), fact.GetProperty("step").GetInt32()));

        var second = await RunScriptAsync("answer.json", """{"turns":[{"text":"Run the deploy script."}]}""", "How do I deploy the app?");

        var journal = await JournalAsync(second);
        var types = journal.Select(e => e.GetProperty("type").GetString()).ToList();
        var recalledAt = types.IndexOf("memories_recalled");
        Assert.True(recalledAt > 0 && recalledAt < types.IndexOf("user_message"), string.Join(", ", types));
        var recalled = journal[recalledAt];
        Assert.Equal("session_start", recalled.GetProperty("reason").GetString());
        var memories = recalled.GetProperty("memories").EnumerateArray().ToList();
        Assert.Equal([preference.GetProperty("id").GetString(), fact.GetProperty("id").GetString()], memories.Select(m => m.GetProperty("id").GetString()));
        Assert.Equal("Deploy the app with ./scripts/deploy.sh --prod", memories[1].GetProperty("text").GetString());
        Assert.Equal("preference", memories[0].GetProperty("kind").GetString());

        // The first session's own journal recalled nothing: the store was empty when it started.
        Assert.DoesNotContain(await JournalAsync(first), e => e.GetProperty("type").GetString() == "memories_recalled");
    }

    [Fact]
    public async Task Run_MemoryDisabledInSettings_RecallsNothing()
    {
        var add = await _rein.RunAsync("memory", "add", "--workspace", _rein.Workspace, "--scope", "user", "--kind", "preference", "Answer tersely");
        Assert.True(add.ExitCode == 0, add.ToString());
        _rein.WriteFile("ws/.rein/settings.json", """{"memory":{"enabled":false}}""");

        var session = await RunScriptAsync("answer.json", """{"turns":[{"text":"ok"}]}""", "say hello");

        Assert.DoesNotContain(await JournalAsync(session), e => e.GetProperty("type").GetString() == "memories_recalled");
    }

    [Fact]
    public async Task MemoryCommands_AddListSearchEditRemove_Work()
    {
        var add = await _rein.RunAsync("memory", "add", "--workspace", _rein.Workspace, "--tag", "ci", "CI runs on Jenkins");
        Assert.True(add.ExitCode == 0, add.ToString());
        var id = add.Stdout.Trim();
        Assert.Matches("^m_[0-9a-z]{10}$", id);
        var again = await _rein.RunAsync("memory", "add", "--workspace", _rein.Workspace, "--json", "ci runs on jenkins.");
        Assert.False(again.JsonLines()[0].GetProperty("created").GetBoolean());
        Assert.Equal(id, again.JsonLines()[0].GetProperty("id").GetString());
        var elsewhere = Path.Combine(_rein.Home, "other");
        Directory.CreateDirectory(elsewhere);
        Assert.True((await _rein.RunAsync("memory", "add", "--workspace", elsewhere, "CI runs on Buildkite")).ExitCode == 0);

        var listed = Assert.Single(await ListAsync());
        Assert.Equal(("CI runs on Jenkins", "cli"), (listed.GetProperty("text").GetString(), listed.GetProperty("source").GetString()));
        Assert.Equal(2, (await ListAsync("--all")).Count);
        Assert.Empty(await ListAsync("--scope", "user"));
        var table = await _rein.RunAsync("memory", "list", "--workspace", _rein.Workspace);
        Assert.Contains(id, table.Stdout, StringComparison.Ordinal);

        var search = await _rein.RunAsync("memory", "search", "--workspace", _rein.Workspace, "--json", "which", "CI?", "\"NEAR(");
        Assert.True(search.ExitCode == 0, search.ToString());
        var hit = Assert.Single(search.JsonLines());
        Assert.Equal(id, hit.GetProperty("id").GetString());
        Assert.True(hit.GetProperty("rank").GetDouble() < 0);

        var edit = await _rein.RunAsync("memory", "edit", id, "--text", "CI runs on GitHub Actions");
        Assert.True(edit.ExitCode == 0, edit.ToString());
        _rein.Environment["VISUAL"] = null;
        _rein.Environment["EDITOR"] = "sed -i s/GitHub/Forgejo/";
        var edited = await _rein.RunAsync("memory", "edit", id);
        Assert.True(edited.ExitCode == 0, edited.ToString());
        Assert.Equal("CI runs on Forgejo Actions", Assert.Single(await ListAsync()).GetProperty("text").GetString());
        _rein.Environment["EDITOR"] = "false";
        Assert.Equal(1, (await _rein.RunAsync("memory", "edit", id)).ExitCode);

        Assert.Equal(0, (await _rein.RunAsync("memory", "rm", id)).ExitCode);
        Assert.Empty(await ListAsync());
        Assert.Equal(5, (await _rein.RunAsync("memory", "rm", id)).ExitCode);
        Assert.Equal(5, (await _rein.RunAsync("memory", "edit", id, "--text", "x")).ExitCode);
        Assert.Equal(2, (await _rein.RunAsync("memory", "list", "--scope", "team")).ExitCode);
    }
}
