using System.Collections.Concurrent;
using Google.Protobuf;
using Microsoft.AspNetCore.Http;
using Rein.Testing;

namespace Rein.Cli.Tests;

/// <summary>
/// An OTLP/HTTP receiver on loopback: keeps every request's path, content type and body, and decodes
/// <c>ExportTraceServiceRequest</c> and <c>ExportMetricsServiceRequest</c> bodies by walking the protobuf wire format.
/// </summary>
internal sealed class TelemetryOtlpReceiver : IAsyncDisposable
{
    private readonly ConcurrentQueue<Request> _requests = new();
    private LoopbackHttpServer? _server;

    public Uri BaseAddress => _server!.BaseAddress;

    public IReadOnlyList<Request> Requests => [.. _requests];

    public static async Task<TelemetryOtlpReceiver> StartAsync(CancellationToken cancellationToken)
    {
        var receiver = new TelemetryOtlpReceiver();
        receiver._server = await LoopbackHttpServer.StartAsync(async context =>
        {
            using var body = new MemoryStream();
            await context.Request.Body.CopyToAsync(body, context.RequestAborted);
            receiver._requests.Enqueue(new Request(context.Request.Path.Value ?? "", context.Request.ContentType ?? "", body.ToArray()));
            context.Response.StatusCode = StatusCodes.Status200OK;
            context.Response.ContentType = "application/x-protobuf";
        }, cancellationToken);
        return receiver;
    }

    public async ValueTask DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }

    public IReadOnlyList<Span> Spans() =>
        [.. _requests.Where(r => r.Path == "/v1/traces").SelectMany(r => DecodeTraces(r.Body))];

    public IReadOnlyList<Metric> Metrics() =>
        [.. _requests.Where(r => r.Path == "/v1/metrics").SelectMany(r => DecodeMetrics(r.Body))];

    // ExportTraceServiceRequest{1 resource_spans} → ResourceSpans{1 resource, 2 scope_spans} → ScopeSpans{1 scope, 2 spans}.
    private static IEnumerable<Span> DecodeTraces(byte[] body) =>
        from resourceSpans in Fields(body, 1)
        let resource = Fields(resourceSpans, 1).Select(Attributes).FirstOrDefault() ?? []
        from scopeSpans in Fields(resourceSpans, 2)
        let scope = Fields(scopeSpans, 1).Select(s => Strings(s, 1).FirstOrDefault()).FirstOrDefault()
        from span in Fields(scopeSpans, 2)
        select DecodeSpan(span, resource, scope);

    // Span{1 trace_id, 2 span_id, 4 parent_span_id, 5 name, 6 kind, 7 start (fixed64), 8 end (fixed64), 9 attributes, 15 status{3 code}}.
    private static Span DecodeSpan(byte[] span, Dictionary<string, object?> resource, string? scope)
    {
        var input = new CodedInputStream(span);
        string traceId = "", spanId = "", parentSpanId = "", name = "";
        ulong start = 0, end = 0;
        var kind = 0;
        var statusCode = 0;
        var attributes = new Dictionary<string, object?>(StringComparer.Ordinal);
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            switch (WireFormat.GetTagFieldNumber(tag))
            {
                case 1: traceId = Convert.ToHexStringLower(input.ReadBytes().Span); break;
                case 2: spanId = Convert.ToHexStringLower(input.ReadBytes().Span); break;
                case 4: parentSpanId = Convert.ToHexStringLower(input.ReadBytes().Span); break;
                case 5: name = input.ReadString(); break;
                case 6: kind = input.ReadEnum(); break;
                case 7: start = input.ReadFixed64(); break;
                case 8: end = input.ReadFixed64(); break;
                case 9: AddKeyValue(attributes, input.ReadBytes().ToByteArray()); break;
                case 15: statusCode = Ints(input.ReadBytes().ToByteArray(), 3).FirstOrDefault(); break;
                default: input.SkipLastField(); break;
            }
        }

        return new Span(traceId, spanId, parentSpanId, name, kind, start, end, attributes, resource, scope, statusCode);
    }

    // ExportMetricsServiceRequest{1 resource_metrics} → ResourceMetrics{2 scope_metrics} → ScopeMetrics{2 metrics}
    // → Metric{1 name, 3 unit, 9 histogram{1 data_points}} → HistogramDataPoint{4 count (fixed64), 5 sum (double), 9 attributes}.
    private static IEnumerable<Metric> DecodeMetrics(byte[] body) =>
        from resourceMetrics in Fields(body, 1)
        from scopeMetrics in Fields(resourceMetrics, 2)
        from metric in Fields(scopeMetrics, 2)
        select new Metric(
            Strings(metric, 1).FirstOrDefault() ?? "",
            Strings(metric, 3).FirstOrDefault() ?? "",
            [.. Fields(metric, 9).SelectMany(h => Fields(h, 1)).Select(DecodePoint)]);

    private static HistogramPoint DecodePoint(byte[] point)
    {
        var input = new CodedInputStream(point);
        ulong count = 0;
        double sum = 0;
        var attributes = new Dictionary<string, object?>(StringComparer.Ordinal);
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            switch (WireFormat.GetTagFieldNumber(tag))
            {
                case 4: count = input.ReadFixed64(); break;
                case 5: sum = input.ReadDouble(); break;
                case 9: AddKeyValue(attributes, input.ReadBytes().ToByteArray()); break;
                default: input.SkipLastField(); break;
            }
        }

        return new HistogramPoint(count, sum, attributes);
    }

    // Resource{1 attributes}.
    private static Dictionary<string, object?> Attributes(byte[] message)
    {
        var attributes = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var keyValue in Fields(message, 1))
        {
            AddKeyValue(attributes, keyValue);
        }

        return attributes;
    }

    // KeyValue{1 key, 2 value: AnyValue}.
    private static void AddKeyValue(Dictionary<string, object?> attributes, byte[] keyValue)
    {
        var key = Strings(keyValue, 1).FirstOrDefault() ?? "";
        attributes[key] = Fields(keyValue, 2).Select(AnyValue).FirstOrDefault();
    }

    // AnyValue{1 string, 2 bool, 3 int64, 4 double, 5 array{1 values}}.
    private static object? AnyValue(byte[] value)
    {
        var input = new CodedInputStream(value);
        var tag = input.ReadTag();
        return WireFormat.GetTagFieldNumber(tag) switch
        {
            1 => input.ReadString(),
            2 => input.ReadBool(),
            3 => input.ReadInt64(),
            4 => input.ReadDouble(),
            5 => Fields(input.ReadBytes().ToByteArray(), 1).Select(AnyValue).ToArray(),
            _ => null,
        };
    }

    /// <summary>The length-delimited fields numbered <paramref name="field"/> of a message, in order.</summary>
    private static List<byte[]> Fields(byte[] message, int field)
    {
        var found = new List<byte[]>();
        var input = new CodedInputStream(message);
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            if (WireFormat.GetTagFieldNumber(tag) == field && WireFormat.GetTagWireType(tag) == WireFormat.WireType.LengthDelimited)
            {
                found.Add(input.ReadBytes().ToByteArray());
            }
            else
            {
                input.SkipLastField();
            }
        }

        return found;
    }

    private static IEnumerable<string> Strings(byte[] message, int field) =>
        Fields(message, field).Select(b => System.Text.Encoding.UTF8.GetString(b));

    private static List<int> Ints(byte[] message, int field)
    {
        var found = new List<int>();
        var input = new CodedInputStream(message);
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            if (WireFormat.GetTagFieldNumber(tag) == field && WireFormat.GetTagWireType(tag) == WireFormat.WireType.Varint)
            {
                found.Add(input.ReadInt32());
            }
            else
            {
                input.SkipLastField();
            }
        }

        return found;
    }

    internal sealed record Request(string Path, string ContentType, byte[] Body);

    internal sealed record Span(
        string TraceId,
        string SpanId,
        string ParentSpanId,
        string Name,
        int Kind,
        ulong StartUnixNano,
        ulong EndUnixNano,
        Dictionary<string, object?> Attributes,
        Dictionary<string, object?> Resource,
        string? Scope,
        int StatusCode)
    {
        public object? this[string key] => Attributes.GetValueOrDefault(key);
    }

    internal sealed record Metric(string Name, string Unit, IReadOnlyList<HistogramPoint> Points);

    internal sealed record HistogramPoint(ulong Count, double Sum, Dictionary<string, object?> Attributes);
}
