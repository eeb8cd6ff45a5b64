using System.Text.RegularExpressions;

namespace Rein.Evals.Running;

/// <summary>Reads per-test results from pytest's short summary (<c>-rA</c>): lines such as <c>PASSED tests/test_outputs.py::test_x</c>.</summary>
internal static partial class PytestSummary
{
    /// <summary>The tests named in the output, once each (the last line about a test wins), in the order first seen.</summary>
    public static List<EvalTestResult> Parse(string output)
    {
        var results = new List<EvalTestResult>();
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var raw in output.ReplaceLineEndings("\n").Split('\n'))
        {
            var match = SummaryLine().Match(Escapes().Replace(raw, "").TrimEnd());
            if (!match.Success)
            {
                continue;
            }

            // SKIPPED lines name a location ("[1] tests/t.py:12: why"), the others a test id.
            var name = match.Groups["skip"].Success ? match.Groups["skip"].Value : match.Groups["name"].Value;
            var result = new EvalTestResult(name, match.Groups["outcome"].Value.ToLowerInvariant());
            if (index.TryGetValue(name, out var at))
            {
                results[at] = result;
            }
            else
            {
                index[name] = results.Count;
                results.Add(result);
            }
        }

        return results;
    }

    [GeneratedRegex(@"^(?<outcome>PASSED|FAILED|ERROR|XFAIL|XPASS|SKIPPED) (?:\[\d+\] (?<skip>[^\s:]+:\d+)(?:: .*)?|(?<name>[^\s\[]+(?:\[[^\]]*\])?)(?: - .*)?)$")]
    private static partial Regex SummaryLine();

    [GeneratedRegex(@"\x1b\[[0-9;]*m")]
    private static partial Regex Escapes();
}
