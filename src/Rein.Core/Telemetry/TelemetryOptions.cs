namespace Rein.Telemetry;

/// <summary>What <see cref="TelemetrySessionStore"/> puts on spans.</summary>
public sealed class TelemetryOptions
{
    /// <summary>
    /// Gets or sets whether message content goes on spans: the user's message and the assistant's answers
    /// (<c>gen_ai.input.messages</c>, <c>gen_ai.output.messages</c>) and tool arguments and results
    /// (<c>gen_ai.tool.call.arguments</c>, <c>gen_ai.tool.call.result</c>). Default <see langword="false"/>.
    /// </summary>
    /// <remarks>Content is taken from the journal, so secrets the journal redacts are redacted here too.</remarks>
    public bool CaptureMessageContent { get; set; }

    /// <summary>Gets or sets the longest content attribute, in characters; longer content is cut. Default 65,536.</summary>
    public int MaxContentLength { get; set; } = 65_536;

    /// <summary>Gets or sets the clock used to end spans that are still open when the store is disposed. Default <see cref="TimeProvider.System"/>.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>Reads the options from environment variables: <c>OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=true</c> captures content.</summary>
    /// <param name="getVariable">Reads an environment variable, e.g. <see cref="Environment.GetEnvironmentVariable(string)"/>.</param>
    /// <returns>The options.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="getVariable"/> is null.</exception>
    public static TelemetryOptions FromEnvironment(Func<string, string?> getVariable)
    {
        ArgumentNullException.ThrowIfNull(getVariable);
        return new TelemetryOptions
        {
            CaptureMessageContent = bool.TryParse(getVariable(ReinTelemetry.CaptureMessageContentVariable)?.Trim(), out var capture) && capture,
        };
    }
}
