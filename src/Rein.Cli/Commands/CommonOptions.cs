using System.CommandLine;
using Rein.Hosting.Configuration;

namespace Rein.Cli.Commands;

/// <summary>Options shared by the commands that run or read sessions.</summary>
internal static class CommonOptions
{
    public static readonly Option<string?> Model = new("--model", "-m")
    {
        Description = "Model as provider:name — openai:gpt-5.5, openai-responses:gpt-5.5, anthropic:claude-sonnet-4-5, ollama:qwen3, " +
            "openai-compatible:NAME (with --base-url), scripted:FILE.json, replay:SESSION_ID. Env: REIN_MODEL.",
    };

    public static readonly Option<string?> Workspace = new("--workspace", "-w")
    {
        Description = "Folder the agent works in; file tools cannot leave it. Default: the current folder.",
    };

    public static readonly Option<string?> Store = new("--store")
    {
        Description = "Session store (SQLite file). Env: REIN_STORE. Default: $XDG_DATA_HOME/rein/rein.db (~/.local/share/rein/rein.db).",
    };

    public static readonly Option<string?> BaseUrl = new("--base-url")
    {
        Description = "Provider endpoint, e.g. http://127.0.0.1:8000/v1 for openai-compatible servers. Env: REIN_BASE_URL.",
    };

    public static readonly Option<int?> MaxSteps = new("--max-steps")
    {
        Description = $"Most model calls in one run before stopping with max_steps. Env: REIN_MAX_STEPS. Default: {SettingsResolver.DefaultMaxSteps}.",
    };

    public static readonly Option<string?> Agent = new("--agent", "-a")
    {
        Description = "Agent profile: NAME.md from .rein/agents/ or ~/.config/rein/agents/ (YAML front matter: model, permissions, budgets, " +
            "approvals, hooks, sandbox; the body is the agent's onboarding doc). Env: REIN_AGENT.",
    };

    public static readonly Option<string?> Mode = new("--mode")
    {
        Description = "Permission mode: read-only (no changes), ask (default: changes need approval), accept-edits (edit files in the workspace " +
            "freely, commands still ask; Claude Code's acceptEdits), workspace-write (edit files and run " +
            "sandboxed commands in the workspace freely), full-auto (everything not denied by a rule). Env: REIN_MODE.",
    };

    public static readonly Option<string?> Env = new("--env")
    {
        Description = "Named environment whose rules apply, e.g. dev or prod (the \"environments\" settings key). Env: REIN_ENV.",
    };

    public static readonly Option<string?> Sandbox = new("--sandbox")
    {
        Description = "Where shell commands run: bubblewrap (default on Linux) or none (no isolation; prints a warning and is journaled). Env: REIN_SANDBOX.",
    };

    public static readonly Option<long?> MaxTokens = new("--max-tokens")
    {
        Description = "Most tokens (input + output) the session may use; the run stops before a call that would cross it.",
    };

    public static readonly Option<decimal?> MaxCost = new("--max-cost")
    {
        Description = "Most US dollars the session may spend (by the price table); a model call whose estimated cost would cross it is not made.",
    };

    public static readonly Option<string?> MaxTime = new("--max-time")
    {
        Description = "Longest wall-clock time of the run, e.g. 90s, 30m, 2h.",
    };

    public static readonly Option<bool> Json = new("--json")
    {
        Description = "Print one JSON object per line instead of human output.",
    };

    public static readonly Option<bool> IncludeDeltas = new("--include-deltas")
    {
        Description = "With --json, also print the model's text as it streams, as text_delta lines (see docs/json-output.md).",
    };

    /// <summary>Whether <c>--json</c> was given.</summary>
    /// <exception cref="SettingsException"><c>--include-deltas</c> was given without <c>--json</c>.</exception>
    public static bool JsonOutput(ParseResult parse)
    {
        var json = parse.GetValue(Json);
        return json || !parse.GetValue(IncludeDeltas)
            ? json
            : throw new SettingsException("--include-deltas needs --json: human output already shows the text as it streams.");
    }

    public static readonly Option<bool> Verbose = new("--verbose")
    {
        Description = "Log what Rein does (checkpoints, retries, budgets) on standard error at debug level. Env: REIN_LOG_LEVEL (trace, debug, information, warning, error, critical, none).",
    };

    public static void AddRunOptions(Command command)
    {
        command.Add(Verbose);
        command.Add(Model);
        command.Add(Workspace);
        command.Add(Store);
        command.Add(BaseUrl);
        command.Add(MaxSteps);
        command.Add(Agent);
        command.Add(Mode);
        command.Add(Env);
        command.Add(Sandbox);
        command.Add(MaxTokens);
        command.Add(MaxCost);
        command.Add(MaxTime);
    }

    /// <summary>Resolves settings for a command from its flags.</summary>
    /// <exception cref="SettingsException">A setting is invalid or the workspace does not exist.</exception>
    /// <param name="parse">The command line.</param>
    /// <param name="workspaceOverride">A workspace to use instead of <c>--workspace</c>.</param>
    /// <param name="trusted">Whether the workspace's project settings are trusted; null looks it up in the user's trusted folders.</param>
    /// <param name="recorded">Values a resumed session was started with: they count as flags, and the flags given now override them.</param>
    public static ResolvedSettings Resolve(ParseResult parse, string? workspaceOverride = null, bool? trusted = null, SettingsValues? recorded = null)
    {
        var workspace = WorkspacePath(parse, workspaceOverride);
        var flags = Flags(parse);
        var settings = SettingsResolver.Resolve(recorded?.Overlay(flags) ?? flags, workspace, Environment.GetEnvironmentVariable, trusted);
        WarnUnknownKeys(settings);
        return parse.CommandResult.Command.Options.Contains(Verbose) && parse.GetValue(Verbose)
            ? settings with { LogLevel = LogLevelSetting.Read(Environment.GetEnvironmentVariable, verbose: true) }
            : settings;
    }

    /// <summary>The values the command line gives.</summary>
    /// <exception cref="SettingsException">A flag has a value that cannot be used.</exception>
    public static SettingsValues Flags(ParseResult parse)
    {
        var flags = new SettingsValues
        {
            Model = parse.GetValue(Model),
            Store = parse.GetValue(Store),
            BaseUrl = parse.GetValue(BaseUrl),
            MaxSteps = parse.GetValue(MaxSteps),
            Agent = parse.GetValue(Agent),
            Mode = parse.GetValue(Mode),
            Environment = parse.GetValue(Env),
            Sandbox = parse.GetValue(Sandbox),
            MaxTokens = parse.GetValue(MaxTokens),
            MaxCostUsd = parse.GetValue(MaxCost),
            MaxTime = parse.GetValue(MaxTime) is { } time ? ParseDuration(time, "--max-time") : null,
        };
        if (flags.MaxTokens is <= 0)
        {
            throw new SettingsException($"--max-tokens expects a positive whole number, got '{flags.MaxTokens}'.");
        }

        if (flags.MaxCostUsd is <= 0)
        {
            throw new SettingsException($"--max-cost expects a positive number of US dollars, got '{flags.MaxCostUsd.Value.ToString(System.Globalization.CultureInfo.InvariantCulture)}'.");
        }

        if (flags.Sandbox is { } sandbox && sandbox is not ("bubblewrap" or "none"))
        {
            throw new SettingsException($"--sandbox must be bubblewrap or none, not '{sandbox}'.");
        }
        if (flags.MaxSteps is <= 0)
        {
            throw new SettingsException($"--max-steps expects a positive whole number, got '{flags.MaxSteps}'.");
        }

        return flags;
    }

    /// <summary>The workspace of a command: <paramref name="workspaceOverride"/>, <c>--workspace</c> or the current folder, absolute and canonical.</summary>
    /// <exception cref="SettingsException">The folder does not exist.</exception>
    public static string WorkspacePath(ParseResult parse, string? workspaceOverride = null)
    {
        var workspace = Path.GetFullPath(workspaceOverride ?? parse.GetValue(Workspace) ?? Environment.CurrentDirectory);
        if (!Directory.Exists(workspace))
        {
            throw new SettingsException($"Workspace folder '{workspace}' does not exist.");
        }

        // Canonical path so the recorded workspace and the tools' confinement agree.
        return new DirectoryInfo(workspace).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? workspace;
    }

    private static TimeSpan ParseDuration(string text, string option)
    {
        try
        {
            return Guard.Budgets.BudgetLimits.ParseDuration(text);
        }
        catch (FormatException ex)
        {
            throw new SettingsException($"{option}: {ex.Message}");
        }
    }

    /// <summary>Prints each line of <see cref="ResolvedSettings.UnknownKeys"/> to standard error, once per process however often settings are resolved.</summary>
    public static void WarnUnknownKeys(ResolvedSettings settings)
    {
        foreach (var line in settings.UnknownKeys)
        {
            bool first;
            lock (ShownWarnings)
            {
                first = ShownWarnings.Add(line);
            }

            if (first)
            {
                Console.Error.WriteLine(line);
            }
        }
    }

    private static readonly HashSet<string> ShownWarnings = new(StringComparer.Ordinal);
}
