using System.Text.Json;
using Rein.Journal;
using Rein.Tools;

namespace Rein.Engine;

/// <summary>Handles one tool call at one stage of the pipeline.</summary>
/// <param name="call">The call and its context.</param>
/// <param name="cancellationToken">A token to cancel the call.</param>
/// <returns>The observation.</returns>
public delegate ValueTask<ToolResult> ToolCallHandler(ToolCall call, CancellationToken cancellationToken);

/// <summary>A tool call travelling through the pipeline.</summary>
/// <remarks>
/// Stages read the call and may refuse it by returning a result without calling the next stage.
/// Only the innermost stage runs the tool, after <see cref="ToolStarted"/> is journaled.
/// </remarks>
public sealed class ToolCall
{
    internal ToolCall(ModelToolCall request, ITool? tool, ToolContext context, SessionWriter session, int step, IDictionary<string, object?>? properties = null)
    {
        Properties = properties ?? new Dictionary<string, object?>(StringComparer.Ordinal);
        Step = step;
        Request = request;
        Tool = tool;
        Context = context;
        Session = session;
    }

    /// <summary>Gets the step (model call) that asked for this call.</summary>
    public int Step { get; }

    /// <summary>Gets the call as the model made it.</summary>
    public ModelToolCall Request { get; }

    /// <summary>Gets the tool that was asked for, or <see langword="null"/> when no tool has that name.</summary>
    public ITool? Tool { get; }

    /// <summary>Gets where the call runs.</summary>
    public ToolContext Context { get; }

    /// <summary>Gets the session journal, so stages can record their decisions.</summary>
    public SessionWriter Session { get; }

    /// <summary>Gets values stages share about this call (like <c>HttpContext.Items</c>), e.g. a hook's verdict for the policy stage; kept by <see cref="WithArguments"/> and <see cref="WithContext"/>.</summary>
    public IDictionary<string, object?> Properties { get; }

    /// <summary>Gets the arguments; valid only after the validation stage accepted the call.</summary>
    public JsonElement Arguments => Request.Arguments ?? default;

    /// <summary>Creates a copy of this call with other arguments (e.g. a hook rewrote them); later stages and the tool see the new ones.</summary>
    /// <param name="arguments">The new arguments object.</param>
    /// <returns>The rewritten call.</returns>
    public ToolCall WithArguments(JsonElement arguments) =>
        new(Request with { Arguments = arguments.Clone(), ArgumentsError = null }, Tool, Context, Session, Step, Properties);

    /// <summary>Creates a copy of this call that runs in another context (e.g. with its progress filtered); it shares <see cref="Properties"/>.</summary>
    /// <param name="context">The new context.</param>
    /// <returns>The call in the new context.</returns>
    public ToolCall WithContext(ToolContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return new(Request, Tool, context, Session, Step, Properties);
    }
}

/// <summary>Composes tool-call stages like ASP.NET middleware: the first stage added is the outermost.</summary>
public sealed class ToolCallPipelineBuilder
{
    private readonly List<Func<ToolCallHandler, ToolCallHandler>> _stages = [];

    /// <summary>Adds a stage.</summary>
    /// <param name="stage">A factory that wraps the next handler.</param>
    /// <returns>This builder.</returns>
    public ToolCallPipelineBuilder Use(Func<ToolCallHandler, ToolCallHandler> stage)
    {
        ArgumentNullException.ThrowIfNull(stage);
        _stages.Add(stage);
        return this;
    }

    /// <summary>Builds the pipeline around the innermost handler.</summary>
    /// <param name="terminal">The handler that runs the tool.</param>
    /// <returns>The composed handler.</returns>
    /// <exception cref="InvalidOperationException">A stage factory returned <see langword="null"/>.</exception>
    public ToolCallHandler Build(ToolCallHandler terminal)
    {
        ArgumentNullException.ThrowIfNull(terminal);
        var handler = terminal;
        for (var i = _stages.Count - 1; i >= 0; i--)
        {
            handler = _stages[i](handler) ?? throw new InvalidOperationException($"Tool pipeline stage {i} returned null.");
        }

        return handler;
    }
}
