using System.Text.Json;
using System.Text.RegularExpressions;
using Rein.Hosting.Configuration;
using Rein.Testing;

namespace Rein.Cli.Tests;

public sealed partial class KnownSettingsTests : IDisposable
{
    private const string File = "/home/u/ws/.rein/settings.json";

    private readonly TempDirectory _home = new("rein-known");

    public void Dispose() => _home.Dispose();

    private static IReadOnlyList<string> Warnings(string json, bool profile = false) =>
        KnownSettings.Warnings(JsonDocument.Parse(json).RootElement, File, profile);

    [Fact]
    public void Warnings_TopLevelTypo_NamesFileKeyAndNearestKey() =>
        Assert.Equal(
            [$"rein: unknown setting 'permisions' in {File} (did you mean 'permissions'?)"],
            Warnings("""{"permisions": {"allow": ["shell(ls)"]}, "model": "openai:gpt-5.5"}"""));

    [Theory]
    [InlineData("""{"permissions": {"defaultmode": "ask"}}""", "permissions.defaultmode", "permissions.defaultMode")]
    [InlineData("""{"sandbox": {"netwrk": {"allow": []}}}""", "sandbox.netwrk", "sandbox.network")]
    [InlineData("""{"budgets": {"session": {"max_cost": 2}}}""", "budgets.session.max_cost", "budgets.session.max_cost_usd")]
    [InlineData("""{"environments": {"prod": {"mod": "read-only"}}}""", "environments.prod.mod", "environments.prod.mode")]
    [InlineData("""{"environments": {"prod": {"permissions": {"dney": []}}}}""", "environments.prod.permissions.dney", "environments.prod.permissions.deny")]
    [InlineData("""{"prices": {"openai:gpt-5.5": {"inptu": 1, "output": 2}}}""", "prices.openai:gpt-5.5.inptu", "prices.openai:gpt-5.5.input")]
    [InlineData("""{"context": {"windw": 1000}}""", "context.windw", "context.window")]
    public void Warnings_NestedTypo_NamesItsFullPathAndNearestKey(string json, string key, string nearest) =>
        Assert.Equal([$"rein: unknown setting '{key}' in {File} (did you mean '{nearest}'?)"], Warnings(json));

    [Fact]
    public void Warnings_NothingNear_GivesNoGuess() =>
        Assert.Equal([$"rein: unknown setting 'includeCoAuthoredBy' in {File}"], Warnings("""{"includeCoAuthoredBy": false}"""));

    [Fact]
    public void Warnings_FreeFormSectionsAndKnownKeys_AreNotWarnedAbout() =>
        Assert.Empty(Warnings("""
            {"model": "m", "base_url": "http://x", "store": "s", "max_steps": 3, "agent": "a", "environment": "dev",
             "permissions": {"allow": [], "ask": [], "deny": [], "defaultMode": "ask", "allowedModes": ["ask"]},
             "environments": {"dev": {"mode": "ask", "permissions": {"allow": []}}},
             "sandbox": {"type": "bubblewrap", "network": {"allow": [], "ports": [443]}, "limits": {"memory_mb": 1}, "env": ["CI"], "read_only_paths": [], "writable_paths": []},
             "budgets": {"session": {"max_tokens": 1, "max_cost_usd": 1, "max_steps": 1, "max_tool_calls": 1, "max_time": "1m"}, "daily": {"max_cost_usd": 1}, "warn_at": 0.8},
             "prices": {"openai:x": {"input": 1, "cached_input": 1, "output": 1, "cache_write": 1}},
             "approvals": {"approvers": [], "timeout": "1h", "principal_from_env": true},
             "hooks": {"PreToolUse": [{"matcher": "Bash", "hooks": [{"type": "command", "command": "x", "whatever": 1}]}]},
             "context": {"window": 1, "compaction_threshold": 0.8, "keep_recent_observations": 1, "masking": true, "code_memory": true, "max_observation_chars": 1},
             "memory": {"enabled": true, "scopes": ["user"]}, "telemetry": {"capture_content": false},
             "mcpServers": {"gh": {"command": "x", "anything": 1}}, "slack": {"token_env": "X"}, "telegram": {"x": 1}, "serve": {"workspace_roots": ["/srv"], "rate_limit": 5}}
            """));

    [Fact]
    public void Warnings_ProfileFields_AreKnownOnlyInAProfile()
    {
        const string json = """{"name": "reviewer", "description": "d", "tools": ["read_file"], "surfaces": ["cli"]}""";
        Assert.Empty(Warnings(json, profile: true));
        Assert.Equal(4, Warnings(json).Count);
    }

    [Fact]
    public void Warnings_ControlCharactersInAKey_AreNotPrinted() =>
        Assert.DoesNotContain('\u001b', Assert.Single(Warnings("""{"\u001b]0;x\u0007": 1}""")));

    [Fact]
    public void Resolve_UnknownKeysInUserProjectAndProfile_AreEachNamedWithTheirFile()
    {
        _home.Write("ws/.rein/settings.json", """{"permissions": {"defaultmode": "ask"}}""");
        _home.Write("config/rein/settings.json", """{"modle": "openai:gpt-5.5"}""");
        _home.Write("ws/.rein/agents/rev.md", "---\nname: rev\ntoolz: [read_file]\n---\nReview.\n");
        string? Env(string name) => name switch
        {
            "HOME" => _home.Path,
            "XDG_CONFIG_HOME" => _home.Combine("config"),
            "REIN_MANAGED_SETTINGS" => _home.Combine("managed.json"),
            _ => null,
        };

        var settings = SettingsResolver.Resolve(new SettingsValues { Agent = "rev" }, _home.Combine("ws"), Env, trusted: false);

        Assert.Equal(
            [
                $"rein: unknown setting 'toolz' in {_home.Combine("ws", ".rein", "agents", "rev.md")} (did you mean 'tools'?)",
                $"rein: unknown setting 'modle' in {_home.Combine("config", "rein", "settings.json")} (did you mean 'model'?)",
                $"rein: unknown setting 'permissions.defaultmode' in {_home.Combine("ws", ".rein", "settings.json")} (did you mean 'permissions.defaultMode'?)",
            ],
            settings.UnknownKeys);
        Assert.Contains("permissions.defaultmode", settings.Ignored.Single(i => i.File.EndsWith("settings.json", StringComparison.Ordinal)).Keys);
    }

    /// <summary>
    /// Every key a settings reader looks up by name is in <see cref="KnownSettings"/>: a new setting read but not listed
    /// would be warned about as unknown. The readers are found by how they name keys.
    /// </summary>
    [Fact]
    public void Keys_EveryKeyASettingsReaderReads_IsKnown()
    {
        string[] readers =
        [
            "src/Rein.Hosting/Configuration/SettingsFile.cs", "src/Rein.Hosting/Configuration/SettingsResolver.cs", "src/Rein.Hosting/Configuration/Principal.cs", "src/Rein.Hosting/Composition/GuardSetup.cs",
            "src/Rein.Hosting/Composition/ContextSetup.cs", "src/Rein.Hosting/Composition/MemorySetup.cs", "src/Rein.Hosting/Composition/TelemetrySettings.cs",
            "src/Rein.Guard/Policy/PolicyConfig.cs", "src/Rein.Guard/Approvals/ApprovalOptions.cs", "src/Rein.Guard/Budgets/BudgetLimits.cs",
            "src/Rein.Guard/Budgets/PriceTable.cs", "src/Rein.Guard/Sandbox/SandboxOptions.cs", "src/Rein.Cli/Commands/ServeCommand.cs",
        ];
        var names = KnownSettings.Keys.Concat(KnownSettings.ProfileKeys).SelectMany(k => k.Split('.')).ToHashSet(StringComparer.Ordinal);
        var read = new List<(string File, string Key)>();
        foreach (var reader in readers)
        {
            var text = System.IO.File.ReadAllText(SourceTree.Combine(reader.Split('/')));
            read.AddRange(KeyReads().Matches(text).Select(m => (reader, m.Groups["key"].Value)));
        }

        // Any file that reads a top-level section of a settings document must be in the list above.
        foreach (var source in Directory.EnumerateFiles(SourceTree.Combine("src"), "*.cs", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(SourceTree.Root, source).Replace('\\', '/');
            if (SectionReads().IsMatch(System.IO.File.ReadAllText(source)) && !readers.Contains(relative) && !relative.EndsWith("ProjectSettingsFilter.cs", StringComparison.Ordinal))
            {
                read.Add((relative, "(a settings reader missing from this test's list)"));
            }
        }

        Assert.NotEmpty(read);
        Assert.Empty(read.Where(r => !names.Contains(r.Key)).Select(r => $"{r.File}: {r.Key}"));
    }

    [GeneratedRegex("""(?:TryGetProperty\(|Section\([^,()]+, |case |ReadString\(root, |ReadInt\(root, |Read\w*\((?:session|daily|value|budgetsSection), )"(?<key>[a-zA-Z_]+)"|"(?<key>[a-z_]+)" (?:=>|when)""")]
    private static partial Regex KeyReads();

    [GeneratedRegex("""(?:document\.Root|settingsRoot)\.TryGetProperty\("|Section\(d(?:ocument)?(?:\.Root)?, "|root\.TryGetProperty\("approvals""")]
    private static partial Regex SectionReads();
}
