using System.Net;
using System.Text;
using Rein.Providers.Http;

namespace Rein.Providers.Tests;

public sealed class LoneSurrogateEscapeStreamTests
{
    public static TheoryData<string, string> Cases => new()
    {
        { """{"a":"x\ud800y"}""", """{"a":"x\uFFFDy"}""" },
        { """{"a":"x\uDC00y"}""", """{"a":"x\uFFFDy"}""" },
        { """{"a":"\ud83d\ude00 and \uD83D\uDE00"}""", """{"a":"\ud83d\ude00 and \uD83D\uDE00"}""" },
        { """{"a":"\\ud800 \\\\udc00"}""", """{"a":"\\ud800 \\\\udc00"}""" },
        { """{"a":"\\\ud800"}""", """{"a":"\\\uFFFD"}""" },
        { """{"a":"\ud800\ud800\udc00"}""", """{"a":"\uFFFD\ud800\udc00"}""" },
        { """{"a":"\ud800\u0041\u00e9\"\udfff"}""", """{"a":"\uFFFD\u0041\u00e9\"\uFFFD"}""" },
        { "data: {\"arguments\":\"{\\\"path\\\":\\\"a\\ud800.txt\\\"}\"}\n\n", "data: {\"arguments\":\"{\\\"path\\\":\\\"a\\uFFFD.txt\\\"}\"}\n\n" },
        { "\"x\\ud800", "\"x\\uFFFD" },
        { "\"x\\ud800\\u", "\"x\\uFFFD\\u" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task ReadAsync_SplitAtEveryByte_RewritesOnlyLoneSurrogateEscapes(string input, string expected)
    {
        var bytes = Encoding.UTF8.GetBytes(input);
        for (var split = 0; split <= bytes.Length; split++)
        {
            await using var stream = new LoneSurrogateEscapeStream(new ChunkedStream(bytes[..split], bytes[split..]));
            using var reader = new StreamReader(stream);

            Assert.Equal(expected, await reader.ReadToEndAsync(TestContext.Current.CancellationToken));
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Read_OneByteAtATime_RewritesOnlyLoneSurrogateEscapes(string input, string expected)
    {
        var bytes = Encoding.UTF8.GetBytes(input);
        using var stream = new LoneSurrogateEscapeStream(new ChunkedStream([.. bytes.Select(b => new[] { b })]));
        using var reader = new StreamReader(stream);

        Assert.Equal(expected, reader.ReadToEnd());
    }

    [Fact]
    public async Task ReadAsync_EventComplete_ReturnsItWithoutWaitingForMore()
    {
        var first = "data: {\"a\":\"\\ud83d\\ude00\"}\n\n"u8.ToArray();
        await using var stream = new LoneSurrogateEscapeStream(new ChunkedStream(first, null));
        var buffer = new byte[1024];

        var read = await stream.ReadAsync(buffer, TestContext.Current.CancellationToken);

        Assert.Equal(first, buffer[..read]);
    }

    [Fact]
    public async Task ReadAsync_HighSurrogateEscapeAtEndOfRead_HoldsOnlyItBack()
    {
        var first = "data: {\"a\":\"\\ud800"u8.ToArray();
        await using var stream = new LoneSurrogateEscapeStream(new ChunkedStream(first, "\"}\n\n"u8.ToArray()));
        var buffer = new byte[1024];

        var read = await stream.ReadAsync(buffer, TestContext.Current.CancellationToken);

        Assert.Equal(first[..^6], buffer[..read]);
    }

    [Fact]
    public async Task SendAsync_JsonResponse_IsRewritten()
    {
        using var invoker = new HttpMessageInvoker(new LoneSurrogateEscapeHandler(new AnsweringHandler("""{"a":"\ud800"}""", "application/json")));
        using var request = new HttpRequestMessage(HttpMethod.Post, "http://127.0.0.1/v1/chat/completions");

        using var response = await invoker.SendAsync(request, TestContext.Current.CancellationToken);

        Assert.Equal("""{"a":"\uFFFD"}""", await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task SendAsync_PlainTextResponse_IsUntouched()
    {
        using var invoker = new HttpMessageInvoker(new LoneSurrogateEscapeHandler(new AnsweringHandler("""{"a":"\ud800"}""", "text/plain")));
        using var request = new HttpRequestMessage(HttpMethod.Post, "http://127.0.0.1/v1/chat/completions");

        using var response = await invoker.SendAsync(request, TestContext.Current.CancellationToken);

        Assert.Equal("""{"a":"\ud800"}""", await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
    }

    /// <summary>Returns the given chunks, one per read; a null chunk fails the read (the peer has sent nothing more yet).</summary>
    private sealed class ChunkedStream(params byte[]?[] chunks) : Stream
    {
        private int _chunk;
        private int _offset;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count)
        {
            while (_chunk < chunks.Length)
            {
                var chunk = chunks[_chunk] ?? throw new InvalidOperationException("Read past the data the peer has sent.");
                var count2 = Math.Min(count, chunk.Length - _offset);
                if (count2 > 0)
                {
                    chunk.AsSpan(_offset, count2).CopyTo(buffer.AsSpan(offset));
                    _offset += count2;
                    return count2;
                }

                _chunk++;
                _offset = 0;
            }

            return 0;
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            Task.FromResult(Read(buffer, offset, count));

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var array = new byte[buffer.Length];
            var read = Read(array, 0, array.Length);
            array.AsSpan(0, read).CopyTo(buffer.Span);
            return ValueTask.FromResult(read);
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    private sealed class AnsweringHandler(string body, string mediaType) : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent(body, Encoding.UTF8, mediaType) });
    }
}
