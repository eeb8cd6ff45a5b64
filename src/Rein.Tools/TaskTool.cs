using System.Globalization;
using Rein.Journal;

namespace Rein.Tools;

/// <summary>
/// The <c>task</c> tool: hands a self-contained piece of work to a sub-agent that runs in its own child
/// session with a fresh context, and returns only the sub-agent's final report.
/// </summary>
/// <remarks>
/// <para>
/// The tool declares itself read-only: delegating changes nothing, and every call the sub-agent makes is
/// judged by the same policy as the parent's. The call's result carries <see cref="SubAgentStarted"/> and
/// <see cref="SubAgentFinished"/> as facts, so the parent's journal names the child session.
/// </para>
/// <para>Thread-safe when the runner is: parallel <c>task</c> calls run parallel sub-agents.</para>
/// </remarks>
public sealed class TaskTool : ITool
{
    /// <summary>The most characters of the sub-agent's final text returned to the parent. Default: 8,000.</summary>
    public const int DefaultMaxReportChars = 8_000;

    private readonly ISubAgentRunner _runner;
    private readonly int _maxReportChars;

    /// <summary>Creates the tool.</summary>
    /// <param name="runner">Runs the sub-agents.</param>
    /// <param name="maxReportChars">The most characters of the final text returned. Default: <see cref="DefaultMaxReportChars"/>.</param>
    /// <exception cref="ArgumentNullException"><paramref name="runner"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxReportChars"/> is less than 100.</exception>
    public TaskTool(ISubAgentRunner runner, int maxReportChars = DefaultMaxReportChars)
    {
        ArgumentNullException.ThrowIfNull(runner);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxReportChars, 100);
        _runner = runner;
        _maxReportChars = maxReportChars;
        Definition = new ToolDefinition(
            "task",
            "Delegate research or exploration that would flood your context (reading many files, long outputs) to a sub-agent " +
            "with a fresh context and the same tools and permissions. Only its final report comes back: say exactly what it should report.",
            ToolArguments.Schema("""
                {"type":"object","properties":{
                "description":{"type":"string","description":"Short title, 3-8 words"},
                "prompt":{"type":"string","description":"Full instructions; the sub-agent sees nothing else"},
                "agent":{"type":"string","description":"Agent profile name; default: yours"}},
                "required":["description","prompt"],"additionalProperties":false}
                """),
            ReadOnly: true);
    }

    /// <inheritdoc />
    public ToolDefinition Definition { get; }

    /// <inheritdoc />
    public ValueTask<ToolResult> InvokeAsync(ToolInvocation invocation, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(invocation);
        return ToolGuard.RunAsync(() => RunAsync(invocation, cancellationToken));
    }

    private async ValueTask<ToolResult> RunAsync(ToolInvocation invocation, CancellationToken cancellationToken)
    {
        var description = ToolArguments.RequiredString(invocation.Arguments, "description").Trim();
        var prompt = ToolArguments.RequiredString(invocation.Arguments, "prompt");
        var agent = ToolArguments.OptionalString(invocation.Arguments, "agent") is { Length: > 0 } name ? name.Trim() : null;
        var request = new SubAgentRequest(invocation.Context.SessionId, invocation.CallId, description, prompt, agent)
        {
            Progress = invocation.Context.Progress,
        };
        SubAgentReport report;
        try
        {
            report = await _runner.RunAsync(request, cancellationToken).ConfigureAwait(false);
        }
        catch (SubAgentException ex)
        {
            return ToolResult.Error(ex.Message);
        }

        var facts = new SessionEvent[]
        {
            new SubAgentStarted(invocation.CallId, report.ChildSessionId, report.Agent, description),
            new SubAgentFinished(invocation.CallId, report.ChildSessionId, report.StopReason, report.Steps, report.Usage, report.CostUsd, report.ToolCalls),
        };
        return new ToolResult(Format(report, _maxReportChars), IsError: report.StopReason != StopReason.Completed) { Facts = facts };
    }

    /// <summary>Formats a report for the parent: one header line, then the sub-agent's final text, capped.</summary>
    /// <param name="report">The report.</param>
    /// <param name="maxChars">The most characters of the final text.</param>
    /// <returns>The text the parent's model sees.</returns>
    internal static string Format(SubAgentReport report, int maxChars)
    {
        var tokens = report.Usage.InputTokens + report.Usage.OutputTokens;
        var header = string.Create(
            CultureInfo.InvariantCulture,
            $"[sub-agent session {report.ChildSessionId}{(report.Agent is null ? "" : $" ({report.Agent})")}: {report.StopReason}, {report.Steps} steps, {tokens:#,0} tokens{(report.CostUsd > 0 ? $", ${report.CostUsd:0.00##}" : "")}; details: rein sessions show {report.ChildSessionId}]");
        var text = new System.Text.StringBuilder(header).Append('\n');
        if (report.StopReason != StopReason.Completed)
        {
            text.Append("The sub-agent did not finish");
            text.Append(report.Detail is { Length: > 0 } detail ? $": {detail}" : ".");
            text.Append('\n');
        }

        if (report.Text is { Length: > 0 } final)
        {
            if (report.StopReason != StopReason.Completed)
            {
                text.Append("Its last message:\n");
            }

            if (final.Length > maxChars)
            {
                text.Append(final.AsSpan(0, maxChars))
                    .Append(CultureInfo.InvariantCulture, $"\n[report cut at {maxChars:#,0} of {final.Length:#,0} characters; the full text is in the child session]");
            }
            else
            {
                text.Append(final);
            }
        }
        else if (report.StopReason == StopReason.Completed)
        {
            text.Append("(The sub-agent gave no final text.)");
        }

        return text.ToString().TrimEnd();
    }
}

/// <summary>Runs sub-agents for the <c>task</c> tool.</summary>
public interface ISubAgentRunner
{
    /// <summary>Runs one sub-agent in a new child session until it stops.</summary>
    /// <param name="request">What to do, and for which parent call.</param>
    /// <param name="cancellationToken">Cancelling suspends the child session (it can be resumed on its own).</param>
    /// <returns>How the child stopped and its final text.</returns>
    /// <exception cref="SubAgentException">The sub-agent could not be started (e.g. an unknown profile); nothing ran.</exception>
    ValueTask<SubAgentReport> RunAsync(SubAgentRequest request, CancellationToken cancellationToken = default);
}

/// <summary>A request for a sub-agent.</summary>
/// <param name="ParentSessionId">The session whose <c>task</c> call asks for it.</param>
/// <param name="ParentCallId">That call.</param>
/// <param name="Description">A short title.</param>
/// <param name="Prompt">The full instructions: the child's first and only user message.</param>
/// <param name="Agent">The agent profile to run, or <see langword="null"/> for the parent's.</param>
public sealed record SubAgentRequest(string ParentSessionId, string ParentCallId, string Description, string Prompt, string? Agent = null)
{
    /// <summary>Gets where short progress lines about the child go, if anywhere.</summary>
    public IProgress<string>? Progress { get; init; }
}

/// <summary>How a sub-agent ended.</summary>
/// <param name="ChildSessionId">The child session.</param>
/// <param name="Agent">The agent profile it ran, if any.</param>
/// <param name="StopReason">A stable snake_case <see cref="Journal.StopReason"/> value.</param>
/// <param name="Detail">Why it stopped, when it did not complete.</param>
/// <param name="Steps">Its model calls, its own sub-agents' included.</param>
/// <param name="Usage">Its token usage.</param>
/// <param name="CostUsd">Its priced cost in US dollars.</param>
/// <param name="Text">Its last assistant text, if any.</param>
public sealed record SubAgentReport(
    string ChildSessionId,
    string? Agent,
    string StopReason,
    string? Detail,
    int Steps,
    TokenUsage Usage,
    decimal CostUsd,
    string? Text)
{
    /// <summary>Gets its completed tool calls, its own sub-agents' included.</summary>
    public int ToolCalls { get; init; }
}

/// <summary>Thrown when a sub-agent cannot be started; the message is for the model.</summary>
public sealed class SubAgentException : Exception
{
    /// <summary>Creates the exception.</summary>
    public SubAgentException()
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">What went wrong and what to do instead.</param>
    public SubAgentException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">What went wrong and what to do instead.</param>
    /// <param name="innerException">The cause.</param>
    public SubAgentException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
