using System.Globalization;
using System.Text;

namespace Rein.Tools;

/// <summary>Collects process output, keeping the head and the tail when it grows past a cap.</summary>
/// <remarks>
/// Thread-safe: stdout and stderr pumps append concurrently. Appends after <see cref="Close"/> are ignored. With a
/// redactor, the head and tail keep the longest redacted value's length beyond the cap, so that a value the cut would
/// split is seen whole and the cut moves off it: the value goes to the omitted middle, and no fragment of it is kept.
/// </remarks>
internal sealed class OutputBuffer
{
    private readonly Lock _lock = new();
    private readonly StringBuilder _head = new();
    private readonly StringBuilder _tail = new();
    private readonly int _headMax;
    private readonly int _tailMax;
    private readonly IOutputRedactor? _redactor;
    private readonly int _margin;
    private long _total;
    private bool _closed;

    public OutputBuffer(int maxChars, IOutputRedactor? redactor = null)
    {
        // The end of a command's output (errors, summaries) usually matters more than its start.
        _headMax = maxChars * 2 / 5;
        _tailMax = maxChars - _headMax;
        _redactor = redactor;
        _margin = redactor?.MaxMatchLength ?? 0;
    }

    public long Length
    {
        get
        {
            lock (_lock)
            {
                return _total;
            }
        }
    }

    public bool Truncated
    {
        get
        {
            lock (_lock)
            {
                return _total > _headMax + _tailMax;
            }
        }
    }

    public void Append(ReadOnlySpan<char> text)
    {
        lock (_lock)
        {
            if (_closed)
            {
                return;
            }

            _total += text.Length;
            var toHead = Math.Min(text.Length, _headMax + _margin - _head.Length);
            if (toHead > 0)
            {
                _head.Append(text[..toHead]);
                text = text[toHead..];
            }

            _tail.Append(text);
            var keep = _tailMax + _margin;
            if (_tail.Length > keep * 2)
            {
                _tail.Remove(0, _tail.Length - keep);
            }
        }
    }

    public void Close()
    {
        lock (_lock)
        {
            _closed = true;
        }
    }

    public override string ToString()
    {
        lock (_lock)
        {
            if (_total <= _headMax + _tailMax)
            {
                return string.Concat(_head.ToString(), _tail.ToString());
            }

            // While nothing was dropped, head and tail are one text: a value may span both.
            var whole = _head.Length + _tail.Length == _total;
            var head = whole ? string.Concat(_head.ToString(), _tail.ToString()) : _head.ToString();
            var tail = whole ? head : _tail.ToString();
            var tailOffset = whole ? 0 : _total - _tail.Length;
            var headEnd = _headMax;
            var tailStart = (int)(_total - _tailMax - tailOffset);
            if (_redactor is not null)
            {
                headEnd = _redactor.SpanAcross(head, headEnd)?.Start.Value ?? headEnd;
                tailStart = _redactor.SpanAcross(tail, tailStart)?.End.Value ?? tailStart;
            }

            var omitted = _total - headEnd - (tail.Length - tailStart);
            return new StringBuilder(headEnd + tail.Length - tailStart + 100)
                .Append(head, 0, headEnd)
                .Append(CultureInfo.InvariantCulture, $"\n[... {omitted} characters of output omitted ...]\n")
                .Append(tail, tailStart, tail.Length - tailStart)
                .ToString();
        }
    }
}
