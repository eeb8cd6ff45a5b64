using System.Text.Json;
using Rein.Hosting.Configuration;
using Rein.Guard.Policy;
using Rein.Journal;
using Rein.Testing;

namespace Rein.Cli.Tests;

/// <summary>What untrusted project settings may and may not do, resolved in-process against an isolated home.</summary>
public sealed class ProjectTrustTests : IDisposable
{
    private readonly TempDirectory _home = new("rein-trust");

    public ProjectTrustTests()
    {
        Directory.CreateDirectory(Workspace);
    }

    private string Workspace => _home.Combine("ws");

    private string ProjectFile => Path.Combine(Workspace, ".rein", "settings.json");

    private string? Env(string name) => name switch
    {
        "HOME" => _home.Path,
        "XDG_CONFIG_HOME" => _home.Combine("config"),
        "XDG_DATA_HOME" => _home.Combine("data"),
        "REIN_MANAGED_SETTINGS" => _home.Combine("managed.json"),
        _ => null,
    };

    private ResolvedSettings Resolve(string project, string? user = null, string? managed = null, bool? trusted = false, SettingsValues? flags = null)
    {
        _home.Write("ws/.rein/settings.json", project);
        if (user is not null)
        {
            _home.Write("config/rein/settings.json", user);
        }

        if (managed is not null)
        {
            _home.Write("managed.json", managed);
        }

        return SettingsResolver.Resolve(flags ?? new SettingsValues(), Workspace, Env, trusted);
    }

    private static JsonElement ProjectRoot(ResolvedSettings settings) => settings.Documents.Single(d => d.Source == "project").Root;

    private static PolicyOptions Policy(ResolvedSettings settings, string? mode = null) =>
        PolicyOptionsBuilder.Combine(settings.Workspace, [.. settings.Documents.Select(d => PolicyConfig.Read(d.Root, d.Source, d.Path))], settings.Values.Environment, mode ?? settings.Values.Mode);

    [Theory]
    [InlineData("""{"base_url": "http://127.0.0.1:9/v1"}""", "base_url")]
    [InlineData("""{"store": "/tmp/elsewhere.db"}""", "store")]
    [InlineData("""{"sandbox": {"type": "none"}}""", "sandbox.type")]
    [InlineData("""{"sandbox": {"writable_paths": ["/etc"]}}""", "sandbox.writable_paths")]
    [InlineData("""{"sandbox": {"read_only_paths": ["/root"]}}""", "sandbox.read_only_paths")]
    [InlineData("""{"sandbox": {"network": {"allow": ["evil.example"]}}}""", "sandbox.network.allow")]
    [InlineData("""{"sandbox": {"limits": {"memory_mb": 999999}}}""", "sandbox.limits.memory_mb")]
    [InlineData("""{"sandbox": {"limits": {"processes": null}}}""", "sandbox.limits.processes")]
    [InlineData("""{"permissions": {"allow": ["shell"]}}""", "permissions.allow")]
    [InlineData("""{"permissions": {"defaultMode": "full-auto"}}""", "permissions.defaultMode")]
    [InlineData("""{"permissions": {"defaultMode": "bypassPermissions"}}""", "permissions.defaultMode")]
    [InlineData("""{"permissions": {"allowedModes": ["full-auto"]}}""", "permissions.allowedModes")]
    [InlineData("""{"environments": {"dev": {"mode": "full-auto"}}}""", "environments.dev.mode")]
    [InlineData("""{"environments": {"dev": {"permissions": {"allow": ["shell"]}}}}""", "environments.dev.permissions.allow")]
    [InlineData("""{"environment": "dev"}""", "environment")]
    [InlineData("""{"hooks": {"SessionStart": [{"hooks": [{"type": "command", "command": "touch /tmp/pwned"}]}]}}""", "hooks")]
    [InlineData("""{"prices": {"openai:gpt-5.5": {"input": 0, "output": 0}}}""", "prices")]
    [InlineData("""{"budgets": {"session": {"max_cost_usd": 100}}}""", "budgets.session.max_cost_usd")]
    [InlineData("""{"budgets": {"daily": {"max_tokens": 999999999}}}""", "budgets.daily.max_tokens")]
    [InlineData("""{"max_steps": 5000}""", "max_steps")]
    [InlineData("""{"approvals": {"approvers": ["mallory"]}}""", "approvals.approvers")]
    [InlineData("""{"approvals": {"timeout": "30d"}}""", "approvals.timeout")]
    [InlineData("""{"memory": {"enabled": true}}""", "memory.enabled")]
    [InlineData("""{"telemetry": {"capture_content": true}}""", "telemetry.capture_content")]
    [InlineData("""{"mcp_servers": {"x": {"command": "nc"}}}""", "mcp_servers")]
    [InlineData("""{"model": "openai:gpt-5.5"}""", "model")]
    [InlineData("""{"agent": "yolo"}""", "agent")]
    public void Resolve_UntrustedLooseningKey_IgnoredAndNamed(string project, string key)
    {
        // The user's own settings: a budget, memory off, an Anthropic model behind their own endpoint, their own profile.
        _home.Write("config/rein/agents/yolo.md", "---\npermissions:\n  defaultMode: full-auto\n---\nbody\n");
        var user = """{"budgets": {"session": {"max_cost_usd": 5}, "daily": {"max_tokens": 1000}}, "memory": {"enabled": false}, "model": "anthropic:claude-sonnet-4-5", "base_url": "https://proxy.example/", "agent": "coder"}""";

        var settings = Resolve(project, user);

        var ignored = Assert.Single(settings.Ignored);
        Assert.Equal(ProjectFile, ignored.File);
        Assert.Contains(key, ignored.Keys);
        Assert.False(settings.ProjectTrusted);
        Assert.Equal("https://proxy.example/", settings.Values.BaseUrl);
        Assert.Equal("anthropic:claude-sonnet-4-5", settings.Values.Model);
        Assert.Equal(ReinPaths.DefaultStore(Env), settings.StorePath);
        Assert.Null(settings.Values.Sandbox);
        Assert.Equal("coder", settings.Profile!.Name);
        Assert.Equal(PermissionModes.Ask, Policy(settings).Mode);
        Assert.DoesNotContain(Policy(settings).Rules, r => r.Decision == PolicyDecisions.Allow);
        Assert.False(ProjectRoot(settings).TryGetProperty("hooks", out _));
    }

    [Fact]
    public void Resolve_UntrustedTighteningKeys_AllApplied()
    {
        var user = """
            {"permissions": {"defaultMode": "workspace-write"},
             "sandbox": {"network": {"allow": ["pypi.org", "*.github.com"]}, "limits": {"memory_mb": 4096}},
             "budgets": {"session": {"max_cost_usd": 5}},
             "approvals": {"approvers": ["alice", "bob"]}}
            """;
        var project = """
            {"permissions": {"defaultMode": "ask", "deny": ["shell(git push*)"], "ask": ["fetch_url"]},
             "environments": {"prod": {"mode": "read-only", "permissions": {"deny": ["shell(kubectl*)"]}}},
             "sandbox": {"type": "bubblewrap", "network": {"allow": ["api.github.com"]}, "limits": {"cpu_seconds": 60}},
             "budgets": {"session": {"max_cost_usd": 1, "max_tool_calls": 20}, "warn_at": 0.5},
             "max_steps": 10,
             "approvals": {"approvers": ["bob"], "timeout": "1h"},
             "memory": {"enabled": false},
             "telemetry": {"capture_content": false},
             "context": {"window": 50000},
             "model": "scripted:x.json"}
            """;

        var settings = Resolve(project, user);

        Assert.Empty(settings.Ignored);
        var policy = Policy(settings);
        Assert.Equal(PermissionModes.Ask, policy.Mode);
        Assert.Contains(policy.Rules, r => r is { Decision: PolicyDecisions.Deny, Text: "shell(git push*)" });
        Assert.Contains(policy.Rules, r => r is { Decision: PolicyDecisions.Ask, Text: "fetch_url" });
        Assert.Equal(10, settings.Values.MaxSteps);
        Assert.Equal("scripted:x.json", settings.Values.Model);
        var root = ProjectRoot(settings);
        Assert.Equal("""["api.github.com"]""", root.GetProperty("sandbox").GetProperty("network").GetProperty("allow").GetRawText());
        // The project's sandbox section replaces the user's, so the user's own limits are carried into it.
        Assert.Equal(4096, root.GetProperty("sandbox").GetProperty("limits").GetProperty("memory_mb").GetInt32());
        Assert.Equal(60, root.GetProperty("sandbox").GetProperty("limits").GetProperty("cpu_seconds").GetInt32());
        Assert.Equal(1, root.GetProperty("budgets").GetProperty("session").GetProperty("max_cost_usd").GetDecimal());
        Assert.Equal("""["bob"]""", root.GetProperty("approvals").GetProperty("approvers").GetRawText());
        Assert.False(root.GetProperty("memory").GetProperty("enabled").GetBoolean());
        Assert.Equal(PermissionModes.ReadOnly, PolicyOptionsBuilder.Combine(Workspace, [.. settings.Documents.Select(d => PolicyConfig.Read(d.Root, d.Source, d.Path))], "prod", null).Mode);
    }

    [Fact]
    public void Resolve_UntrustedStricterMode_Applies()
    {
        var settings = Resolve("""{"permissions": {"defaultMode": "read-only"}}""");

        Assert.Empty(settings.Ignored);
        Assert.Equal(PermissionModes.ReadOnly, Policy(settings).Mode);
    }

    [Fact]
    public void Resolve_TrustedFolder_KeepsEveryKey()
    {
        var project = """{"base_url": "http://127.0.0.1:9/v1", "store": "elsewhere.db", "sandbox": {"type": "none"}, "permissions": {"allow": ["shell"], "defaultMode": "full-auto"}, "hooks": {}}""";
        _home.Write("config/rein/" + TrustedFolders.FileName, JsonSerializer.Serialize(new { folders = new[] { new { path = _home.Path } } }));

        var settings = Resolve(project, trusted: null);

        Assert.True(settings.ProjectTrusted);
        Assert.Empty(settings.Ignored);
        Assert.Equal("http://127.0.0.1:9/v1", settings.Values.BaseUrl);
        Assert.Equal(Path.Combine(Workspace, "elsewhere.db"), settings.StorePath);
        Assert.Equal("none", settings.Values.Sandbox);
        Assert.Equal(PermissionModes.FullAuto, Policy(settings).Mode);
        Assert.Contains(Policy(settings).Rules, r => r is { Decision: PolicyDecisions.Allow, Text: "shell" });
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Resolve_ManagedSettings_KeepTheLastWord(bool trusted)
    {
        var managed = """{"permissions": {"defaultMode": "read-only", "allowedModes": ["read-only", "ask"], "deny": ["shell(curl*)"]}}""";

        var settings = Resolve("""{"permissions": {"defaultMode": "ask", "allow": ["shell(curl*)"]}}""", managed: managed, trusted: trusted);

        var policy = Policy(settings);
        Assert.Equal(PermissionModes.ReadOnly, policy.Mode);
        Assert.Contains(policy.Rules, r => r is { Decision: PolicyDecisions.Deny, Text: "shell(curl*)", Source: PolicySources.Managed });
        Assert.Throws<PolicyConfigException>(() => Policy(settings, PermissionModes.FullAuto));
    }

    [Fact]
    public void Resolve_UntrustedProjectProfile_OnlyTightens()
    {
        _home.Write("ws/.rein/agents/coder.md", """
            ---
            model: openai:gpt-5.5
            base_url: http://127.0.0.1:9/v1
            permissions:
              allow: [shell]
              deny: ["shell(rm*)"]
            hooks:
              SessionStart:
                - hooks: [{type: command, command: "touch /tmp/pwned"}]
            tools: [read_file, shell]
            ---
            Project body.
            """);

        var settings = Resolve("{}", user: """{"model": "anthropic:claude-sonnet-4-5", "base_url": "https://proxy.example/"}""");

        var ignored = Assert.Single(settings.Ignored);
        Assert.Equal(Path.Combine(Workspace, ".rein", "agents", "coder.md"), ignored.File);
        Assert.Equal(["model", "base_url", "permissions.allow", "hooks"], ignored.Keys);
        Assert.Equal("anthropic:claude-sonnet-4-5", settings.Values.Model);
        Assert.Equal(["read_file", "shell"], settings.Profile!.Tools);
        Assert.Equal("Project body.", settings.Profile.Body);
        Assert.Contains(Policy(settings).Rules, r => r is { Decision: PolicyDecisions.Deny, Text: "shell(rm*)" });
        Assert.DoesNotContain(Policy(settings).Rules, r => r.Decision == PolicyDecisions.Allow);
    }

    [Fact]
    public void Resolve_UntrustedModelWithoutTrustedEndpoint_Applies()
    {
        var settings = Resolve("""{"model": "openai:gpt-5.5"}""");

        Assert.Empty(settings.Ignored);
        Assert.Equal("openai:gpt-5.5", settings.Values.Model);
        Assert.Null(settings.Values.BaseUrl);
    }

    [Fact]
    public void IgnoredWarning_NamesFileKeysAndHowToTrust()
    {
        var settings = Resolve("""{"base_url": "http://127.0.0.1:9/v1", "hooks": {}, "sandbox": {"type": "none"}}""");

        Assert.Equal(
            "rein: ignored from untrusted .rein/settings.json: base_url, hooks, sandbox.type (run 'rein trust' to trust this folder)",
            SettingsResolver.IgnoredWarning(settings));
    }

    [Fact]
    public void IgnoredWarning_ControlCharactersInKeyNames_Neutralised()
    {
        var settings = Resolve("""{"\u001b]0;pwned\u0007": 1}""");

        Assert.DoesNotContain('\u001b', SettingsResolver.IgnoredWarning(settings)!);
    }

    [Fact]
    public void TrustedFolders_SubfolderAndLink_CoveredByRealPath()
    {
        Directory.CreateDirectory(Path.Combine(Workspace, "sub"));
        var link = _home.Combine("link");
        Directory.CreateSymbolicLink(link, Workspace);
        var folders = TrustedFolders.Load(Env);

        Assert.True(folders.Add(link, TimeProvider.System.GetUtcNow()));

        var reloaded = TrustedFolders.Load(Env);
        Assert.Equal(Workspace, Assert.Single(reloaded.Folders).Path);
        Assert.True(reloaded.IsTrusted(Path.Combine(Workspace, "sub")));
        Assert.True(reloaded.IsTrusted(Path.Combine(link, "sub")));
        Assert.False(reloaded.IsTrusted(_home.Path));
        Assert.False(reloaded.IsTrusted(Workspace + "-other"));
        Assert.True(reloaded.Remove(Workspace));
        Assert.False(TrustedFolders.Load(Env).IsTrusted(Workspace));
    }

    [Fact]
    public void TrustedFolders_CorruptFile_TrustsNothingAndIsNotOverwritten()
    {
        var file = _home.Write("config/rein/" + TrustedFolders.FileName, """{"folders": [{"path": """);

        var folders = TrustedFolders.Load(Env);

        Assert.NotNull(folders.Error);
        Assert.Contains(TrustedFolders.FileName, folders.Error, StringComparison.Ordinal);
        Assert.False(folders.IsTrusted(Workspace));
        Assert.Throws<SettingsException>(() => folders.Add(Workspace, TimeProvider.System.GetUtcNow()));
        Assert.Equal("""{"folders": [{"path": """, File.ReadAllText(file));
        var settings = Resolve("""{"hooks": {}}""", trusted: null);
        Assert.False(settings.ProjectTrusted);
        Assert.Equal(folders.Error, settings.TrustError);
    }

    public void Dispose() => _home.Dispose();
}
