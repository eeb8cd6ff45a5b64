using System.Text.RegularExpressions;

namespace Rein.Evals.Suites;

/// <summary>Makes task files that PyYAML (which Terminal-Bench uses) loads load here too.</summary>
/// <remarks>
/// The YAML parser refuses a block scalar (<c>instruction: |</c>) whose first lines hold only spaces, as many as the text's
/// indentation or fewer ("found extra spaces in first line"); YAML and PyYAML read such lines as empty lines. They are made
/// empty before parsing, which keeps the value; lines with more spaces than the text's indentation are left alone.
/// </remarks>
internal static partial class PyYamlCompatibility
{
    public static string Prepare(string yaml)
    {
        var lines = yaml.Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            if (!BlockScalarHeader().IsMatch(lines[i].TrimEnd('\r')))
            {
                continue;
            }

            var first = i + 1;
            while (first < lines.Length && lines[first].TrimEnd('\r').All(c => c == ' '))
            {
                first++;
            }

            if (first == i + 1 || first == lines.Length)
            {
                continue;
            }

            var indent = lines[first].Length - lines[first].TrimStart(' ').Length;
            for (var j = i + 1; j < first; j++)
            {
                if (lines[j].TrimEnd('\r').Length <= indent)
                {
                    lines[j] = lines[j].EndsWith('\r') ? "\r" : "";
                }
            }

            i = first - 1;
        }

        return string.Join('\n', lines);
    }

    /// <summary>A line that starts a literal or folded block scalar: <c>key: |</c>, <c>- &gt;-</c>, <c>key: |2+ # note</c>.</summary>
    [GeneratedRegex(@"(^|[:\-]\s)\s*[|>][+-]?[1-9]?[+-]?\s*(#.*)?$")]
    private static partial Regex BlockScalarHeader();
}
