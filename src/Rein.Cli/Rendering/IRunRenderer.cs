using Rein.Engine;

namespace Rein.Cli.Rendering;

/// <summary>Shows a running session to the user: human-readable or as JSON lines.</summary>
internal interface IRunRenderer : IDisposable
{
    void Render(AgentUpdate update);

    /// <summary>Called once when the run stopped, with the session's final state.</summary>
    void Finish(Rein.Journal.SessionState state, RunStopped stopped);

    /// <summary>A question (an approval) is about to be asked on the terminal: it gets a line of its own and is not written into.</summary>
    /// <remarks>Nothing to do for output that does not share the terminal with the question.</remarks>
    void BeginPrompt()
    {
    }

    /// <summary>The question of <see cref="BeginPrompt"/> was answered.</summary>
    void EndPrompt()
    {
    }
}
