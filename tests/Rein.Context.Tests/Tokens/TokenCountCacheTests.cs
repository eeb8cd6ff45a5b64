using Rein.Context.Tokens;

namespace Rein.Context.Tests.Tokens;

public sealed class TokenCountCacheTests
{
    [Fact]
    public void GetOrCount_LongStringTwice_CountsOnce()
    {
        var cache = new TokenCountCache();
        var calls = 0;
        int Count(string s)
        {
            calls++;
            return s.Length / 4;
        }

        var text = new string('a', 1_000);
        Assert.Equal(250, cache.GetOrCount(text, Count));
        Assert.Equal(250, cache.GetOrCount(new string('a', 1_000), Count));

        Assert.Equal(1, calls);
    }

    [Fact]
    public void GetOrCount_ShortString_IsNotCached()
    {
        var cache = new TokenCountCache();

        cache.GetOrCount("short", s => 1);

        Assert.Equal(0, cache.Count);
    }

    [Fact]
    public void GetOrCount_MoreThanMaxEntries_StaysBounded()
    {
        var cache = new TokenCountCache();
        var prefix = new string('p', TokenCountCache.MinLength);

        for (var i = 0; i < TokenCountCache.MaxEntries + 100; i++)
        {
            cache.GetOrCount(prefix + i, s => 1);
        }

        Assert.InRange(cache.Count, 1, TokenCountCache.MaxEntries);
    }
}
