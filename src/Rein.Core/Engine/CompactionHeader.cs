using System.Globalization;

namespace Rein.Engine;

/// <summary>
/// The first line of the message that replaces compacted turns. It names the last step replaced, so anything
/// that counts model turns in a conversation (scripted and replayed models) still knows which step comes next.
/// </summary>
public static class CompactionHeader
{
    private const string Start = "[Context compacted: the conversation up to step ";

    /// <summary>The header for a compaction that replaced steps 1 to <paramref name="throughStep"/>.</summary>
    public static string Format(int throughStep) => string.Create(CultureInfo.InvariantCulture,
        $"{Start}{throughStep} was replaced by this summary. The journal keeps everything; read_output(step=N) shows any earlier tool output in full.]");

    /// <summary>Reads the last step replaced from a message that starts with the header.</summary>
    public static bool TryParse(string? text, out int throughStep)
    {
        throughStep = 0;
        if (text is null || !text.StartsWith(Start, StringComparison.Ordinal))
        {
            return false;
        }

        var digits = text.AsSpan(Start.Length);
        var end = digits.IndexOf(' ');
        return end > 0 && int.TryParse(digits[..end], NumberStyles.None, CultureInfo.InvariantCulture, out throughStep);
    }

    /// <summary>How many model turns a conversation holds: those shown, plus those a compaction summary replaced.</summary>
    public static int CountTurns(IEnumerable<Microsoft.Extensions.AI.ChatMessage> messages)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var turns = 0;
        foreach (var message in messages)
        {
            if (message.Role == Microsoft.Extensions.AI.ChatRole.Assistant)
            {
                turns++;
            }
            else if (message.Role == Microsoft.Extensions.AI.ChatRole.User && TryParse(message.Text, out var replaced))
            {
                turns = replaced;
            }
        }

        return turns;
    }
}
