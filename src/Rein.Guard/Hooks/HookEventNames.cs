namespace Rein.Guard.Hooks;

/// <summary>The lifecycle events hooks can run at, named as in Claude Code's settings.</summary>
public static class HookEventNames
{
    /// <summary>Before a tool call runs, after its arguments were validated; hooks may deny, ask, allow or rewrite it.</summary>
    public const string PreToolUse = "PreToolUse";

    /// <summary>After a tool call ran; hooks may replace or extend the observation the model sees.</summary>
    public const string PostToolUse = "PostToolUse";

    /// <summary>When a session starts or resumes; plain output and <c>additionalContext</c> become context for the model.</summary>
    public const string SessionStart = "SessionStart";

    /// <summary>When the user sends a prompt; hooks may reject it or add context.</summary>
    public const string UserPromptSubmit = "UserPromptSubmit";

    /// <summary>Before the conversation is compacted.</summary>
    public const string PreCompact = "PreCompact";

    /// <summary>When a run is about to stop; a blocking hook asks the agent to keep going.</summary>
    public const string Stop = "Stop";

    /// <summary>When a tool call waits for a person's approval; hooks may answer it.</summary>
    public const string ApprovalRequested = "ApprovalRequested";

    /// <summary>Gets every supported event, in the order they are documented.</summary>
    public static IReadOnlyList<string> All { get; } =
        [PreToolUse, PostToolUse, SessionStart, UserPromptSubmit, PreCompact, Stop, ApprovalRequested];

    /// <summary>Gets whether hooks for the event are matched against a tool name (the others match a source or trigger, or everything).</summary>
    /// <param name="hookEvent">The event name.</param>
    /// <returns><see langword="true"/> for <see cref="PreToolUse"/>, <see cref="PostToolUse"/> and <see cref="ApprovalRequested"/>.</returns>
    internal static bool IsToolEvent(string hookEvent) => hookEvent is PreToolUse or PostToolUse or ApprovalRequested;
}
