using System.Globalization;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Rein.Engine;
using Rein.Journal;

namespace Rein.Guard.Budgets;

/// <summary>
/// Keeps runs within their <see cref="BudgetLimits"/>: checked before every model call, it journals a
/// <see cref="BudgetWarning"/> once per budget and scope when usage passes the warning share, and a
/// <see cref="BudgetExceeded"/> when a budget is reached, stopping the run with <see cref="StopReason.BudgetExceeded"/>.
/// </summary>
/// <remarks>
/// <para>Where each budget stops a run:</para>
/// <list type="table">
/// <listheader><term>Budget</term><description>Where it stops</description></listheader>
/// <item><term><c>tokens</c> (session, principal_day)</term><description>Before the model call that would cross it: used + the call's
/// estimate (input ≈ UTF-8 bytes of the messages and tool definitions / 4, plus the output cap) &gt; limit. The call is not made.</description></item>
/// <item><term><c>cost</c> (session, principal_day)</term><description>Before the model call that would cross it: the same estimate priced at the
/// model's input price (no cache hits assumed) and output price. A model with no price counts as $0, with a logged warning.</description></item>
/// <item><term><c>steps</c> (session, principal_day)</term><description>Before the model call past the limit.</description></item>
/// <item><term><c>tool_calls</c> (session, principal_day)</term><description>The tool-call stage (<see cref="BudgetToolCallStages.UseToolCallBudget"/>)
/// refuses each call past the limit with an error result; the guard stops the run before the next model call.</description></item>
/// <item><term><c>time</c> (session, per run)</term><description>Before the next model call once the run's time is up; the tool-call stage
/// refuses tool calls from then on. A tool already running is not interrupted (tool timeouts bound it).</description></item>
/// </list>
/// <para>
/// Session budgets count the session's totals over all its runs, its finished sub-agents' included (<see cref="SessionState.Usage"/>,
/// <see cref="SessionState.CostUsd"/>, <see cref="SessionState.Steps"/> + <see cref="SessionState.SubAgentSteps"/>,
/// <see cref="SessionState.ToolCalls"/> + <see cref="SessionState.SubAgentToolCalls"/>); a running sub-agent is held to the share
/// <see cref="BudgetReservations"/> reserved for it. The time budget counts from
/// <see cref="StepGuardContext.RunStartedAt"/>, so the guard must share the loop's <see cref="TimeProvider"/>. Daily budgets
/// read the principal's usage from the <see cref="IUsageLedger"/> once per run, then add what the run uses from the live state.
/// </para>
/// <para>Register the guard in <c>AgentLoopOptions.StepGuards</c> and its stage in the tool-call pipeline. Thread-safe: one guard may serve many sessions.</para>
/// </remarks>
public sealed partial class BudgetGuard : IStepGuard
{
    private readonly BudgetLimits _limits;
    private readonly PriceTable _prices;
    private readonly IUsageLedger? _ledger;
    private readonly int _defaultOutputTokens;
    private readonly decimal _warnAt;
    private readonly TimeProvider _time;
    private readonly string? _shareOf;
    private readonly ILogger _logger;
    private readonly ConditionalWeakTable<SessionWriter, Tracker> _sessions = new();

    /// <summary>Creates a guard.</summary>
    /// <param name="options">The limits, prices and ledger.</param>
    /// <param name="timeProvider">The clock; it must be the agent loop's. <see langword="null"/> for the system clock.</param>
    /// <param name="loggerFactory">Logging; <see langword="null"/> for none.</param>
    /// <exception cref="ArgumentNullException"><paramref name="options"/> or one of its members is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><see cref="BudgetGuardOptions.DefaultMaxOutputTokens"/> is less than 1.</exception>
    public BudgetGuard(BudgetGuardOptions options, TimeProvider? timeProvider = null, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(options.Limits, nameof(options));
        ArgumentNullException.ThrowIfNull(options.Prices, nameof(options));
        ArgumentOutOfRangeException.ThrowIfLessThan(options.DefaultMaxOutputTokens, 1, nameof(options));
        _limits = options.Limits;
        _prices = options.Prices;
        _ledger = options.Ledger;
        _defaultOutputTokens = options.DefaultMaxOutputTokens;
        _warnAt = (decimal)(options.Limits.WarnAt ?? BudgetLimits.DefaultWarnAt);
        _time = timeProvider ?? TimeProvider.System;
        _shareOf = options.ShareOf;
        _logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger<BudgetGuard>();
    }

    /// <summary>Gets the limits in force.</summary>
    public BudgetLimits Limits => _limits;

    /// <inheritdoc />
    public async ValueTask<StepVerdict> BeforeModelCallAsync(StepGuardContext context, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (!_limits.HasLimits)
        {
            return StepVerdict.Continue;
        }

        var session = context.Session;
        var state = session.State;
        var tracker = _sessions.GetValue(session, _ => new Tracker());
        var daily = await DailyAsync(tracker, state, context.RunStartedAt, cancellationToken).ConfigureAwait(false);
        TimeSpan elapsed;
        lock (tracker.Gate)
        {
            if (tracker.RunStartedAt != context.RunStartedAt)
            {
                tracker.TimeRanOut = false;
            }

            tracker.RunStartedAt = context.RunStartedAt;
            elapsed = _time.GetElapsedTime(context.RunStartedAt);
            if (tracker.TimeRanOut && _limits.MaxTime is { } maxTime && elapsed < maxTime)
            {
                // A tool was cancelled by the time budget: the timer and the clock can disagree by a tick, the stop must not.
                elapsed = maxTime;
            }

            tracker.Daily = daily;
            tracker.Step = context.Step;
            tracker.ToolCallBaseline = state.ToolCalls;
            tracker.Admitted = 0;
        }

        var (tokens, cost) = Estimate(context, tracker);
        var events = new List<SessionEvent>();
        StepVerdict verdict = StepVerdict.Continue;
        foreach (var measure in Measures(state, daily, elapsed, tokens, cost))
        {
            if (measure.Used >= measure.Limit || measure.Used + measure.Next > measure.Limit)
            {
                var detail = Describe(measure, daily?.Principal, _shareOf);
                var used = measure.Used >= measure.Limit ? measure.Used : measure.Used + measure.Next;
                events.Add(new BudgetExceeded(measure.Budget, measure.Scope, (double)used, (double)measure.Limit, detail));
                verdict = StepVerdict.Stop(StopReason.BudgetExceeded, detail);
                break;
            }

            if (measure.Used >= measure.Limit * _warnAt && tracker.TryWarn(measure.Budget, measure.Scope))
            {
                events.Add(new BudgetWarning(measure.Budget, measure.Scope, (double)measure.Used, (double)measure.Limit));
            }
        }

        if (events.Count > 0)
        {
            // Journaled even when the run is being cancelled: a stop must say why.
            await session.AppendAsync(events, AppendDurability.Flushed, CancellationToken.None).ConfigureAwait(false);
        }

        return verdict;
    }

    /// <summary>Decides whether the tool-call stage may run a call (tool-call and time budgets).</summary>
    /// <param name="call">The call.</param>
    /// <param name="refusal">Why not, for the model.</param>
    /// <returns>Whether the call may run; if so it is counted.</returns>
    internal bool TryAdmitToolCall(ToolCall call, out string refusal)
    {
        refusal = "";
        if (_limits.MaxToolCalls is null && _limits.DailyMaxToolCalls is null && _limits.MaxTime is null)
        {
            return true;
        }

        var tracker = _sessions.GetValue(call.Session, _ => new Tracker());
        lock (tracker.Gate)
        {
            if (tracker.Step != call.Step)
            {
                // The guard did not see this step (it is not registered as a step guard): count from here.
                tracker.Step = call.Step;
                tracker.ToolCallBaseline = call.Session.State.ToolCalls;
                tracker.Admitted = 0;
            }

            if (_limits.MaxTime is { } maxTime && tracker.RunStartedAt != long.MinValue && _time.GetElapsedTime(tracker.RunStartedAt) >= maxTime)
            {
                refusal = $"Refused: this run's time budget ({FormatDuration(maxTime)}) is used up, so no more tools run. Finish with what you have; the run stops before the next model call.";
                return false;
            }

            // Finished sub-agents' calls are read live: a call after a task call in the same step must see them.
            var children = call.Session.State.SubAgentToolCalls;
            var used = tracker.ToolCallBaseline + tracker.Admitted + children;
            if (_limits.MaxToolCalls is { } max && used >= max)
            {
                refusal = _shareOf is null
                    ? $"Refused: this session's tool-call budget is used up ({used} of {max} calls). The run stops before the next model call; to allow more, raise budgets.session.max_tool_calls in settings."
                    : $"Refused: this sub-agent's share of the tool-call budget of session {_shareOf} is used up ({used} of {max} calls). The run stops before the next model call.";
                return false;
            }

            if (_limits.DailyMaxToolCalls is { } dailyMax && tracker.Daily is { } daily)
            {
                var dailyUsed = daily.Today.ToolCalls + (tracker.ToolCallBaseline + children - daily.ToolCalls) + tracker.Admitted;
                if (dailyUsed >= dailyMax)
                {
                    refusal = $"Refused: the daily tool-call budget of '{daily.Principal}' is used up ({dailyUsed} of {dailyMax} calls today, UTC). The run stops before the next model call; to allow more, raise budgets.daily.max_tool_calls in settings.";
                    return false;
                }
            }

            tracker.Admitted++;
            return true;
        }
    }

    /// <summary>How much of the run's time budget is left for a call, or null when there is no time budget (or the run is unknown).</summary>
    /// <param name="call">The call.</param>
    /// <returns>The time left, and the budget.</returns>
    internal (TimeSpan Left, TimeSpan Budget)? TimeLeft(ToolCall call)
    {
        if (_limits.MaxTime is not { } maxTime)
        {
            return null;
        }

        var tracker = _sessions.GetValue(call.Session, _ => new Tracker());
        lock (tracker.Gate)
        {
            return tracker.RunStartedAt == long.MinValue ? null : (maxTime - _time.GetElapsedTime(tracker.RunStartedAt), maxTime);
        }
    }

    /// <summary>Records that the run's time budget cancelled one of its tool calls, so the next step stops.</summary>
    /// <param name="call">The cancelled call.</param>
    internal void MarkTimeRanOut(ToolCall call)
    {
        var tracker = _sessions.GetValue(call.Session, _ => new Tracker());
        lock (tracker.Gate)
        {
            tracker.TimeRanOut = true;
        }
    }

    /// <summary>Gets the clock the guard measures time with.</summary>
    internal TimeProvider Time => _time;

    private async ValueTask<DailySnapshot?> DailyAsync(Tracker tracker, SessionState state, long runStartedAt, CancellationToken cancellationToken)
    {
        if (!_limits.HasDailyLimits || _ledger is null || state.Principal is not { Length: > 0 } principal)
        {
            return null;
        }

        lock (tracker.Gate)
        {
            if (tracker.RunStartedAt == runStartedAt && tracker.Daily is { } cached)
            {
                return cached;
            }
        }

        // The ledger counts this session as journaled so far; what the run adds is taken from the live state.
        var today = await _ledger.GetTodayAsync(principal, cancellationToken).ConfigureAwait(false);
        return new DailySnapshot(principal, today, state.Usage, state.CostUsd, state.Steps + state.SubAgentSteps, state.ToolCalls + state.SubAgentToolCalls);
    }

    private (long Tokens, decimal Cost) Estimate(StepGuardContext context, Tracker tracker)
    {
        if (_limits.MaxTokens is null && _limits.DailyMaxTokens is null && _limits.MaxCostUsd is null && _limits.DailyMaxCostUsd is null)
        {
            return (0, 0m);
        }

        var input = TokenEstimate.Of(context.Messages, context.Tools);
        var output = (long)(context.MaxOutputTokens ?? _defaultOutputTokens);
        if (_limits.MaxCostUsd is null && _limits.DailyMaxCostUsd is null)
        {
            return (input + output, 0m);
        }

        var model = context.ModelId ?? context.Session.State.Model;
        var price = _prices.Find(model, context.Session.State.Model);
        if (price is null)
        {
            if (tracker.TryWarn("unpriced", model))
            {
                Log.Unpriced(_logger, model);
            }

            return (input + output, 0m);
        }

        return (input + output, ((input * price.Input) + (output * price.Output)) / 1_000_000m);
    }

    private IEnumerable<Measure> Measures(SessionState state, DailySnapshot? daily, TimeSpan elapsed, long tokens, decimal cost)
    {
        const string S = BudgetScopes.Session;
        var steps = state.Steps + state.SubAgentSteps;
        var toolCalls = state.ToolCalls + state.SubAgentToolCalls;
        if (_limits.MaxTokens is { } maxTokens)
        {
            yield return new(BudgetNames.Tokens, S, state.Usage.InputTokens + state.Usage.OutputTokens, tokens, maxTokens);
        }

        if (_limits.MaxCostUsd is { } maxCost)
        {
            yield return new(BudgetNames.Cost, S, state.CostUsd, cost, maxCost);
        }

        if (_limits.MaxSteps is { } maxSteps)
        {
            yield return new(BudgetNames.Steps, S, steps, 1, maxSteps);
        }

        if (_limits.MaxToolCalls is { } maxToolCalls)
        {
            yield return new(BudgetNames.ToolCalls, S, toolCalls, 0, maxToolCalls);
        }

        if (_limits.MaxTime is { } maxTime)
        {
            yield return new(BudgetNames.Time, S, (decimal)elapsed.TotalSeconds, 0, (decimal)maxTime.TotalSeconds);
        }

        if (daily is null)
        {
            yield break;
        }

        const string D = BudgetScopes.PrincipalDay;
        if (_limits.DailyMaxTokens is { } dailyTokens)
        {
            var used = daily.Today.Tokens + (state.Usage.InputTokens + state.Usage.OutputTokens - (daily.Usage.InputTokens + daily.Usage.OutputTokens));
            yield return new(BudgetNames.Tokens, D, used, tokens, dailyTokens);
        }

        if (_limits.DailyMaxCostUsd is { } dailyCost)
        {
            yield return new(BudgetNames.Cost, D, daily.Today.CostUsd + (state.CostUsd - daily.Cost), cost, dailyCost);
        }

        if (_limits.DailyMaxSteps is { } dailySteps)
        {
            yield return new(BudgetNames.Steps, D, daily.Today.Steps + (steps - daily.Steps), 1, dailySteps);
        }

        if (_limits.DailyMaxToolCalls is { } dailyToolCalls)
        {
            yield return new(BudgetNames.ToolCalls, D, daily.Today.ToolCalls + (toolCalls - daily.ToolCalls), 0, dailyToolCalls);
        }
    }

    private static string Describe(Measure m, string? principal, string? shareOf)
    {
        var daily = m.Scope == BudgetScopes.PrincipalDay;
        var what = daily
            ? $"the daily {Noun(m.Budget)} budget of '{principal}'"
            : m.Budget == BudgetNames.Time ? "this run's time budget"
            : shareOf is not null ? $"this sub-agent's share of the {Noun(m.Budget)} budget of session {shareOf}"
            : $"this session's {Noun(m.Budget)} budget";
        var state = m.Used >= m.Limit
            ? $"{Capitalize(what)} is used up: {Format(m.Budget, m.Used)} of {Format(m.Budget, m.Limit)}{(daily ? " today (UTC)" : "")}."
            : $"The next model call would exceed {what}: {Format(m.Budget, m.Used)} used + about {Format(m.Budget, m.Next)} for the call (estimated) > {Format(m.Budget, m.Limit)}. The call was not made.";
        var raise = (m.Budget, daily) switch
        {
            (_, false) when shareOf is not null => $"raise the parent's budgets.session.{SettingsKey(m.Budget)} (each sub-agent gets a share of what its parent has not used or reserved)",
            (_, true) => $"raise budgets.daily.{SettingsKey(m.Budget)} in settings, or wait for the next day (00:00 UTC)",
            (BudgetNames.Tokens, false) => "use --max-tokens or raise budgets.session.max_tokens in settings",
            (BudgetNames.Cost, false) => "use --max-cost or raise budgets.session.max_cost_usd in settings",
            (BudgetNames.Time, false) => "use --max-time or raise budgets.session.max_time in settings",
            _ => $"raise budgets.session.{SettingsKey(m.Budget)} in settings",
        };
        return $"{state} To allow more, {raise}.";
    }

    private static string Noun(string budget) => budget switch
    {
        BudgetNames.Tokens => "token",
        BudgetNames.Cost => "cost",
        BudgetNames.Steps => "step",
        BudgetNames.ToolCalls => "tool-call",
        _ => budget,
    };

    private static string SettingsKey(string budget) => budget switch
    {
        BudgetNames.Tokens => "max_tokens",
        BudgetNames.Cost => "max_cost_usd",
        BudgetNames.Steps => "max_steps",
        BudgetNames.ToolCalls => "max_tool_calls",
        _ => "max_time",
    };

    private static string Capitalize(string text) => string.Concat(text[..1].ToUpperInvariant(), text[1..]);

    private static string Format(string budget, decimal amount) => budget switch
    {
        BudgetNames.Cost => string.Create(CultureInfo.InvariantCulture, $"${amount:0.00##}"),
        BudgetNames.Time => FormatDuration(TimeSpan.FromSeconds((double)amount)),
        BudgetNames.Tokens => string.Create(CultureInfo.InvariantCulture, $"{amount:#,0} tokens"),
        BudgetNames.Steps => string.Create(CultureInfo.InvariantCulture, $"{amount:0} steps"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{amount:0} tool calls"),
    };

    private static string FormatDuration(TimeSpan span)
    {
        var text = string.Concat(
            span.Days > 0 ? $"{span.Days}d" : "",
            span.Hours > 0 ? $"{span.Hours}h" : "",
            span.Minutes > 0 ? $"{span.Minutes}m" : "",
            span.Seconds > 0 ? $"{span.Seconds}s" : "");
        return text.Length > 0 ? text : "0s";
    }

    private sealed record Measure(string Budget, string Scope, decimal Used, decimal Next, decimal Limit);

    /// <summary>A principal's usage of today as the ledger read it, and the session's live totals at that moment.</summary>
    private sealed record DailySnapshot(string Principal, DailyUsage Today, TokenUsage Usage, decimal Cost, int Steps, int ToolCalls);

    /// <summary>What the guard remembers about one open session.</summary>
    private sealed class Tracker
    {
        private readonly HashSet<string> _warned = new(StringComparer.Ordinal);

        public Lock Gate { get; } = new();

        public long RunStartedAt { get; set; } = long.MinValue;

        public DailySnapshot? Daily { get; set; }

        public int Step { get; set; } = -1;

        public int ToolCallBaseline { get; set; }

        public int Admitted { get; set; }

        public bool TimeRanOut { get; set; }

        public bool TryWarn(string budget, string scope)
        {
            lock (Gate)
            {
                return _warned.Add($"{budget}|{scope}");
            }
        }
    }

    private static partial class Log
    {
        [LoggerMessage(LogLevel.Warning, "Model {Model} has no price: the cost budget counts its calls as $0. Add it under \"prices\" in settings.")]
        public static partial void Unpriced(ILogger logger, string model);
    }
}
