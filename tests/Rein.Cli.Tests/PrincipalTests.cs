using System.Text.Json;
using Rein.Hosting.Configuration;
using Rein.Identity;

namespace Rein.Cli.Tests;

public sealed class PrincipalTests
{
    private static ResolvedSettings Settings(params (string Source, string Json)[] documents) => new(
        new SettingsValues(),
        "/ws",
        "/store/rein.db",
        [],
        [.. documents.Select(d => new SettingsDocument(d.Source, $"/{d.Source}.json", JsonDocument.Parse(d.Json).RootElement.Clone()))]);

    private static string? Alice(string name) => name is "REIN_PRINCIPAL" or "USER" or "LOGNAME" ? "alice" : null;

    [Fact]
    public void Approver_ReinPrincipalSetWithoutManagedPermission_IsTheOperatingSystemUser()
    {
        var approver = Principal.Approver(Settings(), Alice);

        Assert.Equal(LocalUser.Name, approver);
        Assert.NotEqual("alice", approver);
    }

    [Theory]
    [InlineData("user")]
    [InlineData("project")]
    [InlineData("profile")]
    public void Approver_PermissionFromANonManagedFile_IsIgnored(string source)
    {
        var approver = Principal.Approver(Settings((source, """{"approvals": {"principal_from_env": true}}""")), Alice);

        Assert.Equal(LocalUser.Name, approver);
    }

    [Fact]
    public void Approver_ManagedSettingsAllowTheVariable_IsTheVariable()
    {
        Assert.Equal("alice", Principal.Approver(Settings(("managed", """{"approvals": {"principal_from_env": true}}""")), Alice));
        Assert.Equal(LocalUser.Name, Principal.Approver(Settings(("managed", """{"approvals": {"principal_from_env": true}}""")), _ => null));
        Assert.Equal(LocalUser.Name, Principal.Approver(Settings(("managed", """{"approvals": {"principal_from_env": false}}""")), Alice));
    }

    [Fact]
    public void Approver_ManagedValueNotABoolean_IsASettingsErrorNamingTheKey()
    {
        var error = Assert.Throws<SettingsException>(() => Principal.Approver(Settings(("managed", """{"approvals": {"principal_from_env": "yes"}}""")), Alice));

        Assert.Contains("approvals.principal_from_env", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Current_ReinPrincipalSet_StillLabelsSessions()
    {
        Assert.Equal("alice", Principal.Current(Alice));
        Assert.Equal(LocalUser.Name, Principal.Current(_ => null));
    }
}
