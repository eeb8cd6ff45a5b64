using Rein.Evals.Scoring;

namespace Rein.Evals.Tests;

public sealed class PassAtKTests
{
    [Theory]
    [InlineData(5, 2, 1, 0.4)]
    [InlineData(5, 2, 2, 0.7)] // 1 − C(3,2)/C(5,2) = 1 − 3/10
    [InlineData(10, 3, 5, 0.9166666666666666)] // 1 − C(7,5)/C(10,5) = 1 − 21/252
    [InlineData(4, 0, 2, 0.0)]
    [InlineData(4, 4, 1, 1.0)]
    [InlineData(3, 1, 3, 1.0)]
    [InlineData(0, 0, 1, 0.0)]
    public void Estimate_KnownCases_MatchTheBinomialFormula(int n, int c, int k, double expected) =>
        Assert.Equal(expected, PassAtK.Estimate(n, c, k), 10);

    [Fact]
    public void Estimate_KAboveTrials_Throws() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => PassAtK.Estimate(2, 1, 3));

    [Fact]
    public void Average_OverTasks_IsTheMeanOfPerTaskEstimates()
    {
        var mean = PassAtK.Average([(2, 1), (2, 0), (2, 2)], 1);
        var atTwo = PassAtK.Average([(2, 1), (2, 0), (2, 2)], 2);

        Assert.Equal(0.5, mean, 10);
        Assert.Equal(2.0 / 3, atTwo, 10);
    }
}
