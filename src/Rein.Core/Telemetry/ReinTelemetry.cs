using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Reflection;

namespace Rein.Telemetry;

/// <summary>
/// Rein's <see cref="System.Diagnostics.ActivitySource"/> and <see cref="System.Diagnostics.Metrics.Meter"/>, both named
/// <c>Rein</c>, with spans and metrics that follow the OpenTelemetry GenAI semantic conventions.
/// </summary>
/// <remarks>
/// Nothing is recorded unless a listener subscribes (an OpenTelemetry SDK with <c>AddSource("Rein")</c> and
/// <c>AddMeter("Rein")</c>, or an <see cref="ActivityListener"/>). Spans and metrics are produced from the session
/// journal by <see cref="TelemetrySessionStore"/>.
/// </remarks>
public static class ReinTelemetry
{
    /// <summary>The name of the activity source and of the meter: <c>Rein</c>.</summary>
    public const string SourceName = "Rein";

    /// <summary>The environment variable that opts in to message content on spans: <c>OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT</c>.</summary>
    public const string CaptureMessageContentVariable = "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT";

    /// <summary>Gets the version of Rein that produces the telemetry (the assembly's informational version).</summary>
    public static string Version { get; } = typeof(ReinTelemetry).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
        ?? typeof(ReinTelemetry).Assembly.GetName().Version?.ToString()
        ?? "0.0.0";

    /// <summary>Gets the source of Rein's spans: <c>invoke_agent</c>, <c>chat {model}</c> and <c>execute_tool {name}</c>.</summary>
    public static ActivitySource ActivitySource { get; } = new(SourceName, Version);

    /// <summary>Gets the meter of Rein's metrics: <c>gen_ai.client.token.usage</c>, <c>gen_ai.client.operation.duration</c> and <c>rein.tool.duration</c>.</summary>
    public static Meter Meter { get; } = new(SourceName, Version);

    /// <summary>Gets the histogram of tokens per model call (<c>gen_ai.client.token.usage</c>, unit <c>{token}</c>), tagged with <c>gen_ai.token.type</c>.</summary>
    internal static Histogram<long> TokenUsage { get; } = Meter.CreateHistogram(
        GenAi.Metrics.TokenUsage,
        "{token}",
        "Number of input and output tokens used by a model call.",
        tags: null,
        new InstrumentAdvice<long> { HistogramBucketBoundaries = [1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864] });

    /// <summary>Gets the histogram of model call durations (<c>gen_ai.client.operation.duration</c>, unit <c>s</c>).</summary>
    internal static Histogram<double> OperationDuration { get; } = Meter.CreateHistogram(
        GenAi.Metrics.OperationDuration,
        "s",
        "Duration of a model call.",
        tags: null,
        new InstrumentAdvice<double> { HistogramBucketBoundaries = DurationBuckets });

    /// <summary>Gets the histogram of tool call durations (<c>rein.tool.duration</c>, unit <c>s</c>).</summary>
    internal static Histogram<double> ToolDuration { get; } = Meter.CreateHistogram(
        GenAi.Metrics.ToolDuration,
        "s",
        "Duration of a tool call.",
        tags: null,
        new InstrumentAdvice<double> { HistogramBucketBoundaries = DurationBuckets });

    private static double[] DurationBuckets => [0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92];

    /// <summary>Gets whether anything listens to Rein's spans or metrics.</summary>
    internal static bool IsObserved => ActivitySource.HasListeners() || TokenUsage.Enabled || OperationDuration.Enabled || ToolDuration.Enabled;
}
