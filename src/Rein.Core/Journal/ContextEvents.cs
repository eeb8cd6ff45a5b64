namespace Rein.Journal;

/// <summary>
/// Older turns of the conversation were replaced, in the model's context, by a summary. The journal
/// keeps every replaced event; only what the model is shown changes.
/// </summary>
/// <param name="Trigger">Why: <c>auto</c> (the context passed its threshold) or <c>manual</c> (<c>/compact</c>).</param>
/// <param name="ReplacedMessages">How many conversation messages, from the start, the summary replaces.</param>
/// <param name="ThroughStep">The last step whose messages were replaced.</param>
/// <param name="Summary">The text the model is shown instead: the model's summary and the parts carried over verbatim.</param>
/// <param name="TokensBefore">The context's size, in tokens, before.</param>
/// <param name="TokensAfter">The context's size, in tokens, after.</param>
public sealed record ContextCompacted(
    string Trigger,
    int ReplacedMessages,
    int ThroughStep,
    string Summary,
    long TokensBefore,
    long TokensAfter) : SessionEvent;

/// <summary>
/// Tool observations up to a step were replaced, in the model's context, by one-line stubs that say how
/// to get them back (<c>read_output</c>). Recorded where it happened so the context re-renders identically.
/// </summary>
/// <param name="ThroughStep">Observations of this step and earlier may be masked.</param>
/// <param name="Observations">How many observations were masked.</param>
/// <param name="TokensSaved">How many tokens the context lost.</param>
/// <param name="Reason">Why it paid off now (the cost estimate).</param>
public sealed record ObservationsMasked(int ThroughStep, int Observations, long TokensSaved, string Reason) : SessionEvent;
