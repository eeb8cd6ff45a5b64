namespace Rein.Hosting.Configuration;

/// <summary>Finds the known name a mistyped one was probably meant to be (an option, a settings key).</summary>
internal static class NearestName
{
    /// <summary>The candidate nearest to <paramref name="name"/> by edit distance, if one is near enough to be meant.</summary>
    /// <param name="name">What was typed.</param>
    /// <param name="candidates">The known names.</param>
    public static string? Closest(string name, IEnumerable<string> candidates)
    {
        var best = candidates
            .Distinct(StringComparer.Ordinal)
            .Select(candidate => (Name: candidate, Distance: Distance(name, candidate)))
            .OrderBy(c => c.Distance)
            .ThenBy(c => c.Name, StringComparer.Ordinal)
            .FirstOrDefault();
        // A prefix (--max-step for --max-steps) or a few edits away; otherwise a guess would mislead.
        return best.Name is not null && (best.Distance <= Math.Max(2, name.Length / 4) || best.Name.StartsWith(name, StringComparison.Ordinal) && name.Length > 3)
            ? best.Name
            : null;
    }

    /// <summary>The Levenshtein distance: how many single-character insertions, deletions or substitutions turn one into the other.</summary>
    private static int Distance(string a, string b)
    {
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (var j = 0; j <= b.Length; j++)
        {
            previous[j] = j;
        }

        for (var i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                var substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
                current[j] = Math.Min(substitution, Math.Min(previous[j] + 1, current[j - 1] + 1));
            }

            (previous, current) = (current, previous);
        }

        return previous[b.Length];
    }
}
