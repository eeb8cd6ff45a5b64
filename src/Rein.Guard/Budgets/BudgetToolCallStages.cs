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
        return builder.Use(next => (call, cancellationToken) =>
            guard.TryAdmitToolCall(call, out var refusal)
                ? next(call, cancellationToken)
                : ValueTask.FromResult(ToolResult.Error(refusal)));
    }
}
