using System.Diagnostics;

namespace Rein.Cli.Rendering;

/// <summary>
/// A one-line activity indicator on standard error ("⠹ Thinking… 2.1s"), shown only when standard
/// error is a terminal so scripts and logs never see it.
/// </summary>
internal sealed class Spinner : IDisposable
{
    private static readonly string[] Frames = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];
    private readonly TextWriter _out;
    private readonly bool _enabled;
    private readonly Lock _gate = new();
    private readonly Timer _timer;
    private string? _label;
    private long _startedAt;
    private int _frame;
    private bool _visible;

    public Spinner(TextWriter output, bool enabled)
    {
        _out = output;
        _enabled = enabled;
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
            if (_visible)
            {
                _out.Write("\r\u001b[2K");
                _out.Flush();
                _visible = false;
            }
        }
    }

    public void Dispose()
    {
        Stop();
        _timer.Dispose();
    }

    private void Tick()
    {
        lock (_gate)
        {
            if (_label is null)
            {
                return;
            }

            var elapsed = Stopwatch.GetElapsedTime(_startedAt).TotalSeconds;
            _out.Write($"\r\u001b[2K\u001b[36m{Frames[_frame++ % Frames.Length]}\u001b[0m {_label} \u001b[2m{elapsed:0.0}s\u001b[0m");
            _out.Flush();
            _visible = true;
        }
    }
}
