using System.CommandLine;
using System.CommandLine.Parsing;
using System.Text.RegularExpressions;
using Rein.Hosting.Configuration;
using Rein.Engine;
using Rein.Journal;
using Rein.Providers;

namespace Rein.Cli.Commands;

/// <summary>Turns the failures a user can act on into one clear line and a meaningful exit code.</summary>
internal static partial class CommandErrors
{
    public static async Task<int> GuardAsync(Func<Task<int>> action)
    {
        try
        {
            return await action();
        }
        catch (Exception ex) when (ExitCodeFor(ex) is { } code)
        {
            await Console.Error.WriteLineAsync($"rein: {ErrorText.Of(ex)}");
            return code;
        }
    }

    /// <summary>
    /// Prints the command line's errors in the user's terms when one is a value of the wrong kind (System.CommandLine names the
    /// .NET type: <c>System.Nullable`1[System.Int32]</c>); other errors keep System.CommandLine's own output.
    /// </summary>
    /// <returns>Whether the errors were printed.</returns>
    public static bool TryReportValueErrors(ParseResult parse)
    {
        if (!parse.Errors.Any(e => WrongKind().IsMatch(e.Message)))
        {
            return false;
        }

        foreach (var error in parse.Errors)
        {
            var match = WrongKind().Match(error.Message);
            Console.Error.WriteLine(match.Success
                ? $"rein: {match.Groups["name"].Value} expects {ErrorText.Kind(match.Groups["type"].Value)}, got '{match.Groups["value"].Value}'."
                : $"rein: {error.Message}");
        }

        var names = new List<string>();
        for (var command = parse.CommandResult; command.Parent is CommandResult parent; command = parent)
        {
            names.Insert(0, command.Command.Name);
        }

        Console.Error.WriteLine($"See: rein {string.Join(' ', names.Append("--help"))}");
        return true;
    }

    [GeneratedRegex(@"^Cannot parse argument '(?<value>.*)' for (option|argument|command) '(?<name>[^']+)' as expected type '(?<type>[^']+)'\.?$", RegexOptions.Singleline)]
    private static partial Regex WrongKind();

    private static int? ExitCodeFor(Exception ex) => ex switch
    {
        SettingsException or FormatException or Guard.Approvals.AmbiguousApprovalException => ExitCodes.Usage,
        MissingApiKeyException => ExitCodes.ModelError,
        SessionNotFoundException or SessionBusyException or Hosting.Sessions.SessionBusyException or AmbiguousSessionIdException or ConcurrencyConflictException => ExitCodes.SessionUnavailable,
        OperationCanceledException => ExitCodes.Cancelled,
        IOException or UnauthorizedAccessException or InvalidOperationException => ExitCodes.Error,
        _ => null,
    };
}
