using Rein.Journal;

namespace Rein.Engine;

/// <summary>Something the loop reports while it works: journal events, streamed text and progress.</summary>
public abstract record AgentUpdate;

/// <summary>An event was durably appended to the journal.</summary>
/// <param name="Recorded">The recorded event.</param>
public sealed record EventAppended(RecordedEvent Recorded) : AgentUpdate;

/// <summary>A piece of assistant text streamed from the model.</summary>
/// <param name="Text">The text delta.</param>
public sealed record TextDelta(string Text) : AgentUpdate;

/// <summary>A model call started.</summary>
/// <param name="Step">The step number.</param>
public sealed record ModelCallStarted(int Step) : AgentUpdate;

/// <summary>A progress line from a running tool.</summary>
/// <param name="CallId">The call.</param>
/// <param name="Message">The progress text.</param>
public sealed record ToolProgress(string CallId, string Message) : AgentUpdate;

/// <summary>The loop stopped; always the last update of a run.</summary>
/// <param name="Reason">A <see cref="StopReason"/> value.</param>
/// <param name="Detail">A human-readable explanation, if any.</param>
public sealed record RunStopped(string Reason, string? Detail) : AgentUpdate;
