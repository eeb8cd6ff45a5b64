using Rein.Engine;
using Rein.Journal;

namespace Rein.Guard.Approvals;

/// <summary>Asks for approvals on a terminal (or any line-based reader and writer, such as <c>rein chat</c>'s input).</summary>
/// <remarks>
/// Answers: <c>y</c> (approve once), <c>a</c> (approve for this session), <c>n</c> or <c>n REASON</c> (deny, the reason goes
/// to the model). Calls are asked one at a time. End of input means nobody can answer: the session then waits.
/// </remarks>
public sealed class TerminalApprovalChannel : IApprovalChannel, IDisposable
{
    private readonly Func<CancellationToken, ValueTask<string?>> _readLine;
    private readonly TextWriter _output;
    private readonly string _principal;
    private readonly Func<ApprovalRequested, CancellationToken, ValueTask>? _show;
    private readonly SemaphoreSlim _oneAtATime = new(1, 1);

    /// <summary>Creates a channel.</summary>
    /// <param name="readLine">Reads one answer line; <see langword="null"/> at end of input.</param>
    /// <param name="output">Where the question is written (standard error on a terminal).</param>
    /// <param name="principal">Who answers at this terminal.</param>
    /// <param name="show">
    /// Shows what the call will do before the question (e.g. the whole command or a coloured diff, on the terminal itself);
    /// <see langword="null"/> writes one line (<see cref="ApprovalText.Describe"/>) to <paramref name="output"/>.
    /// </param>
    public TerminalApprovalChannel(
        Func<CancellationToken, ValueTask<string?>> readLine, TextWriter output, string principal, Func<ApprovalRequested, CancellationToken, ValueTask>? show = null)
    {
        ArgumentNullException.ThrowIfNull(readLine);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentException.ThrowIfNullOrEmpty(principal);
        _readLine = readLine;
        _output = output;
        _principal = principal;
        _show = show;
    }

    /// <inheritdoc />
    public async ValueTask<ApprovalAnswer?> AskAsync(ApprovalRequested request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        await _oneAtATime.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_show is null)
            {
                await _output.WriteLineAsync($"approval needed · {ApprovalText.Describe(request.Tool, request.Arguments)}").ConfigureAwait(false);
            }
            else
            {
                await _output.FlushAsync(cancellationToken).ConfigureAwait(false);
                await _show(request, cancellationToken).ConfigureAwait(false);
            }

            await _output.WriteLineAsync($"  why: {request.Reason}").ConfigureAwait(false);
            var always = request.SuggestedRule is { } rule ? $", a = allow {rule} for this session" : ", a = allow for this session";
            while (true)
            {
                await _output.WriteAsync($"  allow? y = once{always}, n [reason] = deny: ").ConfigureAwait(false);
                await _output.FlushAsync(cancellationToken).ConfigureAwait(false);
                var line = await _readLine(cancellationToken).ConfigureAwait(false);
                if (line is null)
                {
                    await _output.WriteLineAsync().ConfigureAwait(false);
                    return null;
                }

                if (Parse(line, _principal) is { } answer)
                {
                    return answer;
                }

                await _output.WriteLineAsync("  please answer y, a or n.").ConfigureAwait(false);
            }
        }
        finally
        {
            _oneAtATime.Release();
        }
    }

    /// <inheritdoc />
    public void Dispose() => _oneAtATime.Dispose();

    /// <summary>Reads one answer.</summary>
    /// <param name="line">The line typed.</param>
    /// <param name="principal">Who typed it.</param>
    /// <returns>The answer, or <see langword="null"/> when the line is not one.</returns>
    internal static ApprovalAnswer? Parse(string line, string principal)
    {
        var text = line.Trim();
        var space = text.IndexOf(' ', StringComparison.Ordinal);
        var word = (space < 0 ? text : text[..space]).ToLowerInvariant();
        var rest = space < 0 ? null : text[(space + 1)..].Trim();
        return word switch
        {
            "y" or "yes" => new ApprovalAnswer(ApprovalDecisions.ApproveOnce, principal, rest),
            "a" or "always" => new ApprovalAnswer(ApprovalDecisions.ApproveSession, principal, rest),
            "n" or "no" => new ApprovalAnswer(ApprovalDecisions.Deny, principal, string.IsNullOrEmpty(rest) ? null : rest),
            _ => null,
        };
    }
}
