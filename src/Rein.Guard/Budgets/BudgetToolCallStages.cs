using Rein.Engine;
using Rein.Tools;

namespace Rein.Guard.Budgets;

/// <summary>The tool-call pipeline stage of the budgets.</summary>
public static class BudgetToolCallStages
{
    /// <summary>
    /// Refuses, with an error result the model sees, every tool call past the session's or the principal's daily
    /// <c>max_tool_calls</c>, and every tool call once the run's <c>max_time</c> is up. The guard, registered as a
    /// step guard too, then stops the run before the next model call.
    /// </summary>
    /// <param name="builder">The pipeline builder.</param>
    /// <param name="guard">The guard that also checks each step.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> or <paramref name="guard"/> is <see langword="null"/>.</exception>
    public static ToolCallPipelineBuilder UseToolCallBudget(this ToolCallPipelineBuilder builder, BudgetGuard guard)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(guard);
        return builder.Use(next => async (call, cancellationToken) =>
        {
            if (!guard.TryAdmitToolCall(call, out var refusal))
            {
                return ToolResult.Error(refusal);
            }

            if (guard.TimeLeft(call) is not { } time)
            {
                return await next(call, cancellationToken).ConfigureAwait(false);
            }

            // The run's time budget is a hard stop: a tool still running when it runs out is cancelled (a command's whole process group is killed).
            using var deadline = new CancellationTokenSource(time.Left > TimeSpan.Zero ? time.Left : TimeSpan.Zero, guard.Time);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token);
            try
            {
                return await next(call, linked.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                guard.MarkTimeRanOut(call);
                return ToolResult.Error($"Stopped: this run's time budget ({time.Budget}) ran out while {call.Request.Name} was running; it was cancelled and may have partly run. The run stops before the next model call.");
            }
        });
    }
}
