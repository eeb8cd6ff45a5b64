using System.Runtime.CompilerServices;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using Rein.Telemetry;

namespace Rein.Hosting.Composition;

/// <summary>
/// Exports Rein's spans and metrics over OTLP when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> (or the traces- or
/// metrics-specific endpoint) is set; exports nothing otherwise.
/// </summary>
/// <remarks>
/// The exporter honours the standard <c>OTEL_*</c> variables (headers, timeout, protocol, resource attributes,
/// <c>OTEL_SERVICE_NAME</c>, <c>OTEL_SDK_DISABLED</c>, <c>OTEL_TRACES_EXPORTER=none</c>, …); the protocol defaults to
/// <c>http/protobuf</c> and the service name to <c>rein</c>. Without an endpoint the OpenTelemetry SDK's assemblies
/// are never loaded: only <see cref="OtlpExport"/> touches them.
/// </remarks>
internal static class TelemetrySetup
{
    /// <summary>How long flushing at exit may take before the remaining telemetry is dropped.</summary>
    internal const int FlushTimeoutMilliseconds = 5_000;

    /// <summary>Starts exporting when the environment asks for it.</summary>
    /// <param name="getVariable">Reads an environment variable.</param>
    /// <returns>What to dispose before the process exits (it flushes), or null when nothing is exported.</returns>
    public static IDisposable? Start(Func<string, string?> getVariable)
    {
        if (string.Equals(getVariable("OTEL_SDK_DISABLED")?.Trim(), "true", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        var endpoint = IsSet(getVariable("OTEL_EXPORTER_OTLP_ENDPOINT"));
        var traces = (endpoint || IsSet(getVariable("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"))) && !IsNone(getVariable("OTEL_TRACES_EXPORTER"));
        var metrics = (endpoint || IsSet(getVariable("OTEL_EXPORTER_OTLP_METRICS_ENDPOINT"))) && !IsNone(getVariable("OTEL_METRICS_EXPORTER"));
        return traces || metrics ? OtlpExport.Start(getVariable, traces, metrics) : null;
    }

    private static bool IsSet(string? value) => !string.IsNullOrWhiteSpace(value);

    private static bool IsNone(string? value) => string.Equals(value?.Trim(), "none", StringComparison.OrdinalIgnoreCase);

    /// <summary>The OpenTelemetry SDK's tracer and meter providers; the only code that loads the SDK.</summary>
    private sealed class OtlpExport : IDisposable
    {
        private readonly TracerProvider? _traces;
        private readonly MeterProvider? _metrics;

        private OtlpExport(TracerProvider? traces, MeterProvider? metrics)
        {
            _traces = traces;
            _metrics = metrics;
        }

        [MethodImpl(MethodImplOptions.NoInlining)]
        public static OtlpExport Start(Func<string, string?> getVariable, bool traces, bool metrics)
        {
            var serviceName = getVariable("OTEL_SERVICE_NAME") is { Length: > 0 } name ? name : "rein";
            void Resource(ResourceBuilder resource) => resource.AddService(serviceName, serviceVersion: ReinTelemetry.Version);

            // The SDK's own default is gRPC; an unset protocol means http/protobuf here, the common choice of collectors and backends.
            var tracesProtocolSet = IsSet(getVariable("OTEL_EXPORTER_OTLP_PROTOCOL")) || IsSet(getVariable("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL"));
            var metricsProtocolSet = IsSet(getVariable("OTEL_EXPORTER_OTLP_PROTOCOL")) || IsSet(getVariable("OTEL_EXPORTER_OTLP_METRICS_PROTOCOL"));
            var tracerProvider = traces
                ? Sdk.CreateTracerProviderBuilder()
                    .ConfigureResource(Resource)
                    .AddSource(ReinTelemetry.SourceName)
                    .AddOtlpExporter(o => UseHttpUnlessSet(o, tracesProtocolSet))
                    .Build()
                : null;
            var meterProvider = metrics
                ? Sdk.CreateMeterProviderBuilder()
                    .ConfigureResource(Resource)
                    .AddMeter(ReinTelemetry.SourceName)
                    .AddOtlpExporter(o => UseHttpUnlessSet(o, metricsProtocolSet))
                    .Build()
                : null;
            return new OtlpExport(tracerProvider, meterProvider);
        }

        public void Dispose()
        {
            // Shutting down flushes what is batched; bounded so an unreachable collector cannot hold the exit.
            _traces?.Shutdown(FlushTimeoutMilliseconds);
            _metrics?.Shutdown(FlushTimeoutMilliseconds);
            _traces?.Dispose();
            _metrics?.Dispose();
        }

        private static void UseHttpUnlessSet(OtlpExporterOptions options, bool protocolSet)
        {
            if (!protocolSet)
            {
                options.Protocol = OtlpExportProtocol.HttpProtobuf;
            }
        }
    }
}
