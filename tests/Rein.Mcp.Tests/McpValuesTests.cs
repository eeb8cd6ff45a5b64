using System.Diagnostics.CodeAnalysis;
using Rein.Mcp.Configuration;
using Rein.Tools;

namespace Rein.Mcp.Tests;

public sealed class McpValuesTests
{
    private static readonly Dictionary<string, string> Environment = new() { ["HOST"] = "example.com" };

    private static McpValues Create(ISecretResolver? secrets = null) => new(n => Environment.GetValueOrDefault(n), secrets);

    [Fact]
    public void Expand_EnvAndSecret_ReplacesBothAndRemembersTheSecret()
    {
        var values = Create(new Secrets(new() { ["TOKEN"] = "s3cr3t-value" }));

        var expanded = values.Expand("https://${env:HOST}/?t=${secret:TOKEN}", "x");

        Assert.Equal("https://example.com/?t=s3cr3t-value", expanded);
        Assert.Equal(["s3cr3t-value"], values.SecretValues);
    }

    [Fact]
    public void Expand_NoReference_ReturnsTheValueAndEscapedDollarStaysLiteral()
    {
        Assert.Equal("plain", Create().Expand("plain", "x"));
        Assert.Equal("a ${env:HOST} b", Create().Expand("a $${env:HOST} b", "x"));
    }

    [Theory]
    [InlineData("${env:MISSING}", "the environment variable MISSING is not set")]
    [InlineData("${secret:NOPE}", "there is no secret named NOPE")]
    [InlineData("${HOST}", "is not ${env:NAME} or ${secret:NAME}")]
    [InlineData("${env:HOST", "is not closed")]
    public void Expand_BadReference_ThrowsNamingWhere(string value, string expected)
    {
        var error = Assert.Throws<McpConfigException>(() => Create(new Secrets([])).Expand(value, "f.json: mcpServers.s.env.T"));

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
        Assert.StartsWith("f.json: mcpServers.s.env.T", error.Message, StringComparison.Ordinal);
    }

    private sealed class Secrets(Dictionary<string, string> values) : ISecretResolver
    {
        public IReadOnlyCollection<string> SecretNames => values.Keys;

        public bool TryGetSecret(string name, [MaybeNullWhen(false)] out string value) => values.TryGetValue(name, out value);
    }
}
