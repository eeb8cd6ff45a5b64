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
}
