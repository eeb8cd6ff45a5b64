namespace Rein.Hosting.Sessions;

/// <summary>What the session host runs sessions with; each value overrides the settings files and <c>REIN_*</c> variables, as a flag does.</summary>
/// <remarks>Bound from configuration (e.g. the <c>Rein</c> section) and validated at start: see <c>ReinOptionsValidator</c>.</remarks>
public sealed class ReinOptions
{
    /// <summary>Gets the folders sessions may run in (a workspace must resolve, after <c>..</c> and links, inside one). Empty (the default) allows any folder.</summary>
    public IList<string> WorkspaceRoots { get; } = [];

    /// <summary>Gets or sets the session store file; null (the default) for the settings' store, else <c>rein.db</c> in the user's data folder.</summary>
    public string? StorePath { get; set; }

    /// <summary>Gets or sets the default model specification (e.g. <c>openai:gpt-5.5</c>, <c>scripted:FILE</c>); null (the default) for the settings'.</summary>
    public string? Model { get; set; }

    /// <summary>Gets or sets the model endpoint of OpenAI-compatible and Ollama models; null (the default) for the settings' or the provider's.</summary>
    public string? BaseUrl { get; set; }

    /// <summary>Gets or sets the default permission mode (<c>read-only</c>, <c>workspace-write</c>, <c>full-auto</c>…); null (the default) for the settings'.</summary>
    public string? Mode { get; set; }

    /// <summary>Gets or sets the default agent profile; null (the default) for the settings' (else the built-in <c>coder</c>).</summary>
    public string? Agent { get; set; }

    /// <summary>Gets or sets the steps per run; null (the default) for the settings' (else 50).</summary>
    public int? MaxSteps { get; set; }

    /// <summary>Gets or sets the session's token budget; null (the default) for the settings'.</summary>
    public long? MaxTokens { get; set; }

    /// <summary>Gets or sets the session's cost budget in US dollars; null (the default) for the settings'.</summary>
    public decimal? MaxCostUsd { get; set; }

    /// <summary>Gets or sets the session's time budget; null (the default) for the settings'.</summary>
    public TimeSpan? MaxTime { get; set; }

    /// <summary>Gets or sets who sessions run for when a request names nobody; null (the default) for <c>REIN_PRINCIPAL</c>, else the OS user.</summary>
    public string? Principal { get; set; }

    /// <summary>
    /// Gets or sets how often watchers read the store for events other processes journaled, and how often the host looks
    /// for approvals answered elsewhere; 500 ms by default.
    /// </summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Gets what the model sees of a session (the settings files' <c>context</c> section where these are null).</summary>
    public ReinContextOptions Context { get; } = new();

    /// <summary>Gets whether sessions recall and keep memories (the settings files' <c>memory</c> section where these are null).</summary>
    public ReinMemoryOptions Memory { get; } = new();
}

/// <summary>The context engine's settings for every session (<c>Rein:Context</c>), as the settings files' <c>context</c> section.</summary>
public sealed class ReinContextOptions
{
    /// <summary>Gets or sets the model's context window in tokens (1,000 to 100,000,000); null (the default) for the settings' or the model's own.</summary>
    public int? Window { get; set; }

    /// <summary>Gets or sets the share of the window at which older turns are compacted (0.1 to 1.0); null (the default) for the settings' (else 0.8).</summary>
    public double? CompactionThreshold { get; set; }

    /// <summary>Gets or sets how many of the newest tool outputs stay whole when older ones are masked (1 to 1,000); null (the default) for the settings' (else 10).</summary>
    public int? KeepRecentObservations { get; set; }
}

/// <summary>Long-term memory for every session (<c>Rein:Memory</c>), as the settings files' <c>memory</c> section.</summary>
public sealed class ReinMemoryOptions
{
    /// <summary>Gets or sets whether sessions recall memories and get the <c>remember</c>, <c>recall</c> and <c>forget</c> tools; null (the default) for the settings' (else on).</summary>
    public bool? Enabled { get; set; }
}
