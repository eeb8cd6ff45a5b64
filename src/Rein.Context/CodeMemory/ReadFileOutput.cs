using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Rein.Context.CodeMemory;

/// <summary>Reads the file lines out of the built-in <c>read_file</c> tool's output (<c>%6d\t</c>-numbered lines and an optional range footer).</summary>
public static partial class ReadFileOutput
{
    /// <summary>Parses an observation of <c>read_file</c>.</summary>
    /// <param name="arguments">The call's arguments (for the path).</param>
    /// <param name="output">The observation.</param>
    /// <returns>The lines shown, or <see langword="null"/> when the output is not a numbered listing (an error, an empty file).</returns>
    public static FileView? Parse(JsonElement? arguments, string output)
    {
        ArgumentNullException.ThrowIfNull(output);
        if (arguments is not { ValueKind: JsonValueKind.Object } args
            || !args.TryGetProperty("path", out var pathElement) || pathElement.ValueKind != JsonValueKind.String
            || output.Length == 0)
        {
            return null;
        }

        var lines = output.Split('\n');
        var count = lines.Length;
        var reachesEnd = true;
        var footer = Footer().Match(lines[^1]);
        if (footer.Success)
        {
            count--;
            reachesEnd = footer.Groups[2].Value == footer.Groups[3].Value;
        }

        var shown = new List<string>(count);
        var start = 0;
        for (var i = 0; i < count; i++)
        {
            var tab = lines[i].IndexOf('\t', StringComparison.Ordinal);
            if (tab < 1 || !int.TryParse(lines[i].AsSpan(0, tab), NumberStyles.AllowLeadingWhite, CultureInfo.InvariantCulture, out var number))
            {
                return null;
            }

            if (i == 0)
            {
                start = number;
            }
            else if (number != start + i)
            {
                return null;
            }

            var text = lines[i][(tab + 1)..];
            if (text.EndsWith(" characters]", StringComparison.Ordinal) && text.Contains("... [line cut, ", StringComparison.Ordinal))
            {
                // A cut line is not the file's line: what the context holds of this file is incomplete.
                return null;
            }

            shown.Add(text);
        }

        return shown.Count == 0 ? null : new FileView(pathElement.GetString()!, start, shown, reachesEnd);
    }

    [GeneratedRegex(@"^\[lines (\d+)-(\d+) of (\d+)")]
    private static partial Regex Footer();
}
