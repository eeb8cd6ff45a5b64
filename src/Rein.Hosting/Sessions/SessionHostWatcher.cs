using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Rein.Hosting.Sessions;

/// <summary>
/// Every <see cref="ReinOptions.PollInterval"/>, resumes the sessions the host ran whose approvals were answered elsewhere
/// (<see cref="SessionHost.ResumeAnsweredAsync"/>).
/// </summary>
internal sealed partial class SessionHostWatcher(SessionHost host, IOptions<ReinOptions> options, ILogger<SessionHostWatcher> logger, TimeProvider? timeProvider = null) : BackgroundService
{
    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.PollInterval, timeProvider ?? TimeProvider.System);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                try
                {
                    await host.ResumeAnsweredAsync(stoppingToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    // The store may be busy or briefly unreadable; the next tick tries again.
                    Log.ScanFailed(logger, ex);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private static partial class Log
    {
        [LoggerMessage(LogLevel.Warning, "Looking for answered approvals failed")]
        public static partial void ScanFailed(ILogger logger, Exception exception);
    }
}
