using System.Diagnostics;

namespace Rein.Cli.Rendering;

/// <summary>
/// A one-line activity indicator on standard error ("⠹ Thinking… 2.1s"), shown only when standard
/// error is a terminal so scripts and logs never see it.
/// </summary>
/// <remarks>
/// Without <c>ansi</c> (<c>NO_COLOR</c> is set) it draws with carriage returns and spaces only: no escape sequence,
/// no colour.
/// </remarks>
internal sealed class Spinner : IDisposable
{
    private static readonly string[] Frames = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];
    private readonly TextWriter _out;
    private readonly bool _enabled;
    private readonly bool _ansi;
    private readonly Lock _gate = new();
    private readonly Timer _timer;
    private string? _label;
    private long _startedAt;
    private int _frame;
    private int _visibleWidth;

    public Spinner(TextWriter output, bool enabled, bool ansi = true)
    {
        _out = output;
        _enabled = enabled;
        _ansi = ansi;
        _timer = new Timer(_ => Tick(), null, Timeout.Infinite, Timeout.Infinite);
    }

    public void Start(string label)
    {
        if (!_enabled)
        {
            return;
        }

        lock (_gate)
        {
            // The label quotes live tool output: it is written to the real stream, next to the spinner's own escapes.
            _label = TerminalText.Neutralize(label);
            _startedAt = Stopwatch.GetTimestamp();
            _timer.Change(0, 100);
        }
    }

    /// <summary>Hides the indicator; call before writing anything else to the terminal.</summary>
    public void Stop()
    {
        if (!_enabled)
        {
            return;
        }

        lock (_gate)
        {
            _label = null;
            _timer.Change(Timeout.Infinite, Timeout.Infinite);
            if (_visibleWidth > 0)
            {
                _out.Write(_ansi ? "\r\u001b[2K" : $"\r{new string(' ', _visibleWidth)}\r");
                _out.Flush();
                _visibleWidth = 0;
            }
        }
    }

    public void Dispose()
    {
        Stop();
        _timer.Dispose();
    }

    internal void Tick()
    {
        lock (_gate)
        {
            if (_label is null)
            {
                return;
            }

            var elapsed = Stopwatch.GetElapsedTime(_startedAt).TotalSeconds;
            var frame = Frames[_frame++ % Frames.Length];
            var text = $"{frame} {_label} {elapsed:0.0}s";
            // Without escapes, padding to the widest frame so far erases what a longer label left behind.
            _out.Write(_ansi
                ? $"\r\u001b[2K\u001b[36m{frame}\u001b[0m {_label} \u001b[2m{elapsed:0.0}s\u001b[0m"
                : $"\r{text.PadRight(_visibleWidth)}");
            _visibleWidth = Math.Max(_visibleWidth, text.Length);
            _out.Flush();
        }
    }
}
