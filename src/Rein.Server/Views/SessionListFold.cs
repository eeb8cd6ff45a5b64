using Rein.Journal;

namespace Rein.Server.Views;

/// <summary>
/// The part of a session's journal its list view shows (agent, principal, parent, usage, cost), folded with the same rules as
/// <see cref="SessionState"/>, so a listing can apply only the events appended since it last looked and keep no conversation.
/// </summary>
/// <remarks>Immutable: <see cref="Apply"/> returns a new fold, so concurrent listings can share one.</remarks>
internal sealed class SessionListFold
{
    /// <summary>The fold of no events.</summary>
    public static readonly SessionListFold Empty = new();

    private SessionListFold()
    {
    }

    /// <summary>Gets the sequence number of the last event applied.</summary>
    public long Version { get; private set; }

    /// <summary>Gets the agent profile name, as <see cref="SessionState.Agent"/>.</summary>
    public string? Agent { get; private set; }

    /// <summary>Gets who started the session, as <see cref="SessionState.Principal"/>.</summary>
    public string? Principal { get; private set; }

    /// <summary>Gets where the session came from, as <see cref="SessionState.Origin"/>.</summary>
    public string? Origin { get; private set; }

    /// <summary>Gets the parent session, as <see cref="SessionState.ParentSessionId"/>.</summary>
    public string? ParentSessionId { get; private set; }

    /// <summary>Gets the token usage, as <see cref="SessionState.Usage"/>.</summary>
    public TokenUsage Usage { get; private set; } = TokenUsage.Zero;

    /// <summary>Gets the cost in US dollars, as <see cref="SessionState.CostUsd"/>.</summary>
    public decimal CostUsd { get; private set; }

    /// <summary>This fold with the next events applied, up to a version.</summary>
    /// <param name="events">Events in sequence order, the first following <see cref="Version"/>.</param>
    /// <param name="upToVersion">The last sequence number to apply: later events (appended after the listing's summary was read) are left for the next listing.</param>
    /// <returns>A new fold; this one is unchanged.</returns>
    /// <exception cref="InvalidOperationException">An event is out of order (as <see cref="SessionState.Apply(RecordedEvent)"/>).</exception>
    public SessionListFold Apply(IReadOnlyList<RecordedEvent> events, long upToVersion)
    {
        var next = (SessionListFold)MemberwiseClone();
        foreach (var recorded in events)
        {
            if (recorded.Sequence > upToVersion)
            {
                break;
            }

            if (recorded.Sequence != next.Version + 1)
            {
                throw new InvalidOperationException($"Event {recorded.Sequence} cannot follow version {next.Version}.");
            }

            switch (recorded.Event)
            {
                case SessionStarted s:
                    next.Agent = s.Agent;
                    next.Principal = s.Principal;
                    next.Origin = s.Origin;
                    next.ParentSessionId = s.ParentSessionId;
                    break;
                case ModelCalled m:
                    next.Usage += m.Usage;
                    next.CostUsd += m.CostUsd ?? 0m;
                    break;
                case RunSettingsChanged changed:
                    next.Agent = changed.Agent;
                    break;
                case SubAgentFinished child:
                    next.Usage += child.Usage;
                    next.CostUsd += child.CostUsd;
                    break;
                default:
                    // The other events change only what the list view does not show (the conversation, approvals, ...).
                    break;
            }

            next.Version = recorded.Sequence;
        }

        return next;
    }
}
