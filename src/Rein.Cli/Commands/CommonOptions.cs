using System.CommandLine;
using Rein.Cli.Configuration;

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

    public static readonly Option<bool> Json = new("--json")
    {
        Description = "Print one JSON object per line instead of human output.",
    };

    public static void AddRunOptions(Command command)
    {
        command.Add(Model);
        command.Add(Workspace);
        command.Add(Store);
        command.Add(BaseUrl);
        command.Add(MaxSteps);
    }

    /// <summary>Resolves settings for a command from its flags.</summary>
    /// <exception cref="SettingsException">A setting is invalid or the workspace does not exist.</exception>
    public static ResolvedSettings Resolve(ParseResult parse, string? workspaceOverride = null)
    {
        var workspace = workspaceOverride ?? parse.GetValue(Workspace) ?? Environment.CurrentDirectory;
        workspace = Path.GetFullPath(workspace);
        if (!Directory.Exists(workspace))
        {
            throw new SettingsException($"Workspace folder '{workspace}' does not exist.");
        }

        // Canonical path so the recorded workspace and the tools' confinement agree.
        workspace = new DirectoryInfo(workspace).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? workspace;
        var flags = new SettingsValues
        {
            Model = parse.GetValue(Model),
            Store = parse.GetValue(Store),
            BaseUrl = parse.GetValue(BaseUrl),
            MaxSteps = parse.GetValue(MaxSteps),
        };
        if (flags.MaxSteps is <= 0)
        {
            throw new SettingsException("--max-steps must be a positive whole number.");
        }

        return SettingsResolver.Resolve(flags, workspace, Environment.GetEnvironmentVariable);
    }
}
