using System.Globalization;
using System.Text;

namespace Rein.Context.Compaction;

/// <summary>
/// A summary made without a model: one line per replaced step. Used when the model cannot be asked
/// (replays, a failed summary call).
/// </summary>
public static class ExtractiveSummary
{
    private const int MaxSteps = 60;

    /// <summary>The goal verbatim and one line per replaced step (the replay benchmark's summary).</summary>
    public static string For(ContextLedger ledger, string goal, int replacedMessages)
    {
        ArgumentNullException.ThrowIfNull(goal);
        return new StringBuilder()
            .Append("[Earlier turns were compacted. The user's goal, verbatim:]\n")
            .Append(goal)
            .Append("\n\n")
            .Append(Steps(ledger, replacedMessages))
            .ToString();
    }

    /// <summary>One line per step among the items before <paramref name="replacedMessages"/>: the call and whether it failed.</summary>
    public static string Steps(ContextLedger ledger, int replacedMessages)
    {
        ArgumentNullException.ThrowIfNull(ledger);
        var steps = ledger.Items
            .Where(i => i.Kind == ContextItemKind.Observation && i.MessageIndex < replacedMessages)
            .Select(i => string.Create(CultureInfo.InvariantCulture, $"- step {i.Step}: {i.CallSummary}{(i.IsError ? " (failed)" : "")}"))
            .ToList();
        var text = new StringBuilder("Steps taken (read_output(step=N) shows any step's whole output):\n");
        if (steps.Count > MaxSteps)
        {
            text.Append(CultureInfo.InvariantCulture, $"- … {steps.Count - MaxSteps} earlier steps\n");
        }

        foreach (var line in steps.Skip(Math.Max(0, steps.Count - MaxSteps)))
        {
            text.Append(line).Append('\n');
        }

        return text.ToString();
    }
}
