using Rein.Engine;

namespace Rein.Guard.Secrets;

/// <summary>The tool-call pipeline stage that keeps secret values out of observations.</summary>
public static class SecretRedactionStages
{
    /// <summary>
    /// Replaces secret values (and their encoded forms) in every observation with <c>[REDACTED:NAME]</c> before it goes
    /// back to the model, and in the progress a tool reports while it runs (live command output on the user's screen).
    /// </summary>
    /// <param name="builder">The pipeline builder.</param>
    /// <param name="redactor">The secrets to redact.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <remarks>
    /// Add it as the outermost of the configured stages, so it also sees refusals and errors produced by the others.
    /// An output cap applied inside this stage may cut a value in two; the fragments are then not recognised.
    /// </remarks>
    public static ToolCallPipelineBuilder UseSecretRedaction(this ToolCallPipelineBuilder builder, SecretRedactor redactor)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(redactor);
        if (redactor.IsEmpty)
        {
            return builder;
        }

        return builder.Use(next => async (call, cancellationToken) =>
        {
            if (call.Context.Progress is { } progress)
            {
                call = call.WithContext(call.Context with { Progress = new RedactingProgress(progress, redactor) });
            }

            var result = await next(call, cancellationToken).ConfigureAwait(false);
            var content = redactor.Redact(result.Content);
            return ReferenceEquals(content, result.Content) ? result : result with { Content = content };
        });
    }

    private sealed class RedactingProgress(IProgress<string> inner, SecretRedactor redactor) : IProgress<string>
    {
        public void Report(string value) => inner.Report(redactor.Redact(value));
    }
}
