using System.Text.Json;

namespace Rein.Cli.Tests;

/// <summary>Class 10: a shell deny rule is not bypassed by spelling the command so a literal reading misses it.</summary>
[Trait("Category", "e2e")]
public sealed partial class TrustBoundaryTests
{
    [Fact]
    public async Task Class10_ShellDenyRule_HiddenRmDoesNotRun()
    {
        using var rein = new ReinProcess();
        var victim = Path.Combine(rein.Workspace, "victim.txt");
        File.WriteAllText(victim, "precious");
        Directory.CreateDirectory(Path.Combine(rein.Workspace, ".rein"));
        File.WriteAllText(Path.Combine(rein.Workspace, ".rein", "settings.json"), """{"permissions": {"deny": ["shell(rm *)"]}}""");
        string[] attacks = ["a=rm; $a victim.txt", "$'\\x72m' victim.txt", "echo 'rm victim.txt' | bash"];
        var turns = attacks.Select(command => (object)new { tool_calls = new[] { new { name = "shell", arguments = new { command } } } })
            .Append(new { text = "cleaned up" });
        var script = rein.WriteFile("turns.json", JsonSerializer.Serialize(new { turns }));

        var result = await rein.RunAsync("run", "--json", "--model", $"scripted:{script}", "delete victim.txt");

        Assert.Equal("precious", File.ReadAllText(victim));
        var events = result.JsonLines();
        var decisions = events.Where(e => e.GetProperty("type").GetString() == "policy_decided").Select(e => e.GetProperty("decision").GetString()).ToList();
        Assert.All(decisions, d => Assert.True(d is "deny" or "ask", result.ToString()));
        Assert.DoesNotContain(events, e => e.GetProperty("type").GetString() == "tool_started");
        if (decisions.Contains("ask"))
        {
            // Without a terminal an ask suspends the session before anything runs.
            Assert.True(result.ExitCode == 6, result.ToString());
            Assert.Equal("ask", decisions[^1]);
        }
        else
        {
            Assert.True(result.ExitCode == 0, result.ToString());
            Assert.Equal(attacks.Length, decisions.Count);
        }
    }
}
