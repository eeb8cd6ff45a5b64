using Rein.Engine;
using Rein.Tools;

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
    /// <para>
    /// Add it as the outermost of the configured stages, so it also sees refusals and errors produced by the others.
    /// The redactor is handed to the tool in <see cref="ToolContext.Redactor"/>: tools that cut their output (the
    /// shell's head and tail, long lines) cut around secrets, never through one, so no fragment escapes redaction.
    /// </para>
    /// <para>
    /// Live progress is held back by the longest secret form's length less one character until more arrives or the call
    /// ends, so a secret split across two chunks is redacted whole and no part of it is ever reported.
    /// </para>
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
            var progress = call.Context.Progress is { } inner ? new RedactingProgress(inner, redactor) : null;
            call = call.WithContext(call.Context with { Progress = progress ?? call.Context.Progress, Redactor = redactor });
            ToolResult result;
            try
            {
                result = await next(call, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                progress?.Complete();
            }

            var content = redactor.Redact(result.Content);
            return ReferenceEquals(content, result.Content) ? result : result with { Content = content };
        });
    }

    /// <summary>Redacts streamed text, holding back its end while a secret may still be arriving.</summary>
    internal sealed class RedactingProgress(IProgress<string> inner, SecretRedactor redactor) : IProgress<string>
    {
        private readonly Lock _gate = new();
        private string _held = "";

        public void Report(string value)
        {
            ArgumentNullException.ThrowIfNull(value);
            string ready;
            lock (_gate)
            {
                var text = _held + value;
                // A secret that starts at least its length before the end has fully arrived; one starting later may not have.
                var safe = Math.Max(0, text.Length - redactor.MaxMatchLength + 1);
                if (redactor.SpanAcross(text, safe) is { } across)
                {
                    safe = across.Start.Value;
                }

                _held = text[safe..];
                ready = redactor.Redact(text[..safe]);
            }

            if (ready.Length > 0)
            {
                inner.Report(ready);
            }
        }

        /// <summary>Reports what is held back: the stream ended.</summary>
        public void Complete()
        {
            string rest;
            lock (_gate)
            {
                rest = redactor.Redact(_held);
                _held = "";
            }

            if (rest.Length > 0)
            {
                inner.Report(rest);
            }
        }
    }
}
