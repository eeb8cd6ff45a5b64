using System.Text;
using System.Text.RegularExpressions;

namespace Rein.Guard.Policy;

/// <summary>What a built-in tool's rule pattern is matched against.</summary>
internal enum ToolKind
{
    /// <summary>A tool whose rules take no pattern (MCP and other tools, <c>todo_write</c>).</summary>
    Other,

    /// <summary><c>shell</c>: the command.</summary>
    Shell,

    /// <summary><c>read_file</c>, <c>list_files</c>, <c>grep</c>: the path read.</summary>
    Read,

    /// <summary><c>write_file</c>, <c>edit_file</c>: the path written.</summary>
    Write,

    /// <summary><c>fetch_url</c>: the URL.</summary>
    Fetch,
}

/// <summary>Built-in tool names, Claude Code's aliases for them, and what their rules match.</summary>
internal static class ToolNames
{
    public const string Shell = "shell";
    public const string ReadFile = "read_file";
    public const string WriteFile = "write_file";
    public const string EditFile = "edit_file";
    public const string ListFiles = "list_files";
    public const string Grep = "grep";
    public const string FetchUrl = "fetch_url";
    public const string TodoWrite = "todo_write";

    private static readonly Dictionary<string, string> Aliases = new(StringComparer.OrdinalIgnoreCase)
    {
        [Shell] = Shell,
        ["Bash"] = Shell,
        [WriteFile] = WriteFile,
        ["Write"] = WriteFile,
        [EditFile] = EditFile,
        ["Edit"] = EditFile,
        ["MultiEdit"] = EditFile,
        ["NotebookEdit"] = EditFile,
        [ReadFile] = ReadFile,
        ["Read"] = ReadFile,
        [FetchUrl] = FetchUrl,
        ["WebFetch"] = FetchUrl,
        [Grep] = Grep,
        [ListFiles] = ListFiles,
        ["Glob"] = ListFiles,
        ["LS"] = ListFiles,
        [TodoWrite] = TodoWrite,
        ["TodoWrite"] = TodoWrite,
    };

    /// <summary>Maps an alias (<c>Bash</c>, <c>mcp__github__create_issue</c>) to Rein's name; other names are kept.</summary>
    public static string Canonical(string name)
    {
        if (Aliases.TryGetValue(name, out var canonical))
        {
            return canonical;
        }

        // Claude Code names MCP tools mcp__server__tool, and a whole server mcp__server.
        if (name.StartsWith("mcp__", StringComparison.Ordinal))
        {
            var rest = name[5..];
            var split = rest.IndexOf("__", StringComparison.Ordinal);
            return split < 0 ? $"mcp:{rest}/*" : $"mcp:{rest[..split]}/{rest[(split + 2)..]}";
        }

        return name;
    }

    public static ToolKind KindOf(string tool) => tool switch
    {
        Shell => ToolKind.Shell,
        ReadFile or ListFiles or Grep => ToolKind.Read,
        WriteFile or EditFile => ToolKind.Write,
        FetchUrl => ToolKind.Fetch,
        _ => ToolKind.Other,
    };

    /// <summary>Gets whether a rule written for <paramref name="ruleTool"/> covers calls of <paramref name="tool"/>.</summary>
    /// <remarks>As in Claude Code, write rules cover both editing tools and read_file rules cover every tool that reads files.</remarks>
    public static bool Covers(string ruleTool, string tool) => ruleTool switch
    {
        WriteFile or EditFile => tool is WriteFile or EditFile,
        ReadFile => tool is ReadFile or Grep or ListFiles,
        _ => string.Equals(ruleTool, tool, StringComparison.Ordinal),
    };
}

/// <summary>A rule that is not well formed.</summary>
internal sealed class RuleFormatException(string message) : Exception(message);

/// <summary>A parsed <see cref="PermissionRule"/>.</summary>
internal sealed class CompiledRule
{
    private readonly Regex? _toolGlob;
    private readonly Regex? _command;
    private readonly Regex? _url;
    private readonly string? _domain;

    private CompiledRule(PermissionRule rule, string tool, Regex? toolGlob, Regex? command, PathGlob? path, Regex? url, string? domain, int literal)
    {
        Rule = rule;
        Tool = tool;
        _toolGlob = toolGlob;
        _command = command;
        Path = path;
        _url = url;
        _domain = domain;
        LiteralLength = literal;
    }

    public PermissionRule Rule { get; }

    /// <summary>Gets the canonical tool name (or name glob).</summary>
    public string Tool { get; }

    /// <summary>Gets the path pattern of a file rule.</summary>
    public PathGlob? Path { get; }

    /// <summary>Gets whether the rule has a pattern (is not a bare tool name).</summary>
    public bool HasPattern => _command is not null || Path is not null || _url is not null || _domain is not null;

    /// <summary>Gets how many characters of the pattern are literal, for picking the most specific rule.</summary>
    public int LiteralLength { get; }

    /// <summary>Parses a rule.</summary>
    /// <exception cref="RuleFormatException">The rule is malformed; the message says how.</exception>
    public static CompiledRule Parse(PermissionRule rule, string home)
    {
        var text = rule.Text.Trim();
        if (text.Length == 0)
        {
            throw new RuleFormatException("empty rule");
        }

        var open = text.IndexOf('(', StringComparison.Ordinal);
        var name = open < 0 ? text : text[..open].Trim();
        if (name.Length == 0)
        {
            throw new RuleFormatException("missing tool name before '('");
        }

        foreach (var c in name)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or ':' or '/' or '.' or '*' or '?'))
            {
                throw new RuleFormatException($"'{c}' is not allowed in a tool name");
            }
        }

        var tool = ToolNames.Canonical(name);
        Regex? toolGlob = null;
        if (tool.Contains('*', StringComparison.Ordinal) || tool.Contains('?', StringComparison.Ordinal))
        {
            toolGlob = new Regex("^" + Regex.Escape(tool).Replace(@"\*", ".*", StringComparison.Ordinal).Replace(@"\?", ".", StringComparison.Ordinal) + "$", RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
        }

        if (open < 0)
        {
            if (text.Contains(')', StringComparison.Ordinal))
            {
                throw new RuleFormatException("')' without '('");
            }

            return new CompiledRule(rule, tool, toolGlob, null, null, null, null, 0);
        }

        if (!text.EndsWith(')'))
        {
            throw new RuleFormatException("missing ')'");
        }

        var pattern = text[(open + 1)..^1].Trim();
        if (pattern.Length == 0)
        {
            throw new RuleFormatException("empty pattern between '(' and ')'");
        }

        if (toolGlob is not null)
        {
            throw new RuleFormatException("a tool name pattern cannot have an argument pattern");
        }

        switch (ToolNames.KindOf(tool))
        {
            case ToolKind.Shell:
                var command = CompileCommand(pattern, out var literal);
                return new CompiledRule(rule, tool, null, command, null, null, null, literal);
            case ToolKind.Read or ToolKind.Write:
                try
                {
                    var glob = PathGlob.Parse(pattern, home);
                    return new CompiledRule(rule, tool, null, null, glob, null, null, glob.LiteralLength);
                }
                catch (FormatException ex)
                {
                    throw new RuleFormatException(ex.Message);
                }

            case ToolKind.Fetch:
                if (pattern.StartsWith("domain:", StringComparison.OrdinalIgnoreCase))
                {
                    var domain = pattern[7..].Trim().TrimEnd('.').ToLowerInvariant();
                    if (domain.Length == 0 || domain.Contains('/', StringComparison.Ordinal))
                    {
                        throw new RuleFormatException("domain: needs a host name, e.g. domain:example.com");
                    }

                    return new CompiledRule(rule, tool, null, null, null, null, domain, domain.Length);
                }

                var url = CompileUrl(pattern, out var urlLiteral);
                return new CompiledRule(rule, tool, null, null, null, url, null, urlLiteral);
            case ToolKind.Other:
                throw new RuleFormatException($"{tool} rules take no pattern; write just '{name}'");
            default:
                throw new RuleFormatException($"unsupported tool {tool}");
        }
    }

    /// <summary>Gets whether the rule names this tool (ignoring any pattern).</summary>
    public bool CoversTool(string tool) =>
        _toolGlob is not null ? _toolGlob.IsMatch(tool) : ToolNames.Covers(Tool, tool);

    /// <summary>Tests a shell simple command (its words joined by single spaces).</summary>
    public bool MatchesCommand(string text) => _command is null || _command.IsMatch(text);

    /// <summary>Tests an absolute path.</summary>
    public bool MatchesPath(string fullPath, PolicyPaths paths) => Path is null || Path.IsMatch(fullPath, paths);

    /// <summary>
    /// Whether the rule's pattern spells out one of <paramref name="hosts"/>: a <c>domain:</c> pattern equal to it (not
    /// a <c>*.</c> wildcard), or a URL pattern whose host part is written without wildcards. A bare rule or <c>fetch_url(*)</c> names nothing.
    /// </summary>
    public bool NamesHost(IReadOnlyCollection<string> hosts)
    {
        if (_domain is not null)
        {
            // A wildcard covers names nobody has seen yet; only a name written out unlocks a non-public address.
            return hosts.Contains(_domain);
        }

        if (_url is null)
        {
            return false;
        }

        var text = Rule.Text[(Rule.Text.IndexOf('(', StringComparison.Ordinal) + 1)..^1].Trim();
        var start = text.IndexOf("://", StringComparison.Ordinal);
        if (start < 0)
        {
            return false;
        }

        var authority = text[(start + 3)..];
        authority = authority[..(authority.IndexOf('/', StringComparison.Ordinal) is var slash and >= 0 ? slash : authority.Length)];
        var host = authority.StartsWith('[') ? authority[..(authority.IndexOf(']', StringComparison.Ordinal) + 1)] : authority.Split(':')[0];
        host = host.TrimEnd('.').ToLowerInvariant();
        return !host.Contains('*', StringComparison.Ordinal) && hosts.Contains(host);
    }

    /// <summary>Tests a URL; a URL that cannot be parsed matches only bare rules.</summary>
    public bool MatchesUrl(string url)
    {
        if (_url is null && _domain is null)
        {
            return true;
        }

        if (!Uri.TryCreate(url.Trim(), UriKind.Absolute, out var uri))
        {
            return false;
        }

        if (_domain is not null)
        {
            var host = uri.IdnHost.TrimEnd('.').ToLowerInvariant();
            return _domain.StartsWith("*.", StringComparison.Ordinal)
                ? host.EndsWith(_domain[1..], StringComparison.Ordinal) || host == _domain[2..]
                : host == _domain;
        }

        return _url!.IsMatch(NormalizeUrl(uri));
    }

    internal static string NormalizeUrl(Uri uri) =>
        uri.GetComponents(UriComponents.SchemeAndServer | UriComponents.PathAndQuery, UriFormat.UriEscaped);

    private static Regex CompileCommand(string pattern, out int literal)
    {
        // Claude Code's "prefix:*" means "starts with prefix".
        var text = pattern.EndsWith(":*", StringComparison.Ordinal) ? pattern[..^2] + "*" : pattern;
        text = Regex.Replace(text, @"\s+", " ", RegexOptions.None, TimeSpan.FromSeconds(1));
        var regex = new StringBuilder("^");
        literal = 0;
        foreach (var c in text)
        {
            if (c == '*')
            {
                regex.Append(".*");
            }
            else
            {
                literal++;
                regex.Append(Regex.Escape(c.ToString()));
            }
        }

        return new Regex(regex.Append('$').ToString(), RegexOptions.CultureInvariant | RegexOptions.Singleline, TimeSpan.FromSeconds(1));
    }

    private static Regex CompileUrl(string pattern, out int literal)
    {
        var text = pattern;
        if (Uri.TryCreate(pattern.Replace("*", "x", StringComparison.Ordinal), UriKind.Absolute, out _))
        {
            // Lower-case the scheme and host as URLs are compared normalized.
            var schemeEnd = text.IndexOf("://", StringComparison.Ordinal);
            if (schemeEnd > 0)
            {
                var hostEnd = text.IndexOf('/', schemeEnd + 3);
                hostEnd = hostEnd < 0 ? text.Length : hostEnd;
                text = text[..hostEnd].ToLowerInvariant() + text[hostEnd..];
            }
        }

        var regex = new StringBuilder("^");
        literal = 0;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c == '*' && i + 1 < text.Length && text[i + 1] == '*')
            {
                if (i > 0 && text[i - 1] == '/' && i + 2 == text.Length)
                {
                    // ".../**" also matches the URL without the trailing part.
                    regex.Length -= 1;
                    regex.Append("(?:/.*)?");
                }
                else
                {
                    regex.Append(".*");
                }

                i++;
            }
            else if (c == '*')
            {
                regex.Append("[^/]*");
            }
            else
            {
                literal++;
                regex.Append(Regex.Escape(c.ToString()));
            }
        }

        var afterScheme = text.IndexOf("://", StringComparison.Ordinal);
        if (text.IndexOf('/', afterScheme >= 0 ? afterScheme + 3 : 0) < 0)
        {
            // A bare origin (https://example.com) means its root page, which normalizes to "https://example.com/".
            regex.Append("/?");
        }

        return new Regex(regex.Append('$').ToString(), RegexOptions.CultureInvariant | RegexOptions.Singleline, TimeSpan.FromSeconds(1));
    }
}
