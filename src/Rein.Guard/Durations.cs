using System.Globalization;
using System.Text.RegularExpressions;

namespace Rein.Guard;

/// <summary>Durations as people write them in settings and flags: <c>90s</c>, <c>30m</c>, <c>2h</c>, <c>1h30m</c>, <c>1d</c>.</summary>
public static partial class Durations
{
    /// <summary>Parses a duration.</summary>
    /// <param name="text">The text, e.g. <c>1h30m</c>; a bare number means seconds.</param>
    /// <returns>The duration.</returns>
    /// <exception cref="FormatException">The text is not a positive duration.</exception>
    public static TimeSpan Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var trimmed = text.Trim();
        if (double.TryParse(trimmed, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var seconds) && seconds > 0)
        {
            return TimeSpan.FromSeconds(seconds);
        }

        var match = Pattern().Match(trimmed);
        if (!match.Success || trimmed.Length == 0)
        {
            throw new FormatException($"'{text}' is not a duration; write e.g. 90s, 30m, 2h, 1h30m or 1d.");
        }

        var total = TimeSpan.Zero;
        foreach (Capture part in match.Groups["part"].Captures)
        {
            var value = double.Parse(part.Value[..^1], CultureInfo.InvariantCulture);
            total += part.Value[^1] switch
            {
                'd' => TimeSpan.FromDays(value),
                'h' => TimeSpan.FromHours(value),
                'm' => TimeSpan.FromMinutes(value),
                _ => TimeSpan.FromSeconds(value),
            };
        }

        return total > TimeSpan.Zero ? total : throw new FormatException($"'{text}' must be longer than zero.");
    }

    [GeneratedRegex(@"^(?<part>\d+(\.\d+)?[dhms])+$", RegexOptions.CultureInvariant)]
    private static partial Regex Pattern();
}
