namespace Rein.Evals.Scoring;

/// <summary>The unbiased pass@k estimator (Chen et al., 2021): the chance that at least one of k samples drawn from n trials passes.</summary>
public static class PassAtK
{
    /// <summary>Estimates pass@k for one task: 1 − C(n−c, k) / C(n, k).</summary>
    /// <param name="n">Trials run.</param>
    /// <param name="c">Trials passed.</param>
    /// <param name="k">Samples drawn.</param>
    /// <returns>A value in [0, 1]; 0 when no trial ran.</returns>
    /// <exception cref="ArgumentOutOfRangeException">A count is negative, <paramref name="c"/> exceeds <paramref name="n"/>, <paramref name="k"/> is below 1, or <paramref name="k"/> exceeds a positive <paramref name="n"/>.</exception>
    public static double Estimate(int n, int c, int k)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        ArgumentOutOfRangeException.ThrowIfNegative(c);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(c, n);
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        if (n == 0)
        {
            return 0;
        }

        ArgumentOutOfRangeException.ThrowIfGreaterThan(k, n);
        if (n - c < k)
        {
            return 1;
        }

        // C(n−c, k) / C(n, k) = Π_{i = n−c+1}^{n} (1 − k / i), which never forms the large binomials.
        var fail = 1.0;
        for (var i = n - c + 1; i <= n; i++)
        {
            fail *= 1.0 - ((double)k / i);
        }

        return 1.0 - fail;
    }

    /// <summary>Averages pass@k over tasks; tasks with fewer than k trials use k = their trial count.</summary>
    /// <param name="tasks">Each task's trials run and passed.</param>
    /// <param name="k">Samples drawn.</param>
    /// <returns>The mean, or 0 when there are no tasks.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="tasks"/> is null.</exception>
    public static double Average(IEnumerable<(int Trials, int Passes)> tasks, int k)
    {
        ArgumentNullException.ThrowIfNull(tasks);
        var values = tasks.Select(t => Estimate(t.Trials, t.Passes, Math.Max(1, Math.Min(k, t.Trials)))).ToList();
        return values.Count == 0 ? 0 : values.Average();
    }
}
