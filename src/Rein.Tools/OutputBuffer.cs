using System.Globalization;
using System.Text;

namespace Rein.Tools;

/// <summary>Collects process output, keeping the head and the tail when it grows past a cap.</summary>
/// <remarks>Thread-safe: stdout and stderr pumps append concurrently. Appends after <see cref="Close"/> are ignored.</remarks>
internal sealed class OutputBuffer
{
    private readonly Lock _lock = new();
    private readonly StringBuilder _head = new();
    private readonly StringBuilder _tail = new();
    private readonly int _headMax;
    private readonly int _tailMax;
    private long _total;
    private bool _closed;

    public OutputBuffer(int maxChars)
    {
        // The end of a command's output (errors, summaries) usually matters more than its start.
        _headMax = maxChars * 2 / 5;
        _tailMax = maxChars - _headMax;
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
            var toHead = Math.Min(text.Length, _headMax - _head.Length);
            if (toHead > 0)
            {
                _head.Append(text[..toHead]);
                text = text[toHead..];
            }

            _tail.Append(text);
            if (_tail.Length > _tailMax * 2)
            {
                _tail.Remove(0, _tail.Length - _tailMax);
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

            var omitted = _total - _headMax - _tailMax;
            return new StringBuilder(_headMax + _tailMax + 100)
                .Append(_head)
                .Append(CultureInfo.InvariantCulture, $"\n[... {omitted} characters of output omitted ...]\n")
                .Append(_tail, _tail.Length - _tailMax, _tailMax)
                .ToString();
        }
    }
}
