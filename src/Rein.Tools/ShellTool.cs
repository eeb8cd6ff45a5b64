using System.Globalization;
using System.Text;

namespace Rein.Tools;

/// <summary>The <c>shell</c> tool: runs a shell command in the workspace through an <see cref="ICommandRunner"/>.</summary>
/// <remarks>
/// Thread-safe. A non-zero exit code is reported but is not an error result (it is often informative, e.g. grep
/// finding nothing); a timeout or a command that cannot start is.
/// </remarks>
public sealed class ShellTool : ITool
{
    /// <summary>The default timeout, in seconds.</summary>
    public const int DefaultTimeoutSeconds = 120;

    /// <summary>The largest timeout the model may ask for, in seconds.</summary>
    public const int MaxTimeoutSeconds = 600;

    private readonly ICommandRunner _runner;
    private readonly int _maxOutputChars;

    /// <summary>Creates the tool.</summary>
    /// <param name="runner">Runs the commands. Defaults to a <see cref="ProcessCommandRunner"/> that runs them directly.</param>
    /// <param name="maxOutputChars">The most output characters returned; beyond it the head and tail are kept. Defaults to 30,000.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxOutputChars"/> is less than 200.</exception>
    public ShellTool(ICommandRunner? runner = null, int maxOutputChars = 30_000)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxOutputChars, 200);
        _runner = runner ?? new ProcessCommandRunner();
        _maxOutputChars = maxOutputChars;
        Definition = new ToolDefinition(
            "shell",
            $"Run a command with {Path.GetFileName(ProcessCommandRunner.Shell)} -c in the workspace. Returns combined stdout/stderr and the exit code. No stdin; not interactive.",
            ToolArguments.Schema($$$"""
                {"type":"object","properties":{
                "command":{"type":"string","minLength":1,"description":"The command line"},
                "workdir":{"type":"string","description":"Working folder, relative to the workspace. Default: root"},
                "timeout_seconds":{"type":"integer","minimum":1,"maximum":{{{MaxTimeoutSeconds}}},"description":"Default {{{DefaultTimeoutSeconds}}}"}},
                "required":["command"],"additionalProperties":false}
                """));
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
        var command = ToolArguments.RequiredString(invocation.Arguments, "command");
        var workdir = ToolArguments.OptionalString(invocation.Arguments, "workdir") ?? "";
        var timeoutSeconds = ToolArguments.OptionalInteger(invocation.Arguments, "timeout_seconds", 1, MaxTimeoutSeconds) ?? DefaultTimeoutSeconds;
        var workspace = new WorkspacePaths(invocation.Context.WorkspaceRoot);
        if (!workspace.TryResolve(workdir, out var folder, out var error))
        {
            return ToolResult.Error(error);
        }

        if (!Directory.Exists(folder))
        {
            return ToolResult.Error($"Working folder '{workdir}' does not exist.");
        }

        var request = new CommandRequest(command, folder, TimeSpan.FromSeconds(timeoutSeconds))
        {
            MaxOutputChars = _maxOutputChars,
            Output = invocation.Context.Progress,
        };
        var result = await _runner.RunAsync(request, cancellationToken).ConfigureAwait(false);
        if (result.StartError is not null)
        {
            return ToolResult.Error($"The command could not be started: {result.StartError}");
        }

        var text = new StringBuilder(result.Output.Length + 200);
        text.Append(result.Output.Length == 0 ? "(no output)" : result.Output);
        if (text[^1] != '\n')
        {
            text.Append('\n');
        }

        if (result.OutputAbandoned)
        {
            text.Append("[background processes still hold the output open; their later output is not shown. Redirect it to a file, e.g. cmd > log 2>&1 &]\n");
        }

        if (result.TimedOut)
        {
            text.Append(CultureInfo.InvariantCulture, $"[timed out after {timeoutSeconds} s; the command and all its child processes were killed]");
        }
        else
        {
            text.Append(CultureInfo.InvariantCulture, $"[exit code {result.ExitCode}]");
        }

        return new ToolResult(text.ToString(), IsError: result.TimedOut)
        {
            Truncated = result.Truncated,
            OriginalLength = result.Truncated ? result.OutputLength : 0,
        };
    }
}
