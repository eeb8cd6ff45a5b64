using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.RegularExpressions;
using Rein.Journal;
using Rein.Tools;

namespace Rein.Guard.Policy;

/// <summary>Judges tool calls against permission rules, the permission mode and the built-in protected paths.</summary>
/// <remarks>
/// <para>Order of judgement for each command or path: a deny rule; a write to a protected path without an allow rule
/// that names it; read-only mode for a tool that is not read-only; an ask rule; an allow rule; the mode's default.
/// Among matching rules the most specific (longest literal text, then longest rule) is named. A shell call is split
/// into its simple commands (through pipes, lists, subshells, substitutions, literal <c>bash -c</c>/<c>sudo</c>/<c>xargs</c>
/// wrappers and literal scripts piped to a shell) and gets the most restrictive decision of them. While a shell deny rule
/// exists, a command whose program is only known when it runs asks unless an allow rule with a pattern names it.</para>
/// <para>Protected paths (<c>.git/**</c>, <c>.rein/**</c>, <c>**/.env*</c>, keys and credentials, anything outside the
/// workspace) may only be written with an allow rule for <c>write_file</c>/<c>edit_file</c> whose pattern matches the path
/// and names it: it must contain the protected name (e.g. <c>.env</c>), or be absolute for paths outside the workspace,
/// so a broad <c>write_file(**)</c> does not unlock them.</para>
/// <para>A file tool's path is judged twice, as written and as the file it really is (<see cref="RealPath"/>: every
/// component, symbolic links, <c>..</c>, <c>/proc/self/root</c>), and the more restrictive verdict wins: a write through a
/// link to <c>.git/config</c> needs an allow rule that names <c>.git</c>, and a read deny rule covers every link to the file.
/// The same judgement reaches the tools through <see cref="FileAccessFor"/>, for each file a search visits.</para>
/// <para><c>todo_write</c> only changes the session's plan and counts as read-only. Thread-safe.</para>
/// </remarks>
public sealed class PolicyEngine
{
    private static readonly (string Pattern, string Key)[] ProtectedPatterns =
    [
        (".git/**", ".git"), (".rein/**", ".rein"), ("**/.env*", ".env"), ("**/*.pem", ".pem"), ("**/*.key", ".key"),
        ("**/id_rsa*", "id_rsa"), ("**/id_ed25519*", "id_ed25519"), ("**/.ssh/**", ".ssh"), ("**/.aws/**", ".aws"),
        ("**/.netrc", ".netrc"), ("**/.npmrc", ".npmrc"), ("**/.pypirc", ".pypirc"), ("**/credentials*", "credentials"),
        ("**/*.p12", ".p12"), ("**/*.pfx", ".pfx"),
    ];

    // Names a shell glob such as ".*" could expand to that are protected.
    private static readonly string[] ProtectedCandidates =
        [".git", ".rein", ".env", ".env.local", ".ssh", ".aws", ".netrc", ".npmrc", ".pypirc", "credentials", "id_rsa", "id_ed25519", "key.pem", "server.key", "cert.p12", "cert.pfx"];

    private static readonly string[] DevicePaths = ["/dev/null", "/dev/stdout", "/dev/stderr", "/dev/tty", "/dev/zero"];

    private readonly PolicyPaths _paths;
    private readonly List<CompiledRule> _rules = [];
    private readonly List<(PathGlob Glob, string Key)> _protected;
    private readonly ConcurrentDictionary<string, CompiledRule?> _sessionRules = new(StringComparer.Ordinal);

    /// <summary>Creates an engine.</summary>
    /// <param name="options">The workspace, mode and rules.</param>
    /// <exception cref="ArgumentNullException"><paramref name="options"/> is null.</exception>
    /// <exception cref="PolicyConfigException">The mode is unknown or a rule is malformed.</exception>
    public PolicyEngine(PolicyOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrWhiteSpace(options.Workspace);
        try
        {
            Mode = PermissionModes.Parse(options.Mode);
        }
        catch (FormatException ex)
        {
            throw new PolicyConfigException(ex.Message, ex);
        }

        var home = PolicyConfig.HomeOf(options.HomeDirectory);
        _paths = new PolicyPaths(options.Workspace, home);
        foreach (var rule in options.Rules)
        {
            if (rule.Source == PolicySources.Managed && rule.Decision == PolicyDecisions.Allow)
            {
                continue;
            }

            if (rule.Decision is not (PolicyDecisions.Allow or PolicyDecisions.Ask or PolicyDecisions.Deny))
            {
                throw new PolicyConfigException($"{rule.Source} rule \"{rule.Text}\": the decision '{rule.Decision}' is not allow, ask or deny.");
            }

            try
            {
                _rules.Add(CompiledRule.Parse(rule, home));
            }
            catch (RuleFormatException ex)
            {
                throw new PolicyConfigException($"{rule.Source} rule \"{rule.Text}\": {ex.Message}", ex);
            }
        }

        _protected = [.. ProtectedPatterns.Select(p => (PathGlob.Parse(p.Pattern, home, ignoreCase: true), p.Key))];
    }

    /// <summary>Gets the permission mode in force.</summary>
    public string Mode { get; }

    /// <summary>Judges a tool call.</summary>
    /// <param name="request">The call.</param>
    /// <returns>The verdict, with a reason naming the rule, protected path or mode that decided, and for <c>ask</c> a suggested session rule.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="request"/> is null.</exception>
    public PolicyVerdict Evaluate(PolicyRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var rules = RulesFor(request);
        // Rules name MCP tools as mcp:SERVER/TOOL or mcp__SERVER__TOOL; the model calls them by the second.
        var tool = ToolNames.Canonical(request.Tool);
        var readOnly = request.ReadOnlyTool || tool == ToolNames.TodoWrite;
        var kind = ToolNames.KindOf(tool);
        switch (kind)
        {
            case ToolKind.Shell:
                return EvaluateShell(request, rules);
            case ToolKind.Read or ToolKind.Write:
                return EvaluatePath(tool, StringArgument(request.Arguments, "path") ?? (tool == ToolNames.ReadFile ? "" : "."), readOnly, rules);
            case ToolKind.Fetch:
                var url = StringArgument(request.Arguments, "url") ?? "";
                return Verdict(Judge(tool, readOnly, rules, r => r.MatchesUrl(url), url, [], null, restrictOnly: false)!, () => SuggestForUrl(url));
            case ToolKind.Other:
            default:
                return Verdict(Judge(tool, readOnly, rules, _ => true, null, [], null, restrictOnly: false)!, () => Checked(tool));
        }
    }

    /// <summary>Gets the file policy the tools of one call apply to each file they touch (see <see cref="ToolContext.FileAccess"/>).</summary>
    /// <param name="tool">The tool being called; its read (or write) rules are the ones applied.</param>
    /// <param name="sessionRules">Allow rules approved earlier in the session.</param>
    /// <returns>The file policy; thread-safe.</returns>
    public IFileAccess FileAccessFor(string tool, IReadOnlyList<string>? sessionRules)
    {
        ArgumentNullException.ThrowIfNull(tool);
        return new PolicyFileAccess(this, ToolNames.Canonical(tool), RulesFor(new PolicyRequest(tool, default, false, sessionRules)));
    }

    // A path is judged by the name the model gave and by the file it really is (every link followed); the more
    // restrictive verdict wins, so a link neither reaches a protected file nor dodges a deny rule.
    private PolicyVerdict EvaluatePath(string tool, string given, bool readOnly, List<CompiledRule> rules)
    {
        var kind = ToolNames.KindOf(tool);
        var full = _paths.Resolve(given);
        var real = _paths.Real(given);
        var shown = _paths.Display(full);
        var judged = Judge(tool, readOnly, rules, r => r.MatchesPath(full, _paths), shown, kind == ToolKind.Write ? [full] : [], null, restrictOnly: false)!;
        var decided = full;
        if (!string.Equals(real, full, PolicyPaths.Comparison))
        {
            var through = $"{shown} (a link to {_paths.Display(real)})";
            var byTarget = Judge(tool, readOnly, rules, r => r.MatchesPath(real, _paths), through, kind == ToolKind.Write ? [real] : [], null, restrictOnly: false)!;
            if (byTarget.Severity > judged.Severity)
            {
                judged = byTarget;
                decided = real;
            }
        }

        return Verdict(judged, () => SuggestForPath(tool, decided));
    }

    /// <summary>
    /// Whether an allow rule for <paramref name="tool"/> names the host of <paramref name="url"/> or
    /// <paramref name="address"/>, so that the tool may reach it although it is not a public address.
    /// </summary>
    /// <param name="tool">The tool, e.g. <c>fetch_url</c>.</param>
    /// <param name="url">The URL being fetched.</param>
    /// <param name="address">The address its host resolved to.</param>
    /// <param name="sessionRules">Rules approved for the session, if any.</param>
    /// <returns>
    /// <see langword="true"/> when a <c>domain:</c> rule is the host or the address (e.g. <c>fetch_url(domain:localhost)</c>,
    /// <c>fetch_url(domain:127.0.0.1)</c>; a <c>*.</c> wildcard is not enough) or a URL rule spells the host without
    /// wildcards; a bare <c>fetch_url</c> or the mode never does.
    /// </returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public bool NamesDestination(string tool, Uri url, System.Net.IPAddress address, IReadOnlyList<string>? sessionRules = null)
    {
        ArgumentNullException.ThrowIfNull(tool);
        ArgumentNullException.ThrowIfNull(url);
        ArgumentNullException.ThrowIfNull(address);
        var text = address.ToString();
        string[] hosts = [url.IdnHost.TrimEnd('.').ToLowerInvariant(), text, "[" + text + "]"];
        var rules = RulesFor(new PolicyRequest(tool, default, true, sessionRules));
        return rules.Any(r => r.Rule.Decision == PolicyDecisions.Allow && r.CoversTool(ToolNames.Canonical(tool)) && r.NamesHost(hosts));
    }

    private List<CompiledRule> RulesFor(PolicyRequest request)
    {
        if (request.SessionRules is not { Count: > 0 } session)
        {
            return _rules;
        }

        var rules = new List<CompiledRule>(_rules);
        foreach (var text in session)
        {
            var compiled = _sessionRules.GetOrAdd(text, t =>
            {
                try
                {
                    return CompiledRule.Parse(new PermissionRule(PolicyDecisions.Allow, t, PolicySources.Session), _paths.Home);
                }
                catch (RuleFormatException)
                {
                    return null;
                }
            });
            if (compiled is not null)
            {
                rules.Add(compiled);
            }
        }

        return rules;
    }

    private PolicyVerdict EvaluateShell(PolicyRequest request, List<CompiledRule> rules)
    {
        var command = StringArgument(request.Arguments, "command") ?? "";
        var workdir = StringArgument(request.Arguments, "workdir") ?? "";
        var cwd = _paths.Resolve(workdir);
        IReadOnlyList<SimpleCommand> commands;
        List<ShellUnit> units;
        try
        {
            commands = ShellParser.Parse(command, cwd, _paths.Home);
            units = ShellAnalysis.Units(commands, _paths.Home);
        }
        catch (ShellParseException ex)
        {
            var raw = Regex.Replace(command.Trim(), @"\s+", " ", RegexOptions.None, TimeSpan.FromSeconds(1));
            var deny = MostSpecific(rules.Where(r => r.Rule.Decision == PolicyDecisions.Deny && r.CoversTool(ToolNames.Shell) && r.MatchesCommand(raw)));
            if (deny is not null)
            {
                return Verdict(ByRule(deny, raw), () => null);
            }

            var why = $"the command could not be parsed ({ex.Message})";
            return Mode == PermissionModes.ReadOnly
                ? new PolicyVerdict(PolicyDecisions.Deny, $"denied in read-only mode: {why}", null, null, null)
                : new PolicyVerdict(PolicyDecisions.Ask, $"asks because {why}; a person should check it", null, null, null);
        }

        if (units.Count == 0)
        {
            units.Add(new ShellUnit(new SimpleCommand { Cwd = cwd }, [], []));
        }

        // Deny rules name programs: a program only known when it runs could be any of them, so it is asked about
        // unless an allow rule names it (as a session approval does).
        var denyRules = rules.Any(r => r.Rule.Decision == PolicyDecisions.Deny && r.CoversTool(ToolNames.Shell));
        Judgement? worst = null;
        ShellUnit? worstUnit = null;
        foreach (var unit in units)
        {
            var texts = unit.ShortText is { } shortText ? new[] { unit.Text, shortText } : [unit.Text];
            var writes = ResolveWrites(unit).ToList();
            var danger = Mode == PermissionModes.WorkspaceWrite ? ShellAnalysis.Danger(unit, commands, _paths) : null;
            var judged = Judge(ToolNames.Shell, false, rules, r => texts.Any(r.MatchesCommand), unit.Text, writes, danger, unit.RestrictOnly);
            if (unit.Unknown is not null && denyRules && judged is null or { Decision: PolicyDecisions.Allow }
                && !rules.Any(r => r.Rule.Decision == PolicyDecisions.Allow && r.HasPattern && r.CoversTool(ToolNames.Shell) && texts.Any(r.MatchesCommand)))
            {
                judged = new Judgement(PolicyDecisions.Ask, $"asks because '{unit.Text}' {unit.Unknown}, and shell deny rules are in force", null, null);
            }
            if (judged is not null && (worst is null || judged.Severity > worst.Severity))
            {
                worst = judged;
                worstUnit = unit;
            }
        }

        worst ??= new Judgement(PolicyDecisions.Allow, $"allowed in {Mode} mode", null, null);
        return Verdict(worst, () => worstUnit is null ? null : SuggestForCommand(worstUnit));
    }

    private IEnumerable<string> ResolveWrites(ShellUnit unit)
    {
        var cwd = unit.Command.Cwd;
        foreach (var word in ShellAnalysis.WriteTargets(unit))
        {
            var text = word.Text;
            if (word.Tilde)
            {
                if (text != "~" && !text.StartsWith("~/", StringComparison.Ordinal))
                {
                    continue;
                }

                text = _paths.Home + text[1..];
            }
            else if (word.Expands)
            {
                var home = Regex.Match(text, @"^(\$HOME|\$\{HOME\})(?=/|$)", RegexOptions.None, TimeSpan.FromSeconds(1));
                if (!home.Success || text[home.Length..].Contains('$', StringComparison.Ordinal))
                {
                    // Only known when it runs.
                    continue;
                }

                text = _paths.Home + text[home.Length..];
            }

            if (cwd is null && !Path.IsPathRooted(text))
            {
                continue;
            }

            if (!word.Globs)
            {
                yield return _paths.Resolve(text, cwd);
                continue;
            }

            var firstGlob = text.IndexOfAny(['*', '?', '[']);
            var slash = text.LastIndexOf('/', firstGlob);
            var folder = _paths.Resolve(slash < 0 ? "." : text[..Math.Max(slash, 1)], cwd);
            var namePattern = text[(slash + 1)..];
            if (!_paths.IsInside(folder))
            {
                yield return folder;
                continue;
            }

            if (namePattern.Contains('/', StringComparison.Ordinal))
            {
                continue;
            }

            var regex = ShellGlob(namePattern);
            var literal = namePattern.Count(c => c is not ('*' or '?' or '[' or ']'));
            foreach (var candidate in ProtectedCandidates)
            {
                // A bare "*" could match a credentials file that may well not exist; only a pattern that spells part
                // of a protected name (".*", "*.pem", "id_*") is taken to mean it.
                if ((candidate.StartsWith('.') || literal >= 2) && regex.IsMatch(candidate))
                {
                    yield return folder + "/" + candidate;
                }
            }
        }
    }

    private static Regex ShellGlob(string pattern)
    {
        var regex = new System.Text.StringBuilder("^");
        if (!pattern.StartsWith('.'))
        {
            // A shell glob only matches a leading dot written out.
            regex.Append(@"(?!\.)");
        }

        foreach (var c in pattern)
        {
            regex.Append(c switch
            {
                '*' => "[^/]*",
                '?' => "[^/]",
                '[' => "[",
                ']' => "]",
                _ => Regex.Escape(c.ToString()),
            });
        }

        try
        {
            return new Regex(regex.Append('$').ToString(), RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
        }
        catch (ArgumentException)
        {
            return new Regex(".*", RegexOptions.None, TimeSpan.FromSeconds(1));
        }
    }

    private Judgement? Judge(string tool, bool readOnly, List<CompiledRule> rules, Func<CompiledRule, bool> matches, string? subject, IReadOnlyList<string> writes, string? danger, bool restrictOnly)
    {
        var matching = rules.Where(r => r.CoversTool(tool) && matches(r)).ToList();
        if (MostSpecific(matching.Where(r => r.Rule.Decision == PolicyDecisions.Deny)) is { } deny)
        {
            return ByRule(deny, subject);
        }

        foreach (var write in writes)
        {
            if (ProtectedWrite(write, rules) is { } refused)
            {
                return refused;
            }
        }

        var allow = MostSpecific(matching.Where(r => r.Rule.Decision == PolicyDecisions.Allow));
        if (Mode == PermissionModes.ReadOnly && !readOnly && !restrictOnly)
        {
            var ignored = allow is null ? "" : $" (the allow rule {allow.Rule.Text} does not apply in read-only mode)";
            return new Judgement(PolicyDecisions.Deny, $"denied in read-only mode: {Describe(tool, subject)} may change the workspace{ignored}", null, null);
        }

        if (MostSpecific(matching.Where(r => r.Rule.Decision == PolicyDecisions.Ask)) is { } ask)
        {
            return ByRule(ask, subject);
        }

        if (restrictOnly)
        {
            // A wrapper (sudo, bash -c …) is judged by its inner command, unless the wrapper itself is risky.
            return danger is null || allow is not null || Mode != PermissionModes.WorkspaceWrite ? null : ByMode(ToolNames.Shell, false, subject, danger);
        }

        if (allow is not null)
        {
            return ByRule(allow, subject);
        }

        return ByMode(tool, readOnly, subject, danger);
    }

    private Judgement ByMode(string tool, bool readOnly, string? subject, string? danger)
    {
        // A request is how data leaves the machine (a URL can carry anything the agent has read): only full-auto
        // fetches from hosts no rule allows.
        if (ToolNames.KindOf(tool) == ToolKind.Fetch && Mode != PermissionModes.FullAuto)
        {
            var host = Uri.TryCreate(subject, UriKind.Absolute, out var uri) ? uri.Host : subject;
            return new Judgement(PolicyDecisions.Ask, $"asks in {Mode} mode: {tool} sends a request to {host}, and data can leave the machine with it; allow the site with a rule such as fetch_url(domain:{host})", null, null);
        }

        if (readOnly)
        {
            return new Judgement(PolicyDecisions.Allow, $"allowed in {Mode} mode: {tool} only reads", null, null);
        }

        var kind = ToolNames.KindOf(tool);
        switch (Mode)
        {
            case PermissionModes.FullAuto:
                return new Judgement(PolicyDecisions.Allow, "allowed in full-auto mode", null, null);
            case PermissionModes.WorkspaceWrite:
                return kind switch
                {
                    ToolKind.Write => new Judgement(PolicyDecisions.Allow, $"allowed in workspace-write mode: {subject} is inside the workspace", null, null),
                    ToolKind.Shell when danger is not null => new Judgement(PolicyDecisions.Ask, $"asks in workspace-write mode: '{subject}' {danger}", null, null),
                    ToolKind.Shell => new Judgement(PolicyDecisions.Allow, "allowed in workspace-write mode: shell runs sandboxed", null, null),
                    _ => new Judgement(PolicyDecisions.Ask, $"asks in workspace-write mode: {tool} is not a built-in tool and may change things outside the workspace", null, null),
                };
            case PermissionModes.AcceptEdits:
                return kind switch
                {
                    ToolKind.Write => new Judgement(PolicyDecisions.Allow, $"allowed in accept-edits mode: {subject} is inside the workspace", null, null),
                    ToolKind.Shell => new Judgement(PolicyDecisions.Ask, "asks in accept-edits mode: only file edits run without asking", null, null),
                    _ => new Judgement(PolicyDecisions.Ask, $"asks in accept-edits mode: {tool} is not a file edit", null, null),
                };
            case PermissionModes.Ask:
                return kind switch
                {
                    ToolKind.Shell => new Judgement(PolicyDecisions.Ask, "asks in ask mode: shell may change the workspace", null, null),
                    ToolKind.Write => new Judgement(PolicyDecisions.Ask, $"asks in ask mode: {tool} changes {subject}", null, null),
                    _ => new Judgement(PolicyDecisions.Ask, $"asks in ask mode: {tool} is not known to be read-only", null, null),
                };
            default:
                return new Judgement(PolicyDecisions.Deny, $"denied in {Mode} mode: {tool} may change the workspace", null, null);
        }
    }

    private Judgement? ProtectedWrite(string fullPath, List<CompiledRule> rules)
    {
        if (DevicePaths.Contains(fullPath) || fullPath.StartsWith("/dev/fd/", StringComparison.Ordinal) || fullPath.StartsWith("/proc/self/fd/", StringComparison.Ordinal))
        {
            return null;
        }

        var shown = _paths.Display(fullPath);
        var writeRules = rules.Where(r => r.Rule.Decision == PolicyDecisions.Allow && r.Path is not null && r.CoversTool(ToolNames.WriteFile) && r.MatchesPath(fullPath, _paths)).ToList();
        if (!_paths.IsInside(fullPath))
        {
            if (writeRules.Any(r => r.Path!.IsAbsolute))
            {
                return null;
            }

            var example = shown == "~" ? "~/**" : shown;
            return new Judgement(
                PolicyDecisions.Deny,
                $"writes to {shown}, outside the workspace, a protected path; add an allow rule such as write_file({example}) to permit it",
                "outside the workspace",
                PolicySources.BuiltIn);
        }

        foreach (var (glob, key) in _protected)
        {
            if (!glob.IsMatch(fullPath, _paths))
            {
                continue;
            }

            if (writeRules.Any(r => r.Path!.Text.Contains(key, StringComparison.OrdinalIgnoreCase)))
            {
                return null;
            }

            return new Judgement(
                PolicyDecisions.Deny,
                $"writes to {shown}, a protected path; add an allow rule such as write_file({shown}) to permit it",
                glob.Text,
                PolicySources.BuiltIn);
        }

        return null;
    }

    private static CompiledRule? MostSpecific(IEnumerable<CompiledRule> rules) =>
        rules.OrderByDescending(r => r.LiteralLength).ThenByDescending(r => r.Rule.Text.Length).FirstOrDefault();

    private static Judgement ByRule(CompiledRule rule, string? subject)
    {
        var text = rule.Rule.Text;
        var on = subject is null ? "" : $" for '{subject}'";
        var reason = rule.Rule.Decision switch
        {
            PolicyDecisions.Deny => $"denied by rule {text} ({rule.Rule.Source}){on}",
            PolicyDecisions.Ask => $"asks by rule {text} ({rule.Rule.Source}){on}",
            _ => $"allowed by rule {text} ({rule.Rule.Source}){on}",
        };
        return new Judgement(rule.Rule.Decision, reason, text, rule.Rule.Source);
    }

    private static string Describe(string tool, string? subject) =>
        tool == ToolNames.Shell && subject is { Length: > 0 } ? $"'{subject}'" : tool;

    private static PolicyVerdict Verdict(Judgement judged, Func<string?> suggest) =>
        new(judged.Decision, judged.Reason, judged.Rule, judged.Source, judged.Decision == PolicyDecisions.Ask ? suggest() : null);

    private string? SuggestForCommand(ShellUnit unit)
    {
        if (unit.Words.Count == 0)
        {
            return null;
        }

        var first = unit.Words[0].Text;
        var second = unit.Words.Count > 1 && Regex.IsMatch(unit.Words[1].Text, "^[A-Za-z][A-Za-z0-9:_.-]*$", RegexOptions.None, TimeSpan.FromSeconds(1))
            ? " " + unit.Words[1].Text
            : "";
        return Checked($"shell({first}{second}*)");
    }

    private string? SuggestForPath(string tool, string fullPath)
    {
        var name = ToolNames.KindOf(tool) == ToolKind.Write ? ToolNames.WriteFile : tool;
        var relative = _paths.Relative(fullPath);
        if (relative is null)
        {
            var parent = Path.GetDirectoryName(fullPath)?.Replace('\\', '/');
            return parent is null ? null : Checked($"{name}({_paths.Display(parent).TrimEnd('/')}/**)");
        }

        var slash = relative.LastIndexOf('/');
        return Checked(slash < 0 ? $"{name}({relative})" : $"{name}({relative[..slash]}/**)");
    }

    private string? SuggestForUrl(string url) =>
        Uri.TryCreate(url.Trim(), UriKind.Absolute, out var uri) && uri.IdnHost.Length > 0
            ? Checked($"fetch_url(domain:{uri.IdnHost.ToLowerInvariant()})")
            : Checked(ToolNames.FetchUrl);

    private string? Checked(string rule)
    {
        try
        {
            CompiledRule.Parse(new PermissionRule(PolicyDecisions.Allow, rule, PolicySources.Session), _paths.Home);
            return rule;
        }
        catch (RuleFormatException)
        {
            return null;
        }
    }

    private static string? StringArgument(JsonElement arguments, string name) =>
        arguments.ValueKind == JsonValueKind.Object && arguments.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String
            ? value.GetString()
            : null;

    private sealed record Judgement(string Decision, string Reason, string? Rule, string? Source)
    {
        public int Severity => Decision switch
        {
            PolicyDecisions.Deny => 2,
            PolicyDecisions.Ask => 1,
            _ => 0,
        };
    }

    private sealed class PolicyFileAccess(PolicyEngine engine, string tool, List<CompiledRule> rules) : IFileAccess
    {
        public FileAccessVerdict CheckRead(string fullPath) =>
            Check(ToolNames.KindOf(tool) == ToolKind.Read ? tool : ToolNames.ReadFile, fullPath, readOnly: true);

        public FileAccessVerdict CheckWrite(string fullPath) =>
            Check(ToolNames.KindOf(tool) == ToolKind.Write ? tool : ToolNames.WriteFile, fullPath, readOnly: false);

        private FileAccessVerdict Check(string asTool, string fullPath, bool readOnly)
        {
            ArgumentNullException.ThrowIfNull(fullPath);
            var verdict = engine.EvaluatePath(asTool, fullPath, readOnly, rules);
            return verdict.Decision switch
            {
                PolicyDecisions.Deny => new FileAccessVerdict(FileAccessDecision.Deny, verdict.Reason),
                PolicyDecisions.Ask => new FileAccessVerdict(FileAccessDecision.Ask, verdict.Reason),
                _ => FileAccessVerdict.Allowed,
            };
        }
    }
}
