using Rein.Cli.Configuration;
using Rein.Journal;
using Rein.Providers;

namespace Rein.Cli.Commands;

/// <summary>Turns the failures a user can act on into one clear line and a meaningful exit code.</summary>
internal static class CommandErrors
{
    public static async Task<int> GuardAsync(Func<Task<int>> action)
    {
        try
        {
            return await action();
        }
        catch (Exception ex) when (ExitCodeFor(ex) is { } code)
        {
            await Console.Error.WriteLineAsync($"rein: {ex.Message}");
            return code;
        }
    }

    private static int? ExitCodeFor(Exception ex) => ex switch
    {
        SettingsException or FormatException or Guard.Approvals.AmbiguousApprovalException => ExitCodes.Usage,
        MissingApiKeyException => ExitCodes.ModelError,
        SessionNotFoundException or SessionBusyException or AmbiguousSessionIdException or ConcurrencyConflictException => ExitCodes.SessionUnavailable,
        OperationCanceledException => ExitCodes.Cancelled,
        IOException or UnauthorizedAccessException or InvalidOperationException => ExitCodes.Error,
        _ => null,
    };
}
