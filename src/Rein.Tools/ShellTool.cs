using System.Globalization;
using System.Text;
using System.Text.Json;

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
    private readonly ISecretResolver? _secrets;
    private readonly int _maxTimeoutSeconds;

    /// <summary>Creates the tool.</summary>
    /// <param name="runner">Runs the commands. Defaults to a <see cref="ProcessCommandRunner"/> that runs them directly.</param>
    /// <param name="maxOutputChars">The most output characters returned; beyond it the head and tail are kept. Defaults to 30,000.</param>
    /// <param name="secrets">
    /// Stored secrets a command may ask for by name (the <c>secrets</c> argument); their values are set as environment
    /// variables of that command only. Without it the tool has no <c>secrets</c> argument.
    /// </param>
    /// <param name="maxTimeoutSeconds">
    /// The largest <c>timeout_seconds</c> a call may ask for. Defaults to <see cref="MaxTimeoutSeconds"/>; an eval's scripted
    /// solution raises it to its task's time limit.
    /// </param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxOutputChars"/> is less than 200, or <paramref name="maxTimeoutSeconds"/> less than 1.</exception>
    public ShellTool(ICommandRunner? runner = null, int maxOutputChars = 30_000, ISecretResolver? secrets = null, int maxTimeoutSeconds = MaxTimeoutSeconds)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxOutputChars, 200);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxTimeoutSeconds, 1);
        _maxTimeoutSeconds = maxTimeoutSeconds;
        _runner = runner ?? new ProcessCommandRunner();
        _maxOutputChars = maxOutputChars;
        _secrets = secrets;
        var secretsHelp = secrets is null ? "" : SecretsHelp(secrets);
        var secretsSchema = secrets is null ? "" : """
            ,"secrets":{"type":"array","items":{"type":"string","pattern":"^[A-Za-z_][A-Za-z0-9_]*$"},"uniqueItems":true,"description":"Names of stored secrets to set as environment variables of this command, e.g. [\"GITHUB_TOKEN\"]; use them as $GITHUB_TOKEN"}
            """.Trim();
        Definition = new ToolDefinition(
            "shell",
            $"Run a command with {Path.GetFileName(ProcessCommandRunner.Shell)} -c in the workspace. Returns combined stdout/stderr and the exit code. No stdin; not interactive.{secretsHelp}",
            ToolArguments.Schema($$$"""
                {"type":"object","properties":{
                "command":{"type":"string","minLength":1,"description":"The command line"},
                "workdir":{"type":"string","description":"Working folder, relative to the workspace. Default: root"},
                "timeout_seconds":{"type":"integer","minimum":1,"maximum":{{{maxTimeoutSeconds}}},"description":"Default {{{DefaultTimeoutSeconds}}}"}{{{secretsSchema}}}},
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
        var timeoutSeconds = ToolArguments.OptionalInteger(invocation.Arguments, "timeout_seconds", 1, _maxTimeoutSeconds) ?? DefaultTimeoutSeconds;
        var workspace = new WorkspacePaths(invocation.Context.WorkspaceRoot);
        if (!workspace.TryResolve(workdir, out var folder, out var error))
        {
            return ToolResult.Error(error);
        }

        if (!Directory.Exists(folder))
        {
            return ToolResult.Error($"Working folder '{workdir}' does not exist.");
        }

        if (!TryResolveSecrets(invocation.Arguments, out var environment, out error))
        {
            return ToolResult.Error(error);
        }

        var request = new CommandRequest(command, folder, TimeSpan.FromSeconds(timeoutSeconds))
        {
            MaxOutputChars = _maxOutputChars,
            Output = invocation.Context.Progress,
            Environment = environment,
            Redactor = invocation.Context.Redactor,
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

        var refused = result.EgressRefused.Select(destination => (Journal.SessionEvent)ToRefusal(destination, invocation.CallId)).ToList();
        if (refused.Count > 0)
        {
            text.Append(CultureInfo.InvariantCulture, $"\n[network: the sandbox refused {string.Join(", ", result.EgressRefused)} (not on the allow-list)]");
        }

        return new ToolResult(text.ToString(), IsError: result.TimedOut)
        {
            Truncated = result.Truncated,
            OriginalLength = result.Truncated ? result.OutputLength : 0,
            Facts = refused,
        };
    }

    private static string SecretsHelp(ISecretResolver secrets)
    {
        var names = secrets.SecretNames;
        var available = names.Count == 0 ? "none are stored yet" : "available: " + string.Join(", ", names);
        return $" To use a stored secret, name it in \"secrets\" (e.g. \"secrets\": [\"GITHUB_TOKEN\"]) and refer to it as an environment variable in the command (e.g. $GITHUB_TOKEN); never ask for or print its value, which you cannot see (output containing it is redacted). Secrets {available}.";
    }

    // The model only ever names secrets; values go straight into the command's environment, which the runner
    // applies after removing inherited credential-like variables, so explicitly requested secrets survive.
    private bool TryResolveSecrets(JsonElement arguments, out IReadOnlyDictionary<string, string?>? environment, out string error)
    {
        environment = null;
        error = "";
        if (!ToolArguments.TryGet(arguments, "secrets", out var requested))
        {
            return true;
        }

        if (requested.ValueKind != JsonValueKind.Array || requested.EnumerateArray().Any(n => n.ValueKind != JsonValueKind.String))
        {
            throw new ToolArgumentException("Argument 'secrets' must be an array of secret names.");
        }

        var available = _secrets?.SecretNames ?? [];
        var values = new Dictionary<string, string?>(StringComparer.Ordinal);
        var unknown = new List<string>();
        foreach (var name in requested.EnumerateArray().Select(n => n.GetString()!))
        {
            if (_secrets is not null && _secrets.TryGetSecret(name, out var value))
            {
                values[name] = value;
            }
            else
            {
                unknown.Add(name);
            }
        }

        if (unknown.Count > 0)
        {
            error = $"Unknown secret{(unknown.Count == 1 ? "" : "s")} {string.Join(", ", unknown.Select(n => $"'{n}'"))}. " +
                (available.Count == 0
                    ? "No secrets are stored; the user can add one with: rein secrets set NAME"
                    : $"Available secrets: {string.Join(", ", available)}.");
            return false;
        }

        environment = values.Count == 0 ? null : values;
        return true;
    }

    private static Journal.EgressRefused ToRefusal(string destination, string callId)
    {
        var colon = destination.LastIndexOf(':');
        return colon > 0 && int.TryParse(destination.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var port)
            ? new Journal.EgressRefused(destination[..colon], port, callId)
            : new Journal.EgressRefused(destination, 0, callId);
    }
}
