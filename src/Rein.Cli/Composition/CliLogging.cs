using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using Rein.Cli.Configuration;

namespace Rein.Cli.Composition;

/// <summary>
/// The CLI's logs: one line each on standard error, never on standard output (which carries answers and <c>--json</c>).
/// The level is <c>warning</c> unless <c>REIN_LOG_LEVEL</c> or <c>--verbose</c> (debug) asks for more.
/// </summary>
internal static class CliLogging
{
    /// <summary>The variable that sets the level: trace, debug, information, warning, error, critical or none.</summary>
    public const string LevelVariable = "REIN_LOG_LEVEL";

    /// <summary>Picks the level from <see cref="LevelVariable"/> and <c>--verbose</c>; the more detailed wins.</summary>
    /// <exception cref="SettingsException">The variable names no level.</exception>
    public static LogLevel Level(Func<string, string?> env, bool verbose)
    {
        var level = env(LevelVariable)?.Trim().ToLowerInvariant() switch
        {
            null or "" => LogLevel.Warning,
            "trace" => LogLevel.Trace,
            "debug" => LogLevel.Debug,
            "information" or "info" => LogLevel.Information,
            "warning" or "warn" => LogLevel.Warning,
            "error" => LogLevel.Error,
            "critical" => LogLevel.Critical,
            "none" => LogLevel.None,
            var other => throw new SettingsException(
                $"{LevelVariable} must be trace, debug, information, warning, error, critical or none, not '{other}'."),
        };
        return verbose && level > LogLevel.Debug ? LogLevel.Debug : level;
    }

    /// <summary>Creates the logger factory of a command; dispose it to flush what is queued.</summary>
    public static ILoggerFactory Create(LogLevel level) =>
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
            .AddConsole(options => options.LogToStandardErrorThreshold = LogLevel.Trace));
}
