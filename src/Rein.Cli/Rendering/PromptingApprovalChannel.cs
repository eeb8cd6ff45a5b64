using Rein.Engine;
using Rein.Journal;

namespace Rein.Cli.Rendering;

/// <summary>
/// Asks approvals on the terminal with the run's output held back meanwhile (<see cref="IRunRenderer.BeginPrompt"/>), so
/// the question starts on its own line, not after a spinner or half a line of the answer, and nothing is written into it.
/// </summary>
internal sealed class PromptingApprovalChannel(IApprovalChannel inner, IRunRenderer renderer) : IApprovalChannel, IDisposable
{
    public async ValueTask<ApprovalAnswer?> AskAsync(ApprovalRequested request, CancellationToken cancellationToken = default)
    {
        renderer.BeginPrompt();
        try
        {
            return await inner.AskAsync(request, cancellationToken);
        }
        finally
        {
            renderer.EndPrompt();
        }
    }

    public void Dispose() => (inner as IDisposable)?.Dispose();
}
