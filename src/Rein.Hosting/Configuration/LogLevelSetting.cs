using Microsoft.Extensions.Logging;

namespace Rein.Hosting.Configuration;

/// <summary>How much Rein logs: warnings and worse unless <c>REIN_LOG_LEVEL</c> or <c>--verbose</c> (debug) asks for more.</summary>
internal static class LogLevelSetting
{
    /// <summary>The variable that sets the level: trace, debug, information, warning, error, critical or none.</summary>
    public const string Variable = "REIN_LOG_LEVEL";

    /// <summary>Picks the level from <see cref="Variable"/> and <c>--verbose</c>; the more detailed wins.</summary>
    /// <exception cref="SettingsException">The variable names no level.</exception>
    public static LogLevel Read(Func<string, string?> env, bool verbose)
    {
        var level = env(Variable)?.Trim().ToLowerInvariant() switch
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
                $"{Variable} must be trace, debug, information, warning, error, critical or none, not '{other}'."),
        };
        return verbose && level > LogLevel.Debug ? LogLevel.Debug : level;
    }
}
