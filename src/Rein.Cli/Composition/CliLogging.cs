using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using Rein.Hosting.Composition;
using Rein.Hosting.Configuration;

namespace Rein.Cli.Composition;

/// <summary>
/// The CLI's logs: one line each on standard error, never on standard output (which carries answers and <c>--json</c>).
/// The level is <see cref="Hosting.Configuration.LogLevelSetting"/>'s: <c>warning</c> unless <c>REIN_LOG_LEVEL</c> or <c>--verbose</c> (debug) asks for more.
/// </summary>
internal static class CliLogging
{
    /// <summary>Creates the logger factory of a command (built on its first log line); dispose it to flush what is queued.</summary>
    public static ILoggerFactory Create(LogLevel level) => new DeferredLoggerFactory(level, () =>
        LoggerFactory.Create(builder => builder
            .SetMinimumLevel(level)
            .AddSimpleConsole(options =>
            {
                options.SingleLine = true;
                options.TimestampFormat = "HH:mm:ss.fff ";
                options.UseUtcTimestamp = true;
                options.ColorBehavior = Console.IsErrorRedirected || Environment.GetEnvironmentVariable("NO_COLOR") is { Length: > 0 }
                    ? LoggerColorBehavior.Disabled
                    : LoggerColorBehavior.Default;
            })
            .AddConsole(options => options.LogToStandardErrorThreshold = LogLevel.Trace)));

    /// <summary>
    /// Opens the host of a command: it logs on standard error at the settings' level (flushed when the host is disposed) and
    /// prints its notices there.
    /// </summary>
    public static AgentHost OpenHost(ResolvedSettings settings) =>
        AgentHost.Open(settings, new AgentHostOptions
        {
            LoggerFactory = Create(settings.LogLevel),
            OwnsLoggerFactory = true,
            Notice = Console.Error.WriteLine,
        });
}
