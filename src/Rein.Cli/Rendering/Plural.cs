using System.Globalization;

namespace Rein.Cli.Rendering;

/// <summary>Counts with their noun in the right number: "1 step", "2 steps", "1,024 tokens".</summary>
internal static class Plural
{
    /// <summary>The count (grouped by thousands) and the singular or plural noun.</summary>
    /// <param name="count">How many.</param>
    /// <param name="singular">The noun for one, e.g. <c>step</c> or <c>tool call</c>.</param>
    /// <param name="plural">The noun for any other count; by default <paramref name="singular"/> with an <c>s</c>.</param>
    public static string Of(long count, string singular, string? plural = null) =>
        string.Create(CultureInfo.InvariantCulture, $"{count:N0} {(count == 1 ? singular : plural ?? singular + "s")}");
}
