using System.Buffers;
using System.Text;

namespace Rein.Cli.Rendering;

/// <summary>
/// A writer that passes text on with terminal controls made inert (<see cref="TerminalText"/>): what Rein prints through
/// it cannot retitle, clear or reprogram the terminal, whatever the model or a tool put in the text.
/// </summary>
/// <remarks>
/// A carriage return at the end of a write is held until the next character shows whether it ends a line (CR LF, kept)
/// or stands alone (shown as <c>␍</c>), so streamed text neutralises the same however it is split. Not thread-safe on
/// its own: <see cref="Console.SetOut"/> and <see cref="Console.SetError"/> synchronise it.
/// </remarks>
internal sealed class NeutralizingWriter(TextWriter inner) : TextWriter(inner.FormatProvider)
{
    // Every character TerminalText.IsControl accepts; a write without any of them passes through untouched.
    private static readonly SearchValues<char> Controls = SearchValues.Create(
        [.. Enumerable.Range(0, 0x2070).Select(i => (char)i).Where(TerminalText.IsControl)]);

    private readonly StringBuilder _buffer = new();
    private bool _heldReturn;

    public override Encoding Encoding => inner.Encoding;

    public override void Write(char value) => Write(new ReadOnlySpan<char>(in value));

    public override void Write(char[] buffer, int index, int count) => Write(buffer.AsSpan(index, count));

    public override void Write(string? value) => Write(value.AsSpan());

    public override void Write(ReadOnlySpan<char> buffer)
    {
        if (!_heldReturn && !buffer.ContainsAny(Controls))
        {
            inner.Write(buffer);
            return;
        }

        _buffer.Clear();
        foreach (var c in buffer)
        {
            if (_heldReturn)
            {
                _heldReturn = false;
                _buffer.Append(c == '\n' ? "\r" : "␍");
            }

            if (c == '\r')
            {
                _heldReturn = true;
            }
            else
            {
                TerminalText.Append(_buffer, c);
            }
        }

        foreach (var chunk in _buffer.GetChunks())
        {
            inner.Write(chunk.Span);
        }
    }

    public override void WriteLine(string? value)
    {
        Write(value);
        Write(CoreNewLine);
    }

    public override Task WriteAsync(char value)
    {
        Write(value);
        return Task.CompletedTask;
    }

    public override Task WriteAsync(string? value)
    {
        Write(value);
        return Task.CompletedTask;
    }

    public override Task WriteAsync(ReadOnlyMemory<char> buffer, CancellationToken cancellationToken = default)
    {
        Write(buffer.Span);
        return Task.CompletedTask;
    }

    public override Task WriteLineAsync(string? value)
    {
        WriteLine(value);
        return Task.CompletedTask;
    }

    public override Task WriteLineAsync(ReadOnlyMemory<char> buffer, CancellationToken cancellationToken = default)
    {
        Write(buffer.Span);
        Write(CoreNewLine);
        return Task.CompletedTask;
    }

    public override Task WriteLineAsync()
    {
        Write(CoreNewLine);
        return Task.CompletedTask;
    }

    public override void Flush() => inner.Flush();

    public override Task FlushAsync() => inner.FlushAsync();

    public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);
}
