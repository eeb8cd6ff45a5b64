namespace Rein.Journal;

/// <summary>
/// The run settings a session runs with besides its model and agent (<see cref="SessionStarted.RunSettings"/>), so that
/// <c>rein sessions resume</c> continues it as it was started. Never holds a key or other secret.
/// </summary>
/// <param name="BaseUrl">The provider endpoint chosen by a flag, variable or settings file (without user name or password), if any.</param>
/// <param name="Mode">The permission mode chosen by <c>--mode</c> or <c>REIN_MODE</c>, canonical (e.g. <c>full-auto</c>), if any; a mode from a settings file is read again on resume.</param>
/// <param name="Environment">The named environment (<c>--env</c>), if any.</param>
/// <param name="Sandbox">The sandbox for commands (<c>bubblewrap</c> or <c>none</c>), if chosen.</param>
/// <param name="MaxSteps">The step limit of one run, if set.</param>
/// <param name="MaxTokens">The session's token budget from <c>--max-tokens</c>, if set.</param>
/// <param name="MaxCostUsd">The session's cost budget from <c>--max-cost</c>, if set.</param>
/// <param name="MaxTimeSeconds">The longest wall-clock time of a run from <c>--max-time</c>, in seconds, if set.</param>
public sealed record SessionRunSettings(
    string? BaseUrl = null,
    string? Mode = null,
    string? Environment = null,
    string? Sandbox = null,
    int? MaxSteps = null,
    long? MaxTokens = null,
    decimal? MaxCostUsd = null,
    long? MaxTimeSeconds = null);

/// <summary>
/// A resume was given flags that change how the session runs; from here on it runs with these (later resumes too).
/// </summary>
/// <param name="Model">The model the session runs with now.</param>
/// <param name="Agent">The agent profile it runs with now, if any.</param>
/// <param name="Settings">The run settings it runs with now.</param>
/// <param name="Changed">The settings the flags changed, e.g. <c>mode</c>, <c>base_url</c>, <c>model</c>.</param>
public sealed record RunSettingsChanged(string Model, string? Agent, SessionRunSettings Settings, IReadOnlyList<string> Changed) : SessionEvent;
