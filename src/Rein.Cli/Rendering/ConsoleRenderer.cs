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
    private bool _midLine;
    private string? _runningTool;

    public ConsoleRenderer(TextWriter output, TextWriter error, bool interactive)
    {
        _out = output;
        _err = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(error),
            Ansi = interactive ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = interactive ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
        });
        _err.Pipeline.Attach(TerminalOutput.NeutralizingRenderHook.Instance);
        if (!interactive)
        {
            // Logs and pipes get whole lines, never wrapped at a guessed terminal width.
            _err.Profile.Width = 100_000;
        }

        _spinner = new Spinner(error, interactive);
        _interactive = interactive;
    }

    public void Render(AgentUpdate update)
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
            $"[{color}]■ {stopped.Reason}[/]{detail} [grey]· {state.Steps} steps · {state.ToolCalls} tool calls · {tokens:N0} tokens · session {state.SessionId}[/]"));
    }

    public void Dispose() => _spinner.Dispose();

    private void RenderEvent(SessionEvent e)
    {
        switch (e)
        {
            case ToolCallProposed proposed:
                _spinner.Stop();
                EndLine();
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
                _err.MarkupLine($"[yellow]↻ resumed; {resumed.InterruptedCalls} interrupted tool call(s) reported to the model, not re-run[/]");
                break;
            case ModelCalled:
                _spinner.Stop();
                EndLine();
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
        // A command's outcome is at its end ("[exit code 1]"); a file's or listing's at its start.
        var shown = completed.Name == "shell" ? lines[^1] : lines[0];
        var first = Shorten(shown, 120);
        var more = lines.Length > 1 ? $" ({lines.Length} lines)" : "";
        var (mark, color) = completed.Outcome switch
        {
            ToolOutcome.Success => ("⎿", "grey"),
            ToolOutcome.Interrupted => ("⎿ interrupted:", "yellow"),
            _ => ("⎿ error:", "red"),
        };
        _err.MarkupLine($"  [{color}]{mark} {Markup.Escape(first)}{more}[/]");
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
