using Rein.Guard.Policy;
using Rein.Testing;
using Rein.Tools;
using static Rein.Guard.Tests.Policy.PolicyTestKit;

namespace Rein.Guard.Tests.Policy;

/// <summary>Paths are judged by the file they really are: links made by a command do not reach protected or denied files.</summary>
public sealed class RealTargetPolicyTests : IDisposable
{
    private readonly TempDirectory _workspace = new("rein-realpath");

    public RealTargetPolicyTests()
    {
        _workspace.Write(".git/config", "[core]\n");
        _workspace.Write(".env", "SECRET=1\n");
        _workspace.Write("src/a.cs", "class A {}\n");
        File.CreateSymbolicLink(_workspace.Combine("gc"), ".git/config");
        File.CreateSymbolicLink(_workspace.Combine("rr"), ".rein");
        File.CreateSymbolicLink(_workspace.Combine("env-link"), ".env");
        File.CreateSymbolicLink(_workspace.Combine("up"), "src");
    }

    public void Dispose() => _workspace.Dispose();

    [Theory]
    [InlineData("write_file", "gc")]
    [InlineData("edit_file", "gc")]
    [InlineData("write_file", "rr/settings.json")]
    [InlineData("write_file", "up/../.git/config")]
    [InlineData("write_file", "/proc/self/root{ws}/gc")]
    public void Evaluate_WriteThroughLinkToProtectedTarget_Denied(string tool, string path)
    {
        var verdict = Engine("full-auto", "allow write_file(**)").Call(tool, new { path = path.Replace("{ws}", _workspace.Path, StringComparison.Ordinal), content = "x" });

        Assert.Equal("deny", verdict.Decision);
        Assert.Contains("protected", verdict.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Evaluate_WriteThroughLinkWithAllowRuleNamingRealTarget_Allowed()
    {
        var verdict = Engine("workspace-write", "allow write_file(.git/config)").Write("gc");

        Assert.Equal("allow", verdict.Decision);
    }

    [Fact]
    public void Evaluate_WriteOrdinaryFile_StillAllowed()
    {
        Assert.Equal("allow", Engine("workspace-write").Write("up/b.cs").Decision);
    }

    [Fact]
    public void Evaluate_ReadLinkToDeniedFile_Denied()
    {
        var verdict = Engine("workspace-write", "deny read_file(**/.env*)").Call("read_file", new { path = "env-link" });

        Assert.Equal("deny", verdict.Decision);
        Assert.Contains("a link to .env", verdict.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void FileAccessFor_GrepOverWorkspace_DeniesTheEnvFileAndItsLinkTarget()
    {
        var access = Engine("workspace-write", "deny read_file(**/.env*)").FileAccessFor("grep", null);

        Assert.Equal(FileAccessDecision.Deny, access.CheckRead(_workspace.Combine(".env")).Decision);
        Assert.Equal(FileAccessDecision.Deny, access.CheckRead(_workspace.Combine("env-link")).Decision);
        Assert.Equal(FileAccessDecision.Allow, access.CheckRead(_workspace.Combine("src", "a.cs")).Decision);
    }

    [Fact]
    public void FileAccessFor_WriteThroughLink_DeniedEvenInFullAuto()
    {
        var access = Engine("full-auto").FileAccessFor("write_file", null);

        Assert.Equal(FileAccessDecision.Deny, access.CheckWrite(_workspace.Combine("gc")).Decision);
        Assert.Equal(FileAccessDecision.Allow, access.CheckWrite(_workspace.Combine("src", "b.cs")).Decision);
    }

    private PolicyEngine Engine(string mode, params string[] rules) =>
        new(new PolicyOptions { Workspace = _workspace.Path, HomeDirectory = Home, Mode = mode, Rules = [.. rules.Select(r => Rule(r))] });
}
