namespace Rein.Providers.Http;

/// <summary>
/// Reads JSON (or server-sent events carrying JSON) with every lone UTF-16 surrogate escape (<c>\uD800</c> not followed
/// by a low-surrogate escape, or a low-surrogate escape on its own) replaced with <c>\uFFFD</c>.
/// </summary>
/// <remarks>
/// System.Text.Json refuses to read such a string, so one bad character from a model would otherwise fail the whole
/// response inside the provider SDK. The replacement has the same length, so the text is rewritten in place; bytes
/// are passed on as soon as they arrive, holding back only an escape that is cut by a read boundary (at most 11
/// bytes). Not thread-safe, like any stream.
/// </remarks>
internal sealed class LoneSurrogateEscapeStream(Stream inner) : Stream
{
    // A high-surrogate escape and all but the last byte of the escape that may follow it.
    private const int MaxHeldBack = 11;

    // Each response being read keeps its own; events of a streamed reply are far smaller.
    private readonly byte[] _buffer = new byte[4 * 1024];
    private int _readyStart;
    private int _readyEnd;
    private int _dataEnd;
    private bool _ended;

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        if (buffer.IsEmpty)
        {
            return 0;
        }

        while (_readyStart == _readyEnd && !_ended)
        {
            Rewrite(inner.Read(_buffer.AsSpan(KeepHeldBack())));
        }

        return CopyReady(buffer);
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (buffer.IsEmpty)
        {
            return 0;
        }

        while (_readyStart == _readyEnd && !_ended)
        {
            Rewrite(await inner.ReadAsync(_buffer.AsMemory(KeepHeldBack()), cancellationToken).ConfigureAwait(false));
        }

        return CopyReady(buffer.Span);
    }

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    /// <summary>
    /// Rewrites lone surrogate escapes in <paramref name="data"/> in place and returns how many leading bytes are
    /// final; the rest (an escape cut short, at most 11 bytes) must wait for more data unless <paramref name="end"/>.
    /// </summary>
    internal static int RewriteInPlace(Span<byte> data, bool end)
    {
        var i = 0;
        while (i < data.Length)
        {
            var slash = data[i..].IndexOf((byte)'\\');
            if (slash < 0)
            {
                break;
            }

            i += slash;
            if (i + 1 >= data.Length)
            {
                return end ? data.Length : i;
            }

            if (data[i + 1] != 'u')
            {
                // Any other escape, e.g. \\ : its second byte must not be read as the start of one.
                i += 2;
                continue;
            }

            if (i + 6 > data.Length)
            {
                return end ? data.Length : i;
            }

            var unit = HexValue(data.Slice(i + 2, 4));
            if (unit is < 0xD800 or > 0xDFFF)
            {
                i += unit < 0 ? 2 : 6;
                continue;
            }

            if (unit <= 0xDBFF)
            {
                switch (LowSurrogateEscapeAt(data[(i + 6)..]))
                {
                    case true:
                        i += 12;
                        continue;
                    case null when !end:
                        return i;
                    default:
                        break;
                }
            }

            "FFFD"u8.CopyTo(data.Slice(i + 2, 4));
            i += 6;
        }

        return data.Length;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            inner.Dispose();
        }

        base.Dispose(disposing);
    }

    public override async ValueTask DisposeAsync()
    {
        await inner.DisposeAsync().ConfigureAwait(false);
        await base.DisposeAsync().ConfigureAwait(false);
    }

    // Whether a low-surrogate escape starts the data: null when the data ends before that is known.
    private static bool? LowSurrogateEscapeAt(ReadOnlySpan<byte> data)
    {
        for (var k = 0; k < 6; k++)
        {
            if (k >= data.Length)
            {
                return null;
            }

            var b = data[k];
            var matches = k switch
            {
                0 => b == '\\',
                1 => b == 'u',
                2 => b is (byte)'d' or (byte)'D',
                3 => b is (>= (byte)'c' and <= (byte)'f') or (>= (byte)'C' and <= (byte)'F'),
                _ => HexDigit(b) >= 0,
            };
            if (!matches)
            {
                return false;
            }
        }

        return true;
    }

    private static int HexValue(ReadOnlySpan<byte> digits)
    {
        var value = 0;
        foreach (var b in digits)
        {
            var digit = HexDigit(b);
            if (digit < 0)
            {
                return -1;
            }

            value = (value << 4) | digit;
        }

        return value;
    }

    private static int HexDigit(byte b) => b switch
    {
        >= (byte)'0' and <= (byte)'9' => b - '0',
        >= (byte)'a' and <= (byte)'f' => b - 'a' + 10,
        >= (byte)'A' and <= (byte)'F' => b - 'A' + 10,
        _ => -1,
    };

    // Moves the held-back bytes to the front of the buffer and returns where new data goes.
    private int KeepHeldBack()
    {
        var held = _dataEnd - _readyEnd;
        _buffer.AsSpan(_readyEnd, held).CopyTo(_buffer);
        _readyStart = _readyEnd = _dataEnd = held;
        return held;
    }

    private void Rewrite(int read)
    {
        _ended = read == 0;
        _dataEnd += read;
        _readyStart = 0;
        _readyEnd = RewriteInPlace(_buffer.AsSpan(0, _dataEnd), _ended);
        System.Diagnostics.Debug.Assert(_dataEnd - _readyEnd <= MaxHeldBack, "Only a cut escape is held back.");
    }

    private int CopyReady(Span<byte> destination)
    {
        var count = Math.Min(destination.Length, _readyEnd - _readyStart);
        _buffer.AsSpan(_readyStart, count).CopyTo(destination);
        _readyStart += count;
        return count;
    }
}
