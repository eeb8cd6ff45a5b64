using System.ComponentModel.DataAnnotations;

namespace Rein.Engine;

/// <summary>Options for <see cref="AgentLoop"/>.</summary>
public sealed class AgentLoopOptions
{
    /// <summary>Gets or sets the editor whose files the file tools read and write (see <see cref="Tools.IEditorFiles"/>); null (the default) for the disk.</summary>
    public Tools.IEditorFiles? Editor { get; set; }

    /// <summary>Gets or sets the most model calls one run may make. Default: 50.</summary>
    [Range(1, 10_000)]
    public int MaxSteps { get; set; } = 50;

    /// <summary>Gets or sets how many tool calls of one step may run at once. Default: 4.</summary>
    [Range(1, 64)]
    public int MaxParallelToolCalls { get; set; } = 4;

    /// <summary>Gets or sets the largest observation, in characters, sent back to the model unchanged. Default: 30,000.</summary>
    [Range(200, 10_000_000)]
    public int MaxObservationChars { get; set; } = 30_000;

    /// <summary>Gets or sets whether raw exception text from failing tools is sent to the model. Default: <see langword="false"/>.</summary>
    public bool IncludeDetailedErrors { get; set; }

    /// <summary>Gets or sets the model identifier passed in <c>ChatOptions.ModelId</c>, if any. Default: <see langword="null"/>.</summary>
    public string? ModelId { get; set; }

    /// <summary>Gets or sets the largest output, in tokens, the model may produce per call. Default: <see langword="null"/> (the provider's default).</summary>
    public int? MaxOutputTokens { get; set; }

    /// <summary>Gets the guards checked before every model call (budgets, ...), in order. Default: none.</summary>
    public IList<IStepGuard> StepGuards { get; } = [];

    /// <summary>
    /// Gets or sets how a model call is priced: model (as reported, else <see cref="ModelId"/>) and usage to US dollars,
    /// or <see langword="null"/> when the price is unknown. Recorded in <c>model_called</c>. Default: <see langword="null"/> (no prices).
    /// </summary>
    public Func<string?, Journal.TokenUsage, decimal?>? Pricing { get; set; }

    /// <summary>
    /// Gets or sets the model's token counter: when set, the tokens of every request (messages and tool declarations)
    /// are counted while the model answers and journaled as <c>model_called.context_tokens</c>. Default: <see langword="null"/> (not counted).
    /// </summary>
    public ITokenCounter? TokenCounter { get; set; }
}
