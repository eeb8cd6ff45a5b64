using Rein.Journal;

namespace Rein.Cli;

/// <summary>The process exit codes of <c>rein</c>. Scripts depend on these values.</summary>
internal static class ExitCodes
{
    /// <summary>The agent finished its task.</summary>
    public const int Success = 0;

    /// <summary>An unexpected error.</summary>
    public const int Error = 1;

    /// <summary>Bad command line, settings or input files.</summary>
    public const int Usage = 2;

    /// <summary>The model provider failed (after retries), or its API key is missing.</summary>
    public const int ModelError = 3;

    /// <summary>The agent stopped before finishing: step limit, exhausted script or recording.</summary>
    public const int Incomplete = 4;

    /// <summary>The session does not exist, or another process is running it.</summary>
    public const int SessionUnavailable = 5;

    /// <summary>The session waits for a person to approve a tool call (<c>rein approvals</c>); resume it once answered.</summary>
    public const int AwaitingApproval = 6;

    /// <summary><c>rein eval</c> finished, and some trials failed (see the report).</summary>
    public const int EvalFailed = 7;

    /// <summary><c>rein replay</c>: a replayed session diverged from its recording (or could not be replayed).</summary>
    public const int ReplayDiverged = 8;

    /// <summary>Interrupted (Ctrl-C or SIGTERM); the session is suspended and can be resumed.</summary>
    public const int Cancelled = 130;

    /// <summary>Maps a stop reason to an exit code.</summary>
    public static int ForStopReason(string reason) => reason switch
    {
        StopReason.Completed or StopReason.UserExit => Success,
        StopReason.Cancelled => Cancelled,
        StopReason.AwaitingApproval => AwaitingApproval,
        StopReason.ModelError => ModelError,
        _ => Incomplete,
    };

    /// <summary>The text shown in <c>rein --help</c>.</summary>
    public const string HelpText = """
        Exit codes: 0 finished, 1 unexpected error, 2 bad usage or settings, 3 model/provider error,
        4 stopped early (step limit, budget, script exhausted), 5 session not found or busy, 6 waiting for approval
        (rein approvals), 7 eval run with failed trials (rein eval), 8 a replay diverged from its recording
        (rein replay), 130 interrupted (resumable).
        """;
}
