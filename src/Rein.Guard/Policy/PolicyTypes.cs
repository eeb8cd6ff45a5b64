using System.Text.Json;
using Rein.Journal;

namespace Rein.Guard.Policy;

/// <summary>A permission rule as written in settings.</summary>
/// <param name="Decision">What the rule decides: one of <see cref="PolicyDecisions"/>.</param>
/// <param name="Text">The rule, e.g. <c>shell(git status*)</c>, <c>write_file(src/**)</c>, <c>Bash(npm test:*)</c> or <c>mcp:github/*</c>.</param>
/// <param name="Source">Where it came from: <c>user</c>, <c>project</c>, <c>managed</c>, <c>session</c>, … (shown in reasons).</param>
public sealed record PermissionRule(string Decision, string Text, string Source);

/// <summary>Well-known rule sources.</summary>
public static class PolicySources
{
    /// <summary>The user's own settings (e.g. <c>~/.rein/settings.json</c>).</summary>
    public const string User = "user";

    /// <summary>The project's settings (<c>.rein/settings.json</c>).</summary>
    public const string Project = "project";

    /// <summary>Settings an administrator manages; they can only tighten the policy.</summary>
    public const string Managed = "managed";

    /// <summary>Allow rules approved during the session.</summary>
    public const string Session = "session";

    /// <summary>Rules built into Rein (protected paths, risky commands).</summary>
    public const string BuiltIn = "built-in";
}

/// <summary>A policy configuration that is not valid (a malformed rule, an unknown mode or environment, a mode managed settings forbid).</summary>
/// <remarks>The message names the file and the setting, e.g. <c>.rein/settings.json: permissions.deny[2] "shell(rm": missing ')'</c>.</remarks>
public sealed class PolicyConfigException : Exception
{
    /// <summary>Creates the exception.</summary>
    public PolicyConfigException()
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">What is wrong and where.</param>
    public PolicyConfigException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">What is wrong and where.</param>
    /// <param name="innerException">The cause.</param>
    public PolicyConfigException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>Everything the policy engine needs, usually built by <see cref="PolicyOptionsBuilder.Combine"/>.</summary>
public sealed record PolicyOptions
{
    /// <summary>Gets the absolute workspace root. Relative rule patterns and paths resolve against it.</summary>
    public required string Workspace { get; init; }

    /// <summary>Gets the permission mode, one of <see cref="PermissionModes"/>. Defaults to <see cref="PermissionModes.Ask"/>.</summary>
    public string Mode { get; init; } = PermissionModes.Ask;

    /// <summary>Gets the rules from every source. Defaults to none.</summary>
    public IReadOnlyList<PermissionRule> Rules { get; init; } = [];

    /// <summary>Gets notes about the configuration worth showing the user (e.g. ignored managed allow rules). Defaults to none.</summary>
    public IReadOnlyList<string> Warnings { get; init; } = [];

    /// <summary>Gets the selected environment, if any.</summary>
    public string? Environment { get; init; }

    /// <summary>Gets the home folder for <c>~</c> and <c>$HOME</c>. Defaults to the current user's profile folder.</summary>
    public string? HomeDirectory { get; init; }
}

/// <summary>A tool call to judge.</summary>
/// <param name="Tool">The tool name, e.g. <c>shell</c> or <c>mcp:github/create_issue</c>.</param>
/// <param name="Arguments">The call's arguments object.</param>
/// <param name="ReadOnlyTool">Whether the tool's definition says it only reads (<c>ToolDefinition.ReadOnly</c>).</param>
/// <param name="SessionRules">Allow rules approved earlier in the session (<c>SessionState.SessionRules</c>); malformed ones are ignored.</param>
public sealed record PolicyRequest(string Tool, JsonElement Arguments, bool ReadOnlyTool, IReadOnlyList<string>? SessionRules = null);

/// <summary>The policy's decision about a tool call.</summary>
/// <param name="Decision">One of <see cref="PolicyDecisions"/>.</param>
/// <param name="Reason">A sentence naming what decided, e.g. <c>denied by rule shell(rm -rf *) (project) for 'rm -rf build'</c>.</param>
/// <param name="Rule">The rule that decided, as written; for protected paths and risky commands the built-in pattern; null when the mode decided.</param>
/// <param name="Source">Where <paramref name="Rule"/> came from (<see cref="PolicySources"/>); null when the mode decided.</param>
/// <param name="SuggestedSessionRule">For <c>ask</c>: an allow rule to remember if the person approves for the session, e.g. <c>shell(npm test*)</c>.</param>
public sealed record PolicyVerdict(string Decision, string Reason, string? Rule, string? Source, string? SuggestedSessionRule);
