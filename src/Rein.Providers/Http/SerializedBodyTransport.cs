using System.ClientModel.Primitives;

namespace Rein.Providers.Http;

/// <summary>
/// The transport of the OpenAI SDK's clients: sends each request body as one array of exactly its bytes and lets go of
/// the SDK's own serialization of it before the request is sent.
/// </summary>
/// <remarks>
/// <para>
/// The SDK serializes a request into pooled 16 KB buffers and keeps them until the whole call ends; the retry handler
/// then copied the body once more so each attempt could send it again. A model call waits a second or more for its first
/// byte, so every session in flight held both copies (about 25 KB) all that time, long enough for the garbage collector
/// to copy them into an older generation. Now the body is serialized into an array of its exact length, which attempts
/// can send again as they are (<see cref="ResilientHttpHandler"/> does not copy a <see cref="ByteArrayContent"/>), and
/// the SDK's buffers go back to the pool at once.
/// </para>
/// <para>Only the body's transport changes: the bytes and the content headers sent are the SDK's own.</para>
/// </remarks>
internal sealed class SerializedBodyTransport(HttpClient client) : HttpClientPipelineTransport(client)
{
    protected override void OnSendingRequest(PipelineMessage message, HttpRequestMessage httpRequest)
    {
        base.OnSendingRequest(message, httpRequest);
        if (message.Request.Content is not { } body || httpRequest.Content is not { } sdkContent
            || !body.TryComputeLength(out var length) || length > int.MaxValue)
        {
            return;
        }

        var bytes = GC.AllocateUninitializedArray<byte>((int)length);
        using (var target = new MemoryStream(bytes, writable: true))
        {
            try
            {
                body.WriteTo(target, message.CancellationToken);
            }
            catch (NotSupportedException)
            {
                // Longer than its own length: sent as the SDK built it.
                return;
            }

            if (target.Position != length)
            {
                return;
            }
        }

        var content = new ByteArrayContent(bytes);
        foreach (var header in sdkContent.Headers.NonValidated)
        {
            if (!string.Equals(header.Key, "Content-Length", StringComparison.OrdinalIgnoreCase))
            {
                content.Headers.TryAddWithoutValidation(header.Key, header.Value);
            }
        }

        httpRequest.Content = content;
        sdkContent.Dispose();

        // Frees the SDK's buffers. Nothing reads the body again: the SDK's own retries are off (the handler retries), and
        // a model's content would serialize it again if something did.
        body.Dispose();
    }
}
