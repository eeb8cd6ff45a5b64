using System.Text;

namespace Rein.Journal;

/// <summary>
/// Long-term memories were recalled into the conversation (at the start of a session, or when the task shifted).
/// The session state adds them to the conversation as one user-role <c>&lt;memories&gt;</c> block (see <see cref="ToPromptText"/>),
/// so a resumed session shows the model exactly what it saw.
/// </summary>
/// <param name="Reason">One of <see cref="MemoryRecallReasons"/>: <c>session_start</c> or <c>task_shift</c>.</param>
/// <param name="Memories">The memories recalled, preferences first.</param>
public sealed record MemoriesRecalled(string Reason, IReadOnlyList<RecalledMemory> Memories) : SessionEvent
{
    /// <summary>Renders the memories as the block the model sees: one line per memory with its id, scope and kind, preferences first.</summary>
    /// <returns>The text, delimited by <c>&lt;memories&gt;</c> and <c>&lt;/memories&gt;</c>.</returns>
    public string ToPromptText()
    {
        var text = new StringBuilder("<memories>\n")
            .Append("Long-term memories recalled from earlier sessions. Preferences always apply; facts may be stale. ")
            .Append("Use forget with an id to delete a wrong one.\n");
        foreach (var memory in Memories.Where(m => m.Kind == RecalledMemory.PreferenceKind).Concat(Memories.Where(m => m.Kind != RecalledMemory.PreferenceKind)))
        {
            text.Append("- [").Append(memory.Id).Append("] (").Append(memory.Scope)
                .Append(memory.Kind == RecalledMemory.PreferenceKind ? " preference" : "").Append(") ")
                .Append(OneLine(memory.Text)).Append('\n');
        }

        return text.Append("</memories>").ToString();
    }

    // A memory is one line, and it cannot close the block early.
    private static string OneLine(string text) =>
        text.ReplaceLineEndings(" ").Replace("</memories>", "</ memories>", StringComparison.OrdinalIgnoreCase).Trim();
}

/// <summary>One memory as recalled into a conversation.</summary>
/// <param name="Id">The memory's identifier, e.g. <c>m_7k2q9d3xa1</c>.</param>
/// <param name="Scope"><c>user</c>, <c>agent</c> or <c>project</c>.</param>
/// <param name="Kind"><c>fact</c> or <c>preference</c> (preferences are always in context).</param>
/// <param name="Text">The memory's text.</param>
public sealed record RecalledMemory(string Id, string Scope, string Kind, string Text)
{
    /// <summary>The <see cref="Kind"/> of a preference.</summary>
    public const string PreferenceKind = "preference";
}

/// <summary>Why memories were recalled (<see cref="MemoriesRecalled.Reason"/>).</summary>
public static class MemoryRecallReasons
{
    /// <summary>The first message of a session.</summary>
    public const string SessionStart = "session_start";

    /// <summary>A new message moved to a different task.</summary>
    public const string TaskShift = "task_shift";
}
