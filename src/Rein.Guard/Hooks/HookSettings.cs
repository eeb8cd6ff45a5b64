using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Rein.Guard.Hooks;

/// <summary>One configured hook: a command run at a lifecycle event when its matcher matches.</summary>
/// <remarks>Immutable and thread-safe.</remarks>
public sealed class HookDefinition
{
    private readonly Regex? _regex;

    /// <summary>Creates a hook.</summary>
    /// <param name="hookEvent">The event, one of <see cref="HookEventNames.All"/>.</param>
    /// <param name="matcher">The matcher as written; <see langword="null"/>, empty or <c>*</c> matches everything.</param>
    /// <param name="command">The command line, run by the shell in the workspace.</param>
    /// <param name="timeout">How long the command may run; <see langword="null"/> for <see cref="HookRunnerOptions.DefaultTimeout"/>.</param>
    /// <param name="source">The settings file it came from.</param>
    /// <exception cref="ArgumentException"><paramref name="matcher"/> is not a valid regular expression.</exception>
    public HookDefinition(string hookEvent, string? matcher, string command, TimeSpan? timeout, string source)
    {
        ArgumentNullException.ThrowIfNull(hookEvent);
        ArgumentNullException.ThrowIfNull(command);
        ArgumentNullException.ThrowIfNull(source);
        HookEvent = hookEvent;
        Matcher = matcher;
        Command = command;
        Timeout = timeout;
        Source = source;
        _regex = MatchesEverything(matcher) ? null : Compile(matcher!);
    }

    /// <summary>Gets the event, one of <see cref="HookEventNames.All"/>.</summary>
    public string HookEvent { get; }

    /// <summary>Gets the matcher as written; <see langword="null"/>, empty or <c>*</c> matches everything.</summary>
    public string? Matcher { get; }

    /// <summary>Gets the command line, run by the shell in the workspace.</summary>
    public string Command { get; }

    /// <summary>Gets how long the command may run; <see langword="null"/> for <see cref="HookRunnerOptions.DefaultTimeout"/>.</summary>
    public TimeSpan? Timeout { get; }

    /// <summary>Gets the settings file the hook came from.</summary>
    public string Source { get; }

    /// <summary>Gets whether the hook applies to a value: a tool name for tool events, the source for <c>SessionStart</c>, the trigger for <c>PreCompact</c>.</summary>
    /// <param name="values">The value and its aliases (e.g. a Rein tool name and its Claude Code names); the hook applies when any matches.</param>
    /// <returns>Whether the matcher matches one of the values (always true for an empty or <c>*</c> matcher).</returns>
    /// <remarks>The matcher is a regular expression that must match a whole value, as in Claude Code: <c>Edit|Write</c> matches <c>Write</c> but not <c>WriteLog</c>.</remarks>
    public bool Matches(IEnumerable<string> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        return _regex is null || values.Any(_regex.IsMatch);
    }

    internal static bool MatchesEverything(string? matcher) => string.IsNullOrEmpty(matcher) || matcher == "*";

    internal static Regex Compile(string matcher) =>
        new($"^(?:{matcher})$", RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
}

/// <summary>
/// The hooks from one or more settings files, in the format Claude Code uses:
/// <c>{"PreToolUse": [{"matcher": "shell|Bash", "hooks": [{"type": "command", "command": "./check.sh", "timeout": 30}]}]}</c>.
/// </summary>
/// <remarks>Immutable and thread-safe. Hooks from several files all run, in the order the files were merged (user, then project).</remarks>
public sealed class HookSettings
{
    private readonly Dictionary<string, List<HookDefinition>> _byEvent;

    private HookSettings(Dictionary<string, List<HookDefinition>> byEvent)
    {
        _byEvent = byEvent;
    }

    /// <summary>Gets settings with no hooks.</summary>
    public static HookSettings Empty { get; } = new(new Dictionary<string, List<HookDefinition>>(StringComparer.Ordinal));

    /// <summary>Gets every hook, grouped by event in <see cref="HookEventNames.All"/> order, each group in configuration order.</summary>
    public IReadOnlyList<HookDefinition> All =>
        [.. HookEventNames.All.SelectMany(e => _byEvent.TryGetValue(e, out var list) ? list : [])];

    /// <summary>Gets the hooks configured for an event, in configuration order.</summary>
    /// <param name="hookEvent">The event name.</param>
    /// <returns>The hooks; empty when none are configured.</returns>
    public IReadOnlyList<HookDefinition> For(string hookEvent) =>
        _byEvent.TryGetValue(hookEvent, out var list) ? list : [];

    /// <summary>Reads the <c>hooks</c> section of a settings file.</summary>
    /// <param name="hooksSection">The value of the <c>hooks</c> property; an undefined or null element means no hooks.</param>
    /// <param name="path">The settings file, named in errors and kept as each hook's <see cref="HookDefinition.Source"/>.</param>
    /// <returns>The settings.</returns>
    /// <exception cref="HookConfigException">The section is malformed; the message names the file and the JSON path.</exception>
    public static HookSettings FromJson(JsonElement hooksSection, string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var byEvent = new Dictionary<string, List<HookDefinition>>(StringComparer.Ordinal);
        if (hooksSection.ValueKind is JsonValueKind.Undefined or JsonValueKind.Null)
        {
            return new HookSettings(byEvent);
        }

        if (hooksSection.ValueKind != JsonValueKind.Object)
        {
            throw new HookConfigException(path, "hooks", "must be an object keyed by event name");
        }

        foreach (var hookEvent in hooksSection.EnumerateObject())
        {
            var eventPath = $"hooks.{hookEvent.Name}";
            if (!HookEventNames.All.Contains(hookEvent.Name, StringComparer.Ordinal))
            {
                throw new HookConfigException(path, eventPath, $"is not a supported hook event (supported: {string.Join(", ", HookEventNames.All)})");
            }

            if (hookEvent.Value.ValueKind != JsonValueKind.Array)
            {
                throw new HookConfigException(path, eventPath, "must be an array of matcher groups");
            }

            var list = new List<HookDefinition>();
            var groupIndex = 0;
            foreach (var group in hookEvent.Value.EnumerateArray())
            {
                var groupPath = Index(eventPath, groupIndex++);
                list.AddRange(ReadGroup(hookEvent.Name, group, path, groupPath));
            }

            byEvent[hookEvent.Name] = list;
        }

        return new HookSettings(byEvent);
    }

    /// <summary>Reads the hooks of a settings file: the <c>hooks</c> property of its root object.</summary>
    /// <param name="path">The settings file; a missing file means no hooks.</param>
    /// <returns>The settings.</returns>
    /// <exception cref="HookConfigException">The file is not valid JSON or its <c>hooks</c> section is malformed.</exception>
    /// <exception cref="IOException">The file exists but cannot be read.</exception>
    public static HookSettings FromFile(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path))
        {
            return Empty;
        }

        try
        {
            using var document = JsonDocument.Parse(File.ReadAllText(path), new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw new HookConfigException(path, "$", "must be a JSON object");
            }

            return document.RootElement.TryGetProperty("hooks", out var hooks) ? FromJson(hooks, path) : Empty;
        }
        catch (JsonException ex)
        {
            throw new HookConfigException(path, "$", $"is not valid JSON ({Engine.ErrorText.JsonProblem(ex)}, line {(ex.LineNumber ?? 0) + 1})", ex);
        }
    }

    /// <summary>Combines settings; every hook of every part runs, earlier parts first.</summary>
    /// <param name="parts">The settings, e.g. user then project.</param>
    /// <returns>The combined settings.</returns>
    public static HookSettings Merge(params IEnumerable<HookSettings> parts)
    {
        ArgumentNullException.ThrowIfNull(parts);
        var byEvent = new Dictionary<string, List<HookDefinition>>(StringComparer.Ordinal);
        foreach (var part in parts)
        {
            foreach (var (hookEvent, hooks) in part._byEvent)
            {
                if (!byEvent.TryGetValue(hookEvent, out var list))
                {
                    byEvent[hookEvent] = list = [];
                }

                list.AddRange(hooks);
            }
        }

        return new HookSettings(byEvent);
    }

    private static List<HookDefinition> ReadGroup(string hookEvent, JsonElement group, string path, string groupPath)
    {
        if (group.ValueKind != JsonValueKind.Object)
        {
            throw new HookConfigException(path, groupPath, "must be an object with \"matcher\" and \"hooks\"");
        }

        string? matcher = null;
        if (group.TryGetProperty("matcher", out var m) && m.ValueKind != JsonValueKind.Null)
        {
            if (m.ValueKind != JsonValueKind.String)
            {
                throw new HookConfigException(path, groupPath + ".matcher", "must be a string");
            }

            matcher = m.GetString()!;
            if (!HookDefinition.MatchesEverything(matcher))
            {
                try
                {
                    HookDefinition.Compile(matcher);
                }
                catch (ArgumentException ex)
                {
                    throw new HookConfigException(path, groupPath + ".matcher", $"is not a valid regular expression ({ex.Message})", ex);
                }
            }
        }

        if (!group.TryGetProperty("hooks", out var hooks) || hooks.ValueKind != JsonValueKind.Array)
        {
            throw new HookConfigException(path, groupPath + ".hooks", "must be an array");
        }

        var result = new List<HookDefinition>();
        var index = 0;
        foreach (var hook in hooks.EnumerateArray())
        {
            var hookPath = Index(groupPath + ".hooks", index++);
            result.Add(ReadHook(hookEvent, matcher, hook, path, hookPath));
        }

        return result;
    }

    private static HookDefinition ReadHook(string hookEvent, string? matcher, JsonElement hook, string path, string hookPath)
    {
        if (hook.ValueKind != JsonValueKind.Object)
        {
            throw new HookConfigException(path, hookPath, "must be an object");
        }

        if (!hook.TryGetProperty("type", out var type) || type.ValueKind != JsonValueKind.String)
        {
            throw new HookConfigException(path, hookPath + ".type", "must be a string (\"command\")");
        }

        if (type.GetString() != "command")
        {
            throw new HookConfigException(path, hookPath + ".type", $"is \"{type.GetString()}\"; only \"command\" hooks are supported");
        }

        if (!hook.TryGetProperty("command", out var command) || command.ValueKind != JsonValueKind.String)
        {
            throw new HookConfigException(path, hookPath + ".command", "must be a string");
        }

        if (string.IsNullOrWhiteSpace(command.GetString()))
        {
            throw new HookConfigException(path, hookPath + ".command", "must not be empty");
        }

        TimeSpan? timeout = null;
        if (hook.TryGetProperty("timeout", out var t) && t.ValueKind != JsonValueKind.Null)
        {
            if (t.ValueKind != JsonValueKind.Number || !t.TryGetDouble(out var seconds) || seconds <= 0 || seconds > 86_400)
            {
                throw new HookConfigException(path, hookPath + ".timeout", "must be a positive number of seconds (at most 86400)");
            }

            timeout = TimeSpan.FromSeconds(seconds);
        }

        return new HookDefinition(hookEvent, matcher, command.GetString()!, timeout, path);
    }

    private static string Index(string path, int index) => string.Create(CultureInfo.InvariantCulture, $"{path}[{index}]");
}
