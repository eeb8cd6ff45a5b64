using Rein.Context.Tokens;

namespace Rein.Context.Tests.Tokens;

public sealed class WarmingTokenCounterTests
{
    [Fact]
    public void CountTokens_BeforeAndAfterTheLoad_EstimatesThenCounts()
    {
        var loaded = new TaskCompletionSource();
        var counter = new WarmingTokenCounter(new SevenCounter(), loaded.Task);
        var text = new string('a', 40);

        Assert.Equal(TokenCounters.Estimate, counter.Encoding);
        Assert.Equal(10, counter.CountTokens(text));

        loaded.SetResult();
        Assert.Equal("seven", counter.Encoding);
        Assert.Equal(7, counter.CountTokens(text));
    }

    private sealed class SevenCounter : Rein.Engine.ITokenCounter
    {
        public string Encoding => "seven";

        public int CountTokens(string text) => 7;
    }
}
