using Rein.Engine;
using Rein.Journal;
using Rein.Tools;

namespace Rein.Guard.Hooks;

/// <summary>Tool-call pipeline stages that run <c>PreToolUse</c> and <c>PostToolUse</c> hooks.</summary>
public static class HookStages
{
    /// <summary>
    /// The <see cref="ToolCall.Properties"/> key set when a <c>PreToolUse</c> hook allowed the call; its value is the hook's
    /// reason. The policy stage then turns an <c>ask</c> into an allow (deny rules still win).
    /// </summary>
    public const string AllowProperty = "hook.allow";

    /// <summary>The <see cref="ToolCall.Properties"/> key set when a <c>PreToolUse</c> hook asked for approval; its value is the hook's reason.</summary>
    public const string AskProperty = "hook.ask";

    // Set by the inner half of the PostToolUse stage: the call reached the tool, with these arguments.
    private const string RanProperty = "hook.post.ran";

    /// <summary>
    /// Runs the <c>PreToolUse</c> hooks that match each call: a denial becomes an error result with the hook's reason and
    /// the tool never runs; rewritten arguments are checked against the tool's schema and passed on; an allow or ask is
    /// left in <see cref="ToolCall.Properties"/> (<see cref="AllowProperty"/>, <see cref="AskProperty"/>) for the policy stage.
    /// </summary>
    /// <param name="builder">The pipeline builder.</param>
    /// <param name="runner">The hook runner.</param>
    /// <returns>The builder.</returns>
    /// <remarks>Add it before the policy stage so the policy sees the hooks' verdict and the rewritten arguments. Every hook run is journaled as <see cref="HookRan"/> before the call goes on.</remarks>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> or <paramref name="runner"/> is null.</exception>
    public static ToolCallPipelineBuilder UsePreToolUseHooks(this ToolCallPipelineBuilder builder, HookRunner runner)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(runner);
        if (runner.Settings.For(HookEventNames.PreToolUse).Count == 0)
        {
            return builder;
        }

        return builder.Use(next => async (call, cancellationToken) =>
        {
            var outcome = await runner.RunPreToolUseAsync(ToHookCall(call), cancellationToken).ConfigureAwait(false);
            await JournalAsync(call, outcome).ConfigureAwait(false);
            switch (outcome.Decision)
            {
                case PolicyDecisions.Deny:
                    return ToolResult.Error(outcome.Reason ?? $"A PreToolUse hook blocked this '{call.Request.Name}' call.");
                case PolicyDecisions.Ask:
                    call.Properties[AskProperty] = outcome.Reason ?? "A PreToolUse hook asked for approval.";
                    break;
                case PolicyDecisions.Allow:
                    call.Properties[AllowProperty] = outcome.Reason ?? "A PreToolUse hook allowed the call.";
                    break;
                default:
                    break;
            }

            var rewritten = outcome.UpdatedInput is { } input ? call.WithArguments(input) : call;
            return await next(rewritten, cancellationToken).ConfigureAwait(false);
        });
    }

    /// <summary>
    /// Runs the <c>PostToolUse</c> hooks that match each call after the tool ran: <c>updatedToolOutput</c> replaces the
    /// observation; a block reason and <c>additionalContext</c> are appended to it for the model.
    /// </summary>
    /// <param name="builder">The pipeline builder.</param>
    /// <param name="runner">The hook runner.</param>
    /// <returns>The builder.</returns>
    /// <remarks>
    /// Add it after the policy and approval stages (last among the stages) so that calls refused by a later stage are not
    /// shown to these hooks: only calls that reached the tool are. Every hook run is journaled as <see cref="HookRan"/>.
    /// </remarks>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> or <paramref name="runner"/> is null.</exception>
    public static ToolCallPipelineBuilder UsePostToolUseHooks(this ToolCallPipelineBuilder builder, HookRunner runner)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(runner);
        if (runner.Settings.For(HookEventNames.PostToolUse).Count == 0)
        {
            return builder;
        }

        return builder.Use(next => async (call, cancellationToken) =>
        {
            var result = await next(call, cancellationToken).ConfigureAwait(false);
            if (!call.Properties.TryGetValue(RanProperty, out var value) || value is not ToolCall ran)
            {
                return result;
            }

            var outcome = await runner.RunPostToolUseAsync(ToHookCall(ran), result, cancellationToken).ConfigureAwait(false);
            await JournalAsync(call, outcome).ConfigureAwait(false);
            var content = outcome.UpdatedOutput ?? result.Content;
            if (outcome.Blocked && outcome.Reason is { } feedback)
            {
                content += "\n\n[hook] " + feedback;
            }

            if (outcome.AdditionalContext is { } context)
            {
                content += "\n\n[hook] " + context;
            }

            return content == result.Content ? result : result with { Content = content };
        }).Use(next => (call, cancellationToken) =>
        {
            call.Properties[RanProperty] = call;
            return next(call, cancellationToken);
        });
    }

    private static HookToolCall ToHookCall(ToolCall call) =>
        new(call.Context.SessionId, call.Context.WorkspaceRoot, call.Request.Id, call.Request.Name, call.Arguments)
        {
            InputSchema = call.Tool?.Definition.ParametersSchema,
        };

    private static async ValueTask JournalAsync(ToolCall call, HookOutcome outcome)
    {
        if (outcome.Events.Count > 0)
        {
            // Journaled even when the call is cancelled afterwards: the hooks did run.
            await call.Session.AppendAsync(outcome.Events, AppendDurability.Written, CancellationToken.None).ConfigureAwait(false);
        }
    }
}
