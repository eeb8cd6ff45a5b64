using Rein.Journal;

namespace Rein.Guard.Budgets;

/// <summary>
/// Reserves sub-agents' shares of a session's budgets from what the session has left, atomically, and gives back what a
/// sub-agent did not use when it ends.
/// </summary>
/// <remarks>
/// <para>
/// The rule, for each session budget the parent limits (tokens, cost, steps, tool calls): a sub-agent gets
/// <c>share</c> of what is unreserved when it starts, rounded down (to a whole token, step or call, or a micro-dollar), where
/// unreserved = the parent's limit − what the parent has used − what is reserved. Used is the parent's journaled usage, its
/// finished sub-agents' included (<see cref="BudgetUsage.Of"/>), plus one tool call for each of its calls that has no result yet
/// (each will count once it completes). Reserved is the sum of the shares of the parent's sub-agents that are running, and of
/// what sub-agents that ended used, until the parent's journal holds their result. With a share of one half, parallel sub-agents
/// get ½, ¼, ⅛… of what was left, so together they never get more than the parent had left. A share of zero is possible: that
/// sub-agent stops before its first model call with <c>budget_exceeded</c>. The time budget is wall-clock time per run, which
/// parallel sub-agents spend together: each gets <c>share</c> of the parent's.
/// </para>
/// <para>
/// Nothing here is journaled: a reservation lives as long as its sub-agent runs in this process. If the process dies, the
/// reservation dies with it, and what the sub-agent used is counted from its journal when the parent is resumed
/// (a <see cref="SubAgentFinished"/> journaled then).
/// </para>
/// <para>Thread-safe: every reservation of a session sees every earlier one.</para>
/// </remarks>
public sealed class BudgetReservations
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, List<BudgetReservation>> _held = new(StringComparer.Ordinal);

    /// <summary>Reserves a sub-agent's share of what a session has left of its session budgets.</summary>
    /// <param name="limits">The session's limits (the parent's).</param>
    /// <param name="parent">
    /// The parent's state, folded from its journal after the sub-agent's <c>task</c> call started (so that call is pending in it).
    /// </param>
    /// <param name="callId">The parent's <c>task</c> call that starts the sub-agent.</param>
    /// <param name="share">The part of what is unreserved the sub-agent gets: above 0, at most 1.</param>
    /// <returns>The reservation; its <see cref="BudgetReservation.Limits"/> are the sub-agent's. Complete or dispose it when the sub-agent ends.</returns>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="share"/> is not above 0 and at most 1.</exception>
    public BudgetReservation Reserve(BudgetLimits limits, SessionState parent, string callId, double share)
    {
        ArgumentNullException.ThrowIfNull(limits);
        ArgumentNullException.ThrowIfNull(parent);
        ArgumentNullException.ThrowIfNull(callId);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(share);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(share, 1);
        var pending = parent.PendingToolCalls.Select(c => c.CallId).ToHashSet(StringComparer.Ordinal);
        var used = BudgetUsage.Of(parent) + new BudgetUsage(0, 0m, 0, pending.Count);
        lock (_gate)
        {
            if (!_held.TryGetValue(parent.SessionId, out var held))
            {
                held = [];
                _held[parent.SessionId] = held;
            }

            // A sub-agent that ended and whose call has a result in this state is in the state's totals: it no longer holds anything.
            // The journal only grows, so every later state holds it too.
            held.RemoveAll(r => r.Ended && !pending.Contains(r.CallId));
            var reserved = held.Aggregate(BudgetUsage.Zero, (sum, r) => sum + r.Held);
            var left = used + reserved;
            var part = (decimal)share;
            var child = limits with
            {
                MaxTokens = limits.MaxTokens is { } tokens ? (long)(Math.Max(0, tokens - left.Tokens) * part) : null,
                MaxCostUsd = limits.MaxCostUsd is { } cost ? decimal.Round(Math.Max(0m, cost - left.CostUsd) * part, 6, MidpointRounding.ToZero) : null,
                MaxSteps = limits.MaxSteps is { } steps ? (int)(Math.Max(0, steps - left.Steps) * part) : null,
                MaxToolCalls = limits.MaxToolCalls is { } calls ? (int)(Math.Max(0, calls - left.ToolCalls) * part) : null,
                MaxTime = limits.MaxTime is { } time ? TimeSpan.FromSeconds(Math.Max(1, Math.Floor(time.TotalSeconds * share))) : null,
            };
            var reservation = new BudgetReservation(this, parent.SessionId, callId, child);
            held.Add(reservation);
            return reservation;
        }
    }

    /// <summary>Gets what a session's sub-agents hold now (running ones their share, ended ones what they used until their result is journaled).</summary>
    /// <param name="sessionId">The parent session.</param>
    /// <returns>The sum.</returns>
    public BudgetUsage HeldBy(string sessionId)
    {
        ArgumentNullException.ThrowIfNull(sessionId);
        lock (_gate)
        {
            return _held.TryGetValue(sessionId, out var held) ? held.Aggregate(BudgetUsage.Zero, (sum, r) => sum + r.Held) : BudgetUsage.Zero;
        }
    }

    internal void Complete(BudgetReservation reservation, BudgetUsage used)
    {
        lock (_gate)
        {
            reservation.Held = used;
            reservation.Ended = true;
        }
    }

    internal void Release(BudgetReservation reservation)
    {
        lock (_gate)
        {
            if (reservation.Ended || !_held.TryGetValue(reservation.SessionId, out var held))
            {
                return;
            }

            held.Remove(reservation);
            if (held.Count == 0)
            {
                _held.Remove(reservation.SessionId);
            }
        }
    }
}

/// <summary>One sub-agent's share of its parent's budgets (see <see cref="BudgetReservations"/>).</summary>
/// <remarks>Thread-safe.</remarks>
public sealed class BudgetReservation : IDisposable
{
    private readonly BudgetReservations _owner;

    internal BudgetReservation(BudgetReservations owner, string sessionId, string callId, BudgetLimits limits)
    {
        _owner = owner;
        SessionId = sessionId;
        CallId = callId;
        Limits = limits;
        Held = new BudgetUsage(limits.MaxTokens ?? 0, limits.MaxCostUsd ?? 0m, limits.MaxSteps ?? 0, limits.MaxToolCalls ?? 0);
    }

    /// <summary>Gets the parent session.</summary>
    public string SessionId { get; }

    /// <summary>Gets the parent's <c>task</c> call.</summary>
    public string CallId { get; }

    /// <summary>Gets the sub-agent's limits: the parent's, with each limited session budget replaced by the sub-agent's share.</summary>
    public BudgetLimits Limits { get; }

    /// <summary>Gets whether the sub-agent ended (<see cref="Complete"/>).</summary>
    internal bool Ended { get; set; }

    /// <summary>Gets what the reservation holds of the parent's budgets.</summary>
    internal BudgetUsage Held { get; set; }

    /// <summary>
    /// Records that the sub-agent ended, whatever the reason: what it did not use of its share is given back at once; what it used
    /// stays held until the parent's journal holds the <c>task</c> call's result (which counts it).
    /// </summary>
    /// <param name="used">What the sub-agent used, its own sub-agents' included (<see cref="BudgetUsage.Of"/> of its state).</param>
    public void Complete(BudgetUsage used) => _owner.Complete(this, used);

    /// <summary>Gives the whole share back unless <see cref="Complete"/> was called: for a sub-agent that never ran.</summary>
    public void Dispose() => _owner.Release(this);
}

/// <summary>What counts toward session budgets: tokens (input plus output), cost, steps and tool calls.</summary>
/// <param name="Tokens">Input plus output tokens.</param>
/// <param name="CostUsd">The priced cost in US dollars.</param>
/// <param name="Steps">Model calls.</param>
/// <param name="ToolCalls">Completed tool calls.</param>
public readonly record struct BudgetUsage(long Tokens, decimal CostUsd, int Steps, int ToolCalls)
{
    /// <summary>Gets nothing used.</summary>
    public static BudgetUsage Zero => default;

    /// <summary>Gets what a session used, its finished sub-agents' included.</summary>
    /// <param name="state">The session's state.</param>
    /// <returns>The usage.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="state"/> is <see langword="null"/>.</exception>
    public static BudgetUsage Of(SessionState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        return new(state.Usage.InputTokens + state.Usage.OutputTokens, state.CostUsd, state.Steps + state.SubAgentSteps, state.ToolCalls + state.SubAgentToolCalls);
    }

    /// <summary>Adds two usages.</summary>
    /// <param name="left">One.</param>
    /// <param name="right">The other.</param>
    /// <returns>The sum.</returns>
    public static BudgetUsage operator +(BudgetUsage left, BudgetUsage right) =>
        new(left.Tokens + right.Tokens, left.CostUsd + right.CostUsd, left.Steps + right.Steps, left.ToolCalls + right.ToolCalls);

    /// <summary>Adds two usages.</summary>
    /// <param name="left">One.</param>
    /// <param name="right">The other.</param>
    /// <returns>The sum.</returns>
    public static BudgetUsage Add(BudgetUsage left, BudgetUsage right) => left + right;
}
