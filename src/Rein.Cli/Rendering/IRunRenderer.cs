using Rein.Engine;

namespace Rein.Cli.Rendering;

/// <summary>Shows a running session to the user: human-readable or as JSON lines.</summary>
internal interface IRunRenderer : IDisposable
{
    void Render(AgentUpdate update);

    /// <summary>Called once when the run stopped, with the session's final state.</summary>
    void Finish(Rein.Journal.SessionState state, RunStopped stopped);
}
