namespace Rein.Tools;

/// <summary>Runs a shell command for the <c>shell</c> tool.</summary>
/// <remarks>
/// This is the seam for sandboxing: the default <see cref="ProcessCommandRunner"/> runs commands directly, and a
/// sandbox can either decorate this interface or give <see cref="ProcessCommandRunner"/> an argument builder that
/// wraps the shell (for example in bubblewrap). Implementations must be safe to call concurrently.
/// </remarks>
public interface ICommandRunner
{
    /// <summary>Runs a command to completion, a timeout, or cancellation.</summary>
    /// <param name="request">What to run, where, and for how long.</param>
    /// <param name="cancellationToken">A token to cancel the run; the command's whole process group is killed.</param>
    /// <returns>The combined output and how the command ended. A timeout is a result, not an exception.</returns>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    ValueTask<CommandResult> RunAsync(CommandRequest request, CancellationToken cancellationToken = default);
}

/// <summary>A shell command to run.</summary>
/// <param name="Command">The command line, interpreted by the shell.</param>
/// <param name="WorkingDirectory">The absolute working folder, already checked to be inside the workspace.</param>
/// <param name="Timeout">How long the command may run before its process group is killed.</param>
public sealed record CommandRequest(string Command, string WorkingDirectory, TimeSpan Timeout)
{
    /// <summary>Gets the most output characters kept; beyond it the head and tail are kept. Defaults to 30,000.</summary>
    public int MaxOutputChars { get; init; } = 30_000;

    /// <summary>Gets environment variables to set (or, with a null value, remove) for the command. Defaults to none.</summary>
    public IReadOnlyDictionary<string, string?>? Environment { get; init; }

    /// <summary>Gets a sink for output text as it arrives, if any.</summary>
    public IProgress<string>? Output { get; init; }

    /// <summary>Gets text written to the command's standard input before it is closed. Defaults to none (empty input).</summary>
    public string? StandardInput { get; init; }

    /// <summary>
    /// Gets the values the output will be redacted for, if any: when the output is cut to head and tail, the cuts move
    /// off any such value they would split (into the omitted middle), so each one stays whole for the redaction.
    /// </summary>
    public IOutputRedactor? Redactor { get; init; }
}

/// <summary>How a command ended.</summary>
/// <param name="ExitCode">The exit code, or null when the command was killed or never started.</param>
/// <param name="Output">Standard output and standard error, interleaved as written, possibly cut to head and tail.</param>
public sealed record CommandResult(int? ExitCode, string Output)
{
    /// <summary>Gets whether the command ran past its timeout and was killed.</summary>
    public bool TimedOut { get; init; }

    /// <summary>Gets whether the middle of the output was dropped to fit <see cref="CommandRequest.MaxOutputChars"/>.</summary>
    public bool Truncated { get; init; }

    /// <summary>Gets the output length in characters before any cut.</summary>
    public long OutputLength { get; init; }

    /// <summary>Gets whether processes started by the command still held its output open after it exited; their later output is lost.</summary>
    public bool OutputAbandoned { get; init; }

    /// <summary>Gets why the command could not be started, if it could not.</summary>
    public string? StartError { get; init; }

    /// <summary>Gets the network destinations (<c>host:port</c>) the sandbox refused while the command ran.</summary>
    public IReadOnlyList<string> EgressRefused { get; init; } = [];
}
