using System.Globalization;
using System.Text.Json;
using Rein.Engine;
using Rein.Journal;
using Spectre.Console;

namespace Rein.Cli.Rendering;

/// <summary>
/// Human output: the assistant's text streams to standard output; tool activity, the spinner and the
/// closing summary go to standard error, so <c>rein run … &gt; answer.txt</c> captures just the answer.
/// </summary>
/// <remarks>
/// The output writer should neutralise terminal controls (<see cref="NeutralizingWriter"/>); the error writer
/// is the real stream, for Rein's own colours and spinner, and every text from the session shown on it is neutralised here.
/// </remarks>
internal sealed class ConsoleRenderer : IRunRenderer
{
    private readonly TextWriter _out;
    private readonly IAnsiConsole _err;
    private readonly Spinner _spinner;
    private readonly bool _interactive;
    // Render runs on the session's reader; prompts come from the tool pipeline: both write to the same terminal.
    private readonly Lock _gate = new();
    private readonly List<AgentUpdate> _held = [];
    private readonly Dictionary<string, string> _callLabels = new(StringComparer.Ordinal);
    private int _prompts;
    private bool _midLine;
    private bool _severalCalls;
    private string? _runningTool;

    /// <param name="output">Where the answer goes (standard output).</param>
    /// <param name="error">Where activity goes (the real standard error).</param>
    /// <param name="interactive">Whether <paramref name="error"/> is a terminal: only then the spinner runs.</param>
    /// <param name="ansi">Whether escape sequences (colour, bold, the spinner's line clearing) may be written; false for <c>NO_COLOR</c>.</param>
    public ConsoleRenderer(TextWriter output, TextWriter error, bool interactive, bool ansi = true)
    {
        _out = output;
        var styled = interactive && ansi;
        _err = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(error),
            Ansi = styled ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = styled ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
        });
        _err.Pipeline.Attach(TerminalOutput.NeutralizingRenderHook.Instance);
        if (!interactive)
        {
            // Logs and pipes get whole lines, never wrapped at a guessed terminal width.
            _err.Profile.Width = 100_000;
        }

        _spinner = new Spinner(error, interactive, ansi);
        _interactive = interactive;
    }

    public void Render(AgentUpdate update)
    {
        lock (_gate)
        {
            if (_prompts > 0)
            {
                // A question is on the terminal: what happens meanwhile is shown after it is answered.
                _held.Add(update);
                return;
            }

            RenderCore(update);
        }
    }

    /// <summary>
    /// Gives the terminal to a question: the spinner stops, a half-written answer line ends, and other output waits for
    /// <see cref="EndPrompt"/>, so the question starts on a line of its own and nothing is written into the answer.
    /// </summary>
    public void BeginPrompt()
    {
        lock (_gate)
        {
            _prompts++;
            _spinner.Stop();
            EndLine();
        }
    }

    /// <summary>Ends a <see cref="BeginPrompt"/> and shows what happened meanwhile.</summary>
    public void EndPrompt()
    {
        lock (_gate)
        {
            if (--_prompts > 0)
            {
                return;
            }

            foreach (var update in _held)
            {
                // The question itself said what is waiting for approval.
                if (update is not EventAppended { Recorded.Event: ApprovalRequested })
                {
                    RenderCore(update);
                }
            }

            _held.Clear();
        }
    }

    private void RenderCore(AgentUpdate update)
    {
        switch (update)
        {
            case ModelCallStarted:
                _spinner.Start("Thinking…");
                break;
            case TextDelta delta:
                _spinner.Stop();
                _out.Write(delta.Text);
                _out.Flush();
                _midLine = !delta.Text.EndsWith('\n');
                break;
            case ModelRetrying retry when _interactive:
                _spinner.Start(retry.Text);
                break;
            case ModelRetrying retry:
                // Without a spinner, logs still show why the run is waiting.
                EndLine();
                _err.MarkupLine($"[yellow]↻ {Markup.Escape(retry.Text)}[/]");
                break;
            case ToolProgress progress:
                // Live tool output (e.g. a long build) shows as the spinner's label: visible, not noisy.
                var last = progress.Message.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault();
                if (last is not null && _runningTool is not null)
                {
                    _spinner.Start($"{_runningTool}: {Shorten(last, 60)}");
                }

                break;
            case EventAppended { Recorded.Event: var e }:
                RenderEvent(e);
                break;
            case RunStopped:
                _spinner.Stop();
                break;
            default:
                break;
        }
    }

    public void Finish(SessionState state, RunStopped stopped)
    {
        lock (_gate)
        {
            FinishCore(state, stopped);
        }
    }

    private void FinishCore(SessionState state, RunStopped stopped)
    {
        _spinner.Stop();
        EndLine();
        var usage = state.Usage;
        var tokens = usage.InputTokens + usage.OutputTokens;
        var color = stopped.Reason switch
        {
            StopReason.Completed => "green",
            StopReason.Cancelled or StopReason.AwaitingApproval => "yellow",
            _ => "red",
        };
        var detail = stopped.Detail is null ? "" : $" — {Markup.Escape(stopped.Detail)}";
        _err.MarkupLine(string.Create(CultureInfo.InvariantCulture,
            $"[{color}]■ {stopped.Reason}[/]{detail} [grey]· {Plural.Of(state.Steps, "step")} · {Plural.Of(state.ToolCalls, "tool call")} · {Plural.Of(tokens, "token")} · session {state.SessionId}[/]"));
    }

    public void Dispose() => _spinner.Dispose();

    private void RenderEvent(SessionEvent e)
    {
        switch (e)
        {
            case ToolCallProposed proposed:
                _spinner.Stop();
                EndLine();
                _callLabels[proposed.CallId] = $"{proposed.Name} {Shorten(Summarize(proposed), 40)}";
                if (proposed.Name != "todo_write")
                {
                    _err.MarkupLine($"[blue]●[/] [bold]{Markup.Escape(proposed.Name)}[/] [grey]{Markup.Escape(Summarize(proposed))}[/]");
                }

                break;
            case ToolStarted started:
                _runningTool = started.Name;
                _spinner.Start($"Running {started.Name}…");
                break;
            case ToolCompleted completed:
                _runningTool = null;
                _spinner.Stop();
                RenderResult(completed);
                break;
            case SessionResumed { InterruptedCalls: > 0 } resumed:
                _err.MarkupLine($"[yellow]↻ resumed; {Plural.Of(resumed.InterruptedCalls, "interrupted tool call")} reported to the model, not re-run[/]");
                break;
            case ModelCalled called:
                _spinner.Stop();
                EndLine();
                // Results of calls made in one step may finish in any order: then each names its call.
                _severalCalls = called.ToolCalls.Count > 1;
                _callLabels.Clear();
                break;
            case PolicyDecided { Decision: PolicyDecisions.Deny } denied:
                _err.MarkupLine($"  [red]⊘ denied by policy: {Markup.Escape(denied.Reason)}[/]");
                break;
            case ApprovalRequested requested:
                _spinner.Stop();
                EndLine();
                _err.MarkupLine($"  [yellow]? waiting for approval: {Markup.Escape(requested.Reason)}[/]");
                break;
            case ApprovalDecided decided:
                var approved = decided.Decision is ApprovalDecisions.ApproveOnce or ApprovalDecisions.ApproveSession;
                var rule = decided.SessionRule is null ? "" : $" (allowed for this session: {decided.SessionRule})";
                _err.MarkupLine(approved
                    ? $"  [green]✓ approved by {Markup.Escape(decided.By)}{Markup.Escape(rule)}[/]"
                    : $"  [red]✗ {(decided.Decision == ApprovalDecisions.Timeout ? "approval timed out" : $"denied by {Markup.Escape(decided.By)}")}{(decided.Reason is null ? "" : ": " + Markup.Escape(decided.Reason))}[/]");
                break;
            case BudgetWarning warning:
                _err.MarkupLine(string.Create(CultureInfo.InvariantCulture, $"[yellow]▲ {warning.Budget} budget ({warning.Scope}) at {warning.Used:0.####} of {warning.Limit:0.####}[/]"));
                break;
            case BudgetExceeded exceeded:
                _err.MarkupLine($"[red]▲ {Markup.Escape(exceeded.Detail)}[/]");
                break;
            case EgressRefused refused:
                _err.MarkupLine($"  [yellow]network: refused {Markup.Escape(refused.Host)}:{refused.Port} (not on the sandbox allow-list)[/]");
                break;
            case SandboxDisabled disabled:
                _err.MarkupLine($"[yellow]warning: {Markup.Escape(disabled.Detail)}[/]");
                break;
            case ProtectedPathsRestored undone:
                _err.MarkupLine($"[red]▲ protected paths changed and undone: {Markup.Escape(string.Join("; ", undone.Restored.Concat(undone.NotRestored)))}[/]");
                break;
            case HookRan { Outcome: not "ok" and not "allow" } hook:
                _err.MarkupLine($"  [grey]hook {Markup.Escape(hook.HookEvent)} ({Markup.Escape(hook.Command)}): {Markup.Escape(hook.Outcome)}{(hook.Reason is null ? "" : " — " + Markup.Escape(hook.Reason))}[/]");
                break;
            default:
                break;
        }
    }

    private void RenderResult(ToolCompleted completed)
    {
        if (completed.Name == "todo_write" && completed.Outcome == ToolOutcome.Success)
        {
            foreach (var line in completed.Result.Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                _err.MarkupLine($"  [magenta]{Markup.Escape(line)}[/]");
            }

            return;
        }

        var lines = completed.Result.TrimEnd().Split('\n');
        var label = _severalCalls && _callLabels.TryGetValue(completed.CallId, out var call) ? $"{call}: " : "";
        var (mark, color) = completed.Outcome switch
        {
            ToolOutcome.Success => ("⎿", "grey"),
            ToolOutcome.Interrupted => ("⎿ interrupted:", "yellow"),
            _ => ("⎿ error:", "red"),
        };
        if (completed.Name == "shell" && FailedCommandStatus(lines) is { } status)
        {
            // A failed command's cause is often at the start of its output and its summary at the end: show both.
            string?[] output = [.. lines.Take(status), .. lines.Skip(status + 1)];
            _err.MarkupLine($"  [red]{mark} {Markup.Escape(label + lines[status])} ({Markup.Escape(Plural.Of(output.Length, "line"))} of output)[/]");
            var omitted = output.Length - (2 * FailedOutputLines);
            foreach (var line in omitted > 1 ? [.. output[..FailedOutputLines], null, .. output[^FailedOutputLines..]] : output)
            {
                _err.MarkupLine(line is null
                    ? $"    [grey]… {Markup.Escape(Plural.Of(omitted, "line"))} …[/]"
                    : $"    {Markup.Escape(Shorten(line, 200))}");
            }

            return;
        }

        // A command's outcome is at its end ("[exit code 0]"); a file's or listing's at its start.
        var shown = completed.Name == "shell" ? lines[^1] : lines[0];
        var first = Shorten(shown, 120);
        var more = lines.Length > 1 ? $" ({Plural.Of(lines.Length, "line")})" : "";
        _err.MarkupLine($"  [{color}]{mark} {Markup.Escape(label + first)}{more}[/]");
    }

    /// <summary>How many lines of a failed command's output are shown from its start, and from its end.</summary>
    private const int FailedOutputLines = 5;

    /// <summary>The index of the shell result's status line when the command failed (a non-zero exit or a timeout); otherwise null.</summary>
    private static int? FailedCommandStatus(string[] lines)
    {
        // The status line is last, or followed by notes such as the network refusals.
        for (var i = lines.Length - 1; i >= 0 && lines[i].StartsWith('['); i--)
        {
            if (lines[i].StartsWith("[exit code ", StringComparison.Ordinal))
            {
                return lines[i] == "[exit code 0]" ? null : i;
            }

            if (lines[i].StartsWith("[timed out ", StringComparison.Ordinal))
            {
                return i;
            }
        }

        return null;
    }

    private void EndLine()
    {
        if (_midLine)
        {
            _out.WriteLine();
            _out.Flush();
            _midLine = false;
        }
    }

    private static string Summarize(ToolCallProposed call)
    {
        if (call.Arguments is not { ValueKind: JsonValueKind.Object } args)
        {
            return "(invalid arguments)";
        }

        foreach (var key in new[] { "command", "path", "pattern", "url" })
        {
            if (args.TryGetProperty(key, out var value) && value.ValueKind == JsonValueKind.String)
            {
                return Shorten(value.GetString()!, 100);
            }
        }

        return Shorten(args.GetRawText(), 100);
    }

    private static string Shorten(string text, int max)
    {
        text = text.ReplaceLineEndings(" ");
        return text.Length > max ? text[..max] + "…" : text;
    }
}
