using System.Text.Json;

namespace Rein.Cli.Tests;

/// <summary>Class 3: approver identity. The session's own approvers decide, the OS user is who you are, another principal needs its token.</summary>
[Trait("Category", "e2e")]
public sealed class TrustBoundaryApproversTests
{
    [Fact]
    public async Task Class3_ApproverIdentity_SameUserFromAnotherFolderOrWithReinPrincipal_IsRefused()
    {
        using var rein = new ReinProcess();
        var (sessionId, callId) = await Class3SuspendForAliceAsync(rein);
        var elsewhere = Directory.CreateDirectory(Path.Combine(rein.Home, "elsewhere")).FullName;

        // Folder B has no settings naming approvers: before, the same user approved from there.
        var fromElsewhere = await Class3RunInAsync(rein, elsewhere, null, "approvals", "approve", callId, "--resume");
        // Anyone can set a variable.
        rein.Environment["REIN_PRINCIPAL"] = "alice";
        rein.Environment["USER"] = "alice";
        rein.Environment["LOGNAME"] = "alice";
        var claimingAlice = await Class3RunInAsync(rein, elsewhere, null, "approvals", "approve", callId, "--resume");
        var claimingAliceAtHome = await Class3RunInAsync(rein, rein.Workspace, null, "approvals", "approve", callId, "--resume");

        foreach (var attempt in new[] { fromElsewhere, claimingAlice, claimingAliceAtHome })
        {
            Assert.True(attempt.ExitCode != 0, attempt.ToString());
            Assert.Contains("may not answer approval requests", attempt.Stderr, StringComparison.Ordinal);
            Assert.Contains("approvers: alice", attempt.Stderr, StringComparison.Ordinal);
        }

        Assert.False(File.Exists(Path.Combine(rein.Workspace, "deploy.txt")));
        Assert.Equal(callId, Assert.Single((await rein.RunAsync("approvals", "list", "--json")).JsonLines()).GetProperty("call_id").GetString());
        Assert.DoesNotContain(await Class3JournalAsync(rein, sessionId), e => e.GetProperty("type").GetString() == "approval_decided");
    }

    [Fact]
    public async Task Class3_ApproverIdentity_AnotherPrincipalsTokenApprovesAsThem_AWrongTokenIsRefused()
    {
        using var rein = new ReinProcess();
        var (sessionId, callId) = await Class3SuspendForAliceAsync(rein);
        var elsewhere = Directory.CreateDirectory(Path.Combine(rein.Home, "elsewhere")).FullName;
        var add = await rein.RunAsync("principals", "add", "alice", "--role", "operator", "--json");
        Assert.True(add.ExitCode == 0, add.ToString());
        var added = Assert.Single(add.JsonLines());
        Assert.Equal("alice", added.GetProperty("name").GetString());
        Assert.Equal("operator", added.GetProperty("role").GetString());
        var token = added.GetProperty("token").GetString()!;

        // Alice's prefix with a forged secret, on standard input.
        var forged = token[..^4] + (token.EndsWith("AAAA", StringComparison.Ordinal) ? "BBBB" : "AAAA");
        var wrong = await Class3RunInAsync(rein, elsewhere, forged + "\n", "approvals", "approve", callId, "--as", "alice");
        Assert.True(wrong.ExitCode != 0, wrong.ToString());
        Assert.Contains("not a valid token of alice", wrong.Stderr, StringComparison.Ordinal);
        Assert.Single((await rein.RunAsync("approvals", "list", "--json")).JsonLines());

        rein.Environment["REIN_TOKEN"] = token;
        var approve = await Class3RunInAsync(rein, elsewhere, null, "approvals", "approve", callId, "--as", "alice", "--json");
        Assert.True(approve.ExitCode == 0, approve.ToString());
        Assert.Equal("alice", Assert.Single(approve.JsonLines()).GetProperty("by").GetString());

        rein.Environment.Remove("REIN_TOKEN");
        var resume = await rein.RunAsync("sessions", "resume", sessionId, "--json");
        Assert.True(resume.ExitCode == 0, resume.ToString());
        Assert.Equal("shipped", File.ReadAllText(Path.Combine(rein.Workspace, "deploy.txt")));
        var events = await Class3JournalAsync(rein, sessionId);
        var decided = Assert.Single(events, e => e.GetProperty("type").GetString() == "approval_decided");
        Assert.Equal("alice", decided.GetProperty("by").GetString());
        Assert.Equal("approve_once", decided.GetProperty("decision").GetString());
    }

    /// <summary>Starts a headless session in the workspace whose settings reserve approvals for alice; it suspends on a write.</summary>
    private static async Task<(string SessionId, string CallId)> Class3SuspendForAliceAsync(ReinProcess rein)
    {
        Directory.CreateDirectory(Path.Combine(rein.Workspace, ".rein"));
        File.WriteAllText(Path.Combine(rein.Workspace, ".rein", "settings.json"), """{"approvals": {"approvers": ["alice"]}}""");
        var script = rein.WriteFile("class3-turns.json", """
            {"turns":[{"tool_calls":[{"name":"write_file","arguments":{"path":"deploy.txt","content":"shipped"}}]},{"text":"done"}]}
            """);
        rein.Environment["REIN_MODE"] = "ask";

        var run = await rein.RunAsync("run", "--json", "--model", $"scripted:{script}", "deploy");

        Assert.True(run.ExitCode == 6, run.ToString());
        var started = run.JsonLines().First(l => l.GetProperty("type").GetString() == "session_started");
        Assert.Equal(["alice"], started.GetProperty("approvals").GetProperty("approvers").EnumerateArray().Select(a => a.GetString()));
        var pending = Assert.Single((await rein.RunAsync("approvals", "list", "--json")).JsonLines());
        Assert.Equal(["alice"], pending.GetProperty("approvers").EnumerateArray().Select(a => a.GetString()));
        return (started.GetProperty("session_id").GetString()!, pending.GetProperty("call_id").GetString()!);
    }

    private static async Task<ReinProcess.Result> Class3RunInAsync(ReinProcess rein, string folder, string? stdin, params string[] args)
    {
        using var process = rein.Start(args, stdin, folder);
        return await ReinProcess.CollectAsync(process);
    }

    private static async Task<List<JsonElement>> Class3JournalAsync(ReinProcess rein, string sessionId)
    {
        var show = await rein.RunAsync("sessions", "show", sessionId, "--json");
        Assert.True(show.ExitCode == 0, show.ToString());
        return [.. show.JsonLines()];
    }
}
