using Rein.Identity;

namespace Rein.Core.Tests.Identity;

public sealed class ApiTokensTests
{
    [Fact]
    public void Create_TokenHasItsPrefixAndMatchesItsHash()
    {
        var (token, prefix, hash) = ApiTokens.Create();

        Assert.StartsWith($"rein_{prefix}_", token, StringComparison.Ordinal);
        Assert.True(ApiTokens.TryGetPrefix(token, out var read));
        Assert.Equal(prefix, read);
        Assert.Equal(ApiTokens.Hash(token), hash);
        Assert.True(ApiTokens.Matches(token, hash));
        Assert.DoesNotContain(token[(prefix.Length + 6)..], hash, StringComparison.Ordinal);
    }

    [Fact]
    public void Create_TwoTokens_Differ()
    {
        var (first, firstPrefix, _) = ApiTokens.Create();
        var (second, secondPrefix, _) = ApiTokens.Create();

        Assert.NotEqual(first, second);
        Assert.NotEqual(firstPrefix, secondPrefix);
    }

    [Fact]
    public void Matches_WrongToken_IsFalse()
    {
        var (token, _, hash) = ApiTokens.Create();
        var (other, _, _) = ApiTokens.Create();

        Assert.False(ApiTokens.Matches(other, hash));
        Assert.False(ApiTokens.Matches(token + "x", hash));
        Assert.False(ApiTokens.Matches(token[..^1], hash));
    }

    [Theory]
    [InlineData("")]
    [InlineData("zz")]
    [InlineData("abcd")]
    public void Matches_MalformedStoredHash_IsFalse(string storedHash)
    {
        var (token, _, _) = ApiTokens.Create();

        Assert.False(ApiTokens.Matches(token, storedHash));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("Bearer abc")]
    [InlineData("rein_short")]
    [InlineData("rein_0123456789abX")]
    public void TryGetPrefix_NotATokenShape_IsFalse(string? token)
    {
        Assert.False(ApiTokens.TryGetPrefix(token, out _));
    }
}
