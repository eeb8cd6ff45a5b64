using System.Runtime.InteropServices;
using Rein.Hosting.Composition;

namespace Rein.Cli.Commands;

/// <summary>
/// Turns Ctrl-C and SIGTERM into cancellation of the current run, so the session is journaled as
/// suspended before the process exits. A second Ctrl-C while a run is stopping exits at once.
/// </summary>
internal sealed class Interrupts : IRunInterrupts, IDisposable
{
    private readonly Lock _gate = new();
    private readonly PosixSignalRegistration? _sigterm;
    private CancellationTokenSource? _current;
    private int _presses;

    public Interrupts()
    {
        Console.CancelKeyPress += OnCancelKeyPress;
        if (!OperatingSystem.IsWindows())
        {
            _sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
            {
                if (Cancel())
                {
                    context.Cancel = true;
                }
            });
        }
    }

    /// <summary>Starts a cancellable run; dispose the returned source when the run ends.</summary>
    public CancellationTokenSource BeginRun(CancellationToken outer)
    {
        lock (_gate)
        {
            _presses = 0;
            _current = CancellationTokenSource.CreateLinkedTokenSource(outer);
            return _current;
        }
    }

    public void EndRun()
    {
        lock (_gate)
        {
            _current = null;
        }
    }

    public void Dispose()
    {
        Console.CancelKeyPress -= OnCancelKeyPress;
        _sigterm?.Dispose();
    }

    private bool Cancel()
    {
        lock (_gate)
        {
            if (_current is null || _presses++ > 0)
            {
                return false;
            }

            _current.Cancel();
            return true;
        }
    }

    private void OnCancelKeyPress(object? sender, ConsoleCancelEventArgs e)
    {
        if (Cancel())
        {
            e.Cancel = true;
        }
    }
}
