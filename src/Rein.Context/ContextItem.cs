using Microsoft.Extensions.AI;
using Rein.Context.CodeMemory;

namespace Rein.Context;

/// <summary>What a context item is.</summary>
public enum ContextItemKind
{
    /// <summary>A user message.</summary>
    User,

    /// <summary>A model turn: its text and tool calls.</summary>
    Assistant,

    /// <summary>A tool call's observation.</summary>
    Observation,

    /// <summary>The summary that replaced compacted turns.</summary>
    Summary,
}

/// <summary>The mechanism that made an item smaller than the original.</summary>
public enum ContextSaving
{
    /// <summary>Shown as it was.</summary>
    None,

    /// <summary>A re-read shown as a reference or a diff, or a repeated output shown as a reference.</summary>
    CodeMemory,

    /// <summary>A large output cut head and tail.</summary>
    Truncation,

    /// <summary>An old observation replaced by a stub.</summary>
    Masking,

    /// <summary>Replaced by the compaction summary.</summary>
    Compaction,
}

/// <summary>One message (or one tool observation) of a session's context: what happened and what the model is shown.</summary>
public sealed class ContextItem
{
    internal ContextItem(ContextItemKind kind, int step, int messageIndex, string original)
    {
        Kind = kind;
        Step = step;
        MessageIndex = messageIndex;
        Original = original;
        Rendered = original;
    }

    /// <summary>Gets what the item is.</summary>
    public ContextItemKind Kind { get; }

    /// <summary>Gets the step (model call) the item belongs to; 0 before the first.</summary>
    public int Step { get; }

    /// <summary>Gets the index of the conversation message the item came from.</summary>
    public int MessageIndex { get; }

    /// <summary>Gets the tool call identifier of an observation.</summary>
    public string? CallId { get; init; }

    /// <summary>Gets the tool name of an observation.</summary>
    public string? Tool { get; init; }

    /// <summary>Gets a short description of the call that made an observation (tool and main argument).</summary>
    public string? CallSummary { get; init; }

    /// <summary>Gets whether an observation reports a failed call.</summary>
    public bool IsError { get; init; }

    /// <summary>Gets the lines of a file an observation shows, when it is a read.</summary>
    public FileView? View { get; init; }

    /// <summary>Gets the assistant message as the model produced it (real sessions).</summary>
    public ChatMessage? Message { get; init; }

    /// <summary>
    /// Gets what an assistant turn becomes when masked: its text with large tool-call payloads (file contents
    /// it wrote, which are on disk) replaced by a note; <see langword="null"/> when it has none worth eliding.
    /// </summary>
    public string? ElidedText { get; init; }

    /// <summary>Gets the message matching <see cref="ElidedText"/> (real sessions).</summary>
    public ChatMessage? ElidedMessage { get; init; }

    /// <summary>Gets the whole original text (for an assistant turn: its text and calls).</summary>
    public string Original { get; }

    /// <summary>Gets the text the model is shown.</summary>
    public string Rendered { get; internal set; }

    /// <summary>Gets the tokens of <see cref="Original"/>.</summary>
    public int OriginalTokens { get; internal set; }

    /// <summary>Gets the tokens of <see cref="Rendered"/>.</summary>
    public int RenderedTokens { get; internal set; }

    /// <summary>Gets what made the item smaller, if anything.</summary>
    public ContextSaving Saving { get; internal set; }

    /// <summary>Gets whether the item was masked (replaced by a stub).</summary>
    public bool Masked => Saving == ContextSaving.Masking;

    /// <summary>Gets the steps whose observations this item refers to (a reference or a diff against them).</summary>
    public IReadOnlySet<int> DependsOn { get; internal set; } = new HashSet<int>();
}
