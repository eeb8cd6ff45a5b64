using Rein.Engine;
using Rein.Guard.Policy;
using Rein.Journal;
using Rein.Tools;

namespace Rein.Guard.Approvals;

/// <summary>The policy and approval stage of the tool-call pipeline.</summary>
public static class PolicyStage
{
    /// <summary>The <see cref="ToolCall.Properties"/> key a hook sets (to its reason) to allow a call the policy would ask about.</summary>
    public const string HookAllowKey = "hook.allow";

    /// <summary>The <see cref="ToolCall.Properties"/> key a hook sets (to its reason) to make a call ask for approval.</summary>
    public const string HookAskKey = "hook.ask";

    /// <summary>
    /// Judges every call with the policy and journals the decision (<see cref="PolicyDecided"/>): <c>deny</c> returns
    /// the reason to the model; <c>ask</c> journals <see cref="ApprovalRequested"/> and asks the channel, journaling the
    /// answer (<see cref="ApprovalDecided"/>); when nobody can answer now the call waits
    /// (<see cref="ApprovalPendingException"/>) and the session suspends until someone does.
    /// </summary>
    /// <param name="builder">The pipeline builder.</param>
    /// <param name="policy">The policy engine.</param>
    /// <param name="channel">Asks a person, or <see langword="null"/> when nobody can be asked (headless).</param>
    /// <param name="options">Approvers and the timeout for sessions that did not journal their own (see <see cref="ApprovalOptions.For"/>).</param>
    /// <param name="onRequested">Called after a request is journaled (e.g. ApprovalRequested hooks), if given.</param>
    /// <returns>The builder.</returns>
    public static ToolCallPipelineBuilder UsePolicy(
        this ToolCallPipelineBuilder builder,
        PolicyEngine policy,
        IApprovalChannel? channel,
        ApprovalOptions options,
        Func<ToolCall, ApprovalRequested, CancellationToken, ValueTask>? onRequested = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(options);
        return builder.Use(next => async (call, cancellationToken) =>
        {
            // Tools that make requests (fetch_url) judge their redirects and non-public addresses by the same policy.
            call = call.WithContext(call.Context with { RequestPolicy = new PolicyRequestPolicy(policy, call) });
            var state = call.Session.State;
            // The session's own approvers and timeout (journaled at its start), not those of the settings it resumes under.
            var approvals = options.For(state);
            var time = call.Context.TimeProvider;
            if (state.ApprovalRequests.TryGetValue(call.Request.Id, out var earlier))
            {
                // The call waited for an approval and is being picked up again: act on the answer, if any.
                return await AwaitAnswerAsync(WithFileAccess(call, policy), earlier, next, channel, approvals, cancellationToken).ConfigureAwait(false);
            }

            var verdict = policy.Evaluate(new PolicyRequest(call.Request.Name, call.Arguments, call.Tool!.Definition.ReadOnly, state.SessionRules));
            var decision = verdict.Decision;
            var reason = verdict.Reason;
            if (decision == PolicyDecisions.Ask && call.Properties.TryGetValue(HookAllowKey, out var hookAllow))
            {
                decision = PolicyDecisions.Allow;
                reason = $"{reason}; allowed by a PreToolUse hook: {hookAllow}";
            }
            else if (decision == PolicyDecisions.Allow && call.Properties.TryGetValue(HookAskKey, out var hookAsk))
            {
                decision = PolicyDecisions.Ask;
                reason = $"a PreToolUse hook asks for approval: {hookAsk}";
            }

            await call.Session.AppendAsync(
                new PolicyDecided(call.Request.Id, call.Request.Name, decision, reason, verdict.Rule, verdict.Source, policy.Mode),
                AppendDurability.Written,
                CancellationToken.None).ConfigureAwait(false);
            switch (decision)
            {
                case PolicyDecisions.Allow:
                    return await next(WithFileAccess(call, policy), cancellationToken).ConfigureAwait(false);
                case PolicyDecisions.Deny:
                    return ToolResult.Error($"Denied by policy: {reason}. Do not retry this call; find another way or ask the user.");
                default:
                    var request = new ApprovalRequested(
                        call.Request.Id,
                        call.Request.Name,
                        call.Request.Arguments,
                        reason,
                        time.GetUtcNow() + approvals.Timeout,
                        verdict.SuggestedSessionRule);
                    await call.Session.AppendAsync(request, AppendDurability.Flushed, CancellationToken.None).ConfigureAwait(false);
                    if (onRequested is not null)
                    {
                        await onRequested(call, request, cancellationToken).ConfigureAwait(false);
                    }

                    return await AwaitAnswerAsync(WithFileAccess(call, policy), request, next, channel, approvals, cancellationToken).ConfigureAwait(false);
            }
        });
    }

    // The tools apply the same policy to every file they really touch (each file of a search, a link's target).
    private static ToolCall WithFileAccess(ToolCall call, PolicyEngine policy) =>
        call.WithContext(call.Context with { FileAccess = policy.FileAccessFor(call.Request.Name, call.Session.State.SessionRules) });

    private static async ValueTask<ToolResult> AwaitAnswerAsync(
        ToolCall call, ApprovalRequested request, ToolCallHandler next, IApprovalChannel? channel, ApprovalOptions options, CancellationToken cancellationToken)
    {
        var time = call.Context.TimeProvider;
        var answered = call.Session.State.ApprovalAnswers.TryGetValue(request.CallId, out var decided) ? decided : null;
        if (answered is null && request.ExpiresAt is { } expires && time.GetUtcNow() >= expires)
        {
            answered = new ApprovalDecided(request.CallId, ApprovalDecisions.Timeout, "timeout", $"nobody answered before {expires:u}");
            await call.Session.AppendAsync(answered, AppendDurability.Written, CancellationToken.None).ConfigureAwait(false);
        }

        if (answered is null)
        {
            var answer = channel is null ? null : await AskAsync(channel, request, time, cancellationToken).ConfigureAwait(false);
            if (answer is null)
            {
                throw new ApprovalPendingException(request.CallId);
            }

            if (answer.Decision != ApprovalDecisions.Timeout && !options.MayApprove(answer.By))
            {
                answer = new ApprovalAnswer(ApprovalDecisions.Deny, answer.By, $"{answer.By} may not approve tool calls for this agent");
            }

            answered = new ApprovalDecided(
                request.CallId,
                answer.Decision,
                answer.By,
                answer.Reason,
                answer.Decision == ApprovalDecisions.ApproveSession ? request.SuggestedRule ?? call.Request.Name : null);
            await call.Session.AppendAsync(answered, AppendDurability.Written, CancellationToken.None).ConfigureAwait(false);
        }

        return answered.Decision switch
        {
            ApprovalDecisions.ApproveOnce or ApprovalDecisions.ApproveSession => await next(call, cancellationToken).ConfigureAwait(false),
            ApprovalDecisions.Timeout => ToolResult.Error($"Not run: the approval request timed out ({answered.Reason ?? "no answer"}). Do not retry it unasked; tell the user what you wanted to do."),
            _ => ToolResult.Error($"The user denied this call{(string.IsNullOrWhiteSpace(answered.Reason) ? "." : $": {answered.Reason}")} Do not retry it; adjust your approach."),
        };
    }

    private static async ValueTask<ApprovalAnswer?> AskAsync(IApprovalChannel channel, ApprovalRequested request, TimeProvider time, CancellationToken cancellationToken)
    {
        using var expiry = request.ExpiresAt is { } expires
            ? new CancellationTokenSource(Max(expires - time.GetUtcNow(), TimeSpan.Zero), time)
            : new CancellationTokenSource();
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, expiry.Token);
        try
        {
            return await channel.AskAsync(request, linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (expiry.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            return new ApprovalAnswer(ApprovalDecisions.Timeout, "timeout", "nobody answered in time");
        }
    }

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;
}
