using Rein.Guard.Policy;
using Rein.Journal;
using static Rein.Guard.Tests.Policy.PolicyTestKit;

namespace Rein.Guard.Tests.Policy;

public sealed class PolicyConfigTests
{
    private const string File = ".rein/settings.json";

    [Fact]
    public void Read_ClaudeShape_ReadsRulesAndMode()
    {
        var config = PolicyConfig.Read(ParseJson("""
            {"permissions": {"allow": ["Bash(npm test:*)", "shell(git status*)"], "ask": ["shell(git push*)"], "deny": ["Read(**/.env*)"], "defaultMode": "acceptEdits"}}
            """), "project", File);
        Assert.Equal(
            [("allow", "Bash(npm test:*)"), ("allow", "shell(git status*)"), ("ask", "shell(git push*)"), ("deny", "Read(**/.env*)")],
            config.Rules.Select(r => (r.Decision, r.Text)));
        Assert.All(config.Rules, r => Assert.Equal("project", r.Source));
        Assert.Equal(PermissionModes.AcceptEdits, config.DefaultMode);
        Assert.Null(config.AllowedModes);
        Assert.Empty(config.Environments);
    }

    [Fact]
    public void Read_MissingKeys_IsEmpty()
    {
        var config = PolicyConfig.Read(ParseJson("""{"model": "x"}"""), "user", "~/.rein/settings.json");
        Assert.Empty(config.Rules);
        Assert.Null(config.DefaultMode);
    }

    [Theory]
    [InlineData("""{"permissions": {"deny": ["shell(ls)", "shell(cat*)", "shell(rm"]}}""", ".rein/settings.json: permissions.deny[2] \"shell(rm\": missing ')'")]
    [InlineData("""{"permissions": {"allow": [""]}}""", "permissions.allow[0] \"\": empty rule")]
    [InlineData("""{"permissions": {"allow": ["shell()"]}}""", "permissions.allow[0] \"shell()\": empty pattern")]
    [InlineData("""{"permissions": {"ask": ["todo_write(x)"]}}""", "permissions.ask[0] \"todo_write(x)\": todo_write rules take no pattern")]
    [InlineData("""{"permissions": {"ask": ["(x)"]}}""", "missing tool name")]
    [InlineData("""{"permissions": {"ask": ["write_file(src/[ab)"]}}""", "unclosed '['")]
    [InlineData("""{"permissions": {"ask": ["fetch_url(domain:)"]}}""", "domain: needs a host name")]
    [InlineData("""{"permissions": {"ask": ["mcp:*(x)"]}}""", "tool name pattern cannot have an argument pattern")]
    [InlineData("""{"permissions": {"allow": "shell"}}""", "permissions.allow must be an array")]
    [InlineData("""{"permissions": {"allow": [3]}}""", "permissions.allow[0] must be a string")]
    [InlineData("""{"permissions": {"defaultMode": "yolo"}}""", "permissions.defaultMode: 'yolo' is not a permission mode; valid modes: read-only, ask, accept-edits, workspace-write, full-auto")]
    [InlineData("""{"environments": {"prod": {"permissions": {"deny": ["shell(rm"]}}}}""", "environments.prod.permissions.deny[0] \"shell(rm\": missing ')'")]
    [InlineData("""{"environments": {"prod": {"mode": "fast"}}}""", "environments.prod.mode: 'fast' is not a permission mode")]
    [InlineData("""{"environments": []}""", "environments must be an object")]
    public void Read_BadSettings_ThrowNamingFileAndRule(string json, string message)
    {
        var ex = Assert.Throws<PolicyConfigException>(() => PolicyConfig.Read(ParseJson(json), "project", File));
        Assert.Contains(message, ex.Message, StringComparison.Ordinal);
        Assert.StartsWith(File + ": ", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("ask", "ask")]
    [InlineData("READ-ONLY", "read-only")]
    [InlineData("plan", "read-only")]
    [InlineData("default", "ask")]
    [InlineData("bypassPermissions", "full-auto")]
    [InlineData("workspace-write", "workspace-write")]
    [InlineData("acceptEdits", "accept-edits")]
    [InlineData("accept-edits", "accept-edits")]
    [InlineData("accept_edits", "accept-edits")]
    public void PermissionModesParse_KnownNames_AreCanonical(string value, string expected) =>
        Assert.Equal(expected, PermissionModes.Parse(value));

    [Fact]
    public void PermissionModesParse_Unknown_ListsValidModes()
    {
        var ex = Assert.Throws<FormatException>(() => PermissionModes.Parse("turbo"));
        Assert.Contains("read-only, ask, accept-edits, workspace-write, full-auto", ex.Message, StringComparison.Ordinal);
        Assert.Contains("acceptEdits", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Combine_Environment_AddsRulesAndMode()
    {
        var project = PolicyConfig.Read(ParseJson("""
            {"permissions": {"allow": ["shell(ls*)"], "defaultMode": "workspace-write"},
             "environments": {"prod": {"mode": "read-only", "permissions": {"deny": ["shell(kubectl delete*)"]}}, "dev": {"mode": "full-auto"}}}
            """), "project", File);
        var options = PolicyOptionsBuilder.Combine(Workspace, [project], "prod", null);
        Assert.Equal(PermissionModes.ReadOnly, options.Mode);
        Assert.Equal("prod", options.Environment);
        Assert.Contains(options.Rules, r => r.Text == "shell(kubectl delete*)" && r.Decision == PolicyDecisions.Deny);
        Assert.Contains(options.Rules, r => r.Text == "shell(ls*)");
        Assert.Equal(PermissionModes.WorkspaceWrite, PolicyOptionsBuilder.Combine(Workspace, [project], null, null).Mode);
        Assert.Equal(PermissionModes.Ask, PolicyOptionsBuilder.Combine(Workspace, [project], "prod", "ask").Mode);
    }

    [Fact]
    public void Combine_UnknownEnvironment_ListsKnownOnes()
    {
        var project = PolicyConfig.Read(ParseJson("""{"environments": {"prod": {}, "dev": {}}}"""), "project", File);
        var ex = Assert.Throws<PolicyConfigException>(() => PolicyOptionsBuilder.Combine(Workspace, [project], "staging", null));
        Assert.Contains("'staging'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("dev, prod", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Combine_ProjectModeBeatsUserMode()
    {
        var user = PolicyConfig.Read(ParseJson("""{"permissions": {"defaultMode": "full-auto"}}"""), "user", "~/.rein/settings.json");
        var project = PolicyConfig.Read(ParseJson("""{"permissions": {"defaultMode": "read-only"}}"""), "project", File);
        Assert.Equal(PermissionModes.ReadOnly, PolicyOptionsBuilder.Combine(Workspace, [user, project], null, null).Mode);
        Assert.Equal(PermissionModes.Ask, PolicyOptionsBuilder.Combine(Workspace, [], null, null).Mode);
    }

    [Fact]
    public void Combine_ManagedAllow_IsIgnoredWithWarning()
    {
        var managed = PolicyConfig.Read(ParseJson("""{"permissions": {"allow": ["shell(rm*)"], "deny": ["shell(curl*)"]}}"""), "managed", "/etc/rein/managed-settings.json");
        var options = PolicyOptionsBuilder.Combine(Workspace, [managed], null, null);
        var rule = Assert.Single(options.Rules);
        Assert.Equal(("deny", "shell(curl*)", "managed"), (rule.Decision, rule.Text, rule.Source));
        var warning = Assert.Single(options.Warnings);
        Assert.Contains("/etc/rein/managed-settings.json", warning, StringComparison.Ordinal);
        Assert.Contains("shell(rm*)", warning, StringComparison.Ordinal);
    }

    [Fact]
    public void Combine_ManagedDenyBeatsProjectAllow()
    {
        var project = PolicyConfig.Read(ParseJson("""{"permissions": {"allow": ["shell(curl*)"]}}"""), "project", File);
        var managed = PolicyConfig.Read(ParseJson("""{"permissions": {"deny": ["shell(curl*)"]}}"""), "managed", "/etc/rein/managed-settings.json");
        var engine = new PolicyEngine(PolicyOptionsBuilder.Combine(Workspace, [project, managed], null, null) with { HomeDirectory = Home });
        var verdict = engine.Shell("curl https://example.com");
        Assert.Equal(("deny", "managed"), (verdict.Decision, verdict.Source));
    }

    [Fact]
    public void Combine_ManagedAllowedModes_RefusesOtherModesNamingTheFile()
    {
        var managed = PolicyConfig.Read(ParseJson("""{"permissions": {"allowedModes": ["ask", "read-only"]}}"""), "managed", "/etc/rein/managed-settings.json");
        var ex = Assert.Throws<PolicyConfigException>(() => PolicyOptionsBuilder.Combine(Workspace, [managed], null, "full-auto"));
        Assert.Contains("/etc/rein/managed-settings.json", ex.Message, StringComparison.Ordinal);
        Assert.Contains("full-auto", ex.Message, StringComparison.Ordinal);
        Assert.Equal(PermissionModes.ReadOnly, PolicyOptionsBuilder.Combine(Workspace, [managed], null, "read-only").Mode);

        var project = PolicyConfig.Read(ParseJson("""{"permissions": {"defaultMode": "workspace-write"}}"""), "project", File);
        Assert.Throws<PolicyConfigException>(() => PolicyOptionsBuilder.Combine(Workspace, [project, managed], null, null));
    }

    [Fact]
    public void Combine_ManagedDefaultMode_BeatsProjectDefault()
    {
        var project = PolicyConfig.Read(ParseJson("""{"permissions": {"defaultMode": "full-auto"}}"""), "project", File);
        var managed = PolicyConfig.Read(ParseJson("""{"permissions": {"defaultMode": "read-only"}}"""), "managed", "/etc/rein/managed-settings.json");
        Assert.Equal(PermissionModes.ReadOnly, PolicyOptionsBuilder.Combine(Workspace, [managed, project], null, null).Mode);
    }

    [Fact]
    public void Combine_AllowedModesWithoutAsk_FallsBackToFirstAllowedWhenNoneChosen()
    {
        var managed = PolicyConfig.Read(ParseJson("""{"permissions": {"allowedModes": ["read-only"]}}"""), "managed", "/etc/rein/m.json");
        Assert.Equal(PermissionModes.ReadOnly, PolicyOptionsBuilder.Combine(Workspace, [managed], null, null).Mode);
    }

    [Fact]
    public void Combine_UnknownModeOverride_Throws() =>
        Assert.Throws<PolicyConfigException>(() => PolicyOptionsBuilder.Combine(Workspace, [], null, "turbo"));

    [Fact]
    public void Engine_MalformedRuleInOptions_ThrowsNamingSource()
    {
        var ex = Assert.Throws<PolicyConfigException>(() => NewEngine("ask", "deny shell(rm"));
        Assert.Contains("project rule \"shell(rm\": missing ')'", ex.Message, StringComparison.Ordinal);
    }
}
