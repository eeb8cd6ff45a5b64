using System.Text;
using System.Text.RegularExpressions;

namespace Rein.Guard.Policy;

/// <summary>A command to judge: a simple command, or the command a wrapper (<c>sudo</c>, <c>bash -c</c> …) runs.</summary>
/// <param name="Command">The simple command it comes from (folder, pipeline).</param>
/// <param name="Words">The words to judge.</param>
/// <param name="Redirects">The redirections that apply.</param>
/// <param name="RestrictOnly">Whether this is a wrapper whose inner command is judged separately: only deny and ask rules apply to it.</param>
/// <param name="Opaque">Whether it runs a shell script only known at run time (<c>eval "$x"</c>, <c>bash -c "$x"</c>).</param>
/// <param name="Unknown">Why the program or code it runs is only known at run time (a variable as the command word,
/// a script read from a file or a pipe, another interpreter's code), or null when it is known.</param>
internal sealed record ShellUnit(SimpleCommand Command, IReadOnlyList<ShellWord> Words, IReadOnlyList<ShellRedirect> Redirects, bool RestrictOnly = false, bool Opaque = false, string? Unknown = null)
{
    public string Text => string.Join(' ', Words.Select(w => w.Text));

    /// <summary>Gets the text with the command's folder dropped (<c>/bin/rm -rf x</c> → <c>rm -rf x</c>), or null when the same.</summary>
    public string? ShortText =>
        Words.Count > 0 && Words[0].Text.Contains('/', StringComparison.Ordinal)
            ? string.Join(' ', [ShellAnalysis.BaseName(Words[0].Text), .. Words.Skip(1).Select(w => w.Text)])
            : null;

    public string Name => Words.Count == 0 ? "" : ShellAnalysis.BaseName(Words[0].Text);
}

/// <summary>Finds the commands a command line runs, the paths it writes and the risky commands in it.</summary>
internal static class ShellAnalysis
{
    private const int MaxDepth = 8;

    private const string UnknownProgram = "runs a program that is only known when it runs";

    private const string UnknownInput = "runs a script it reads from its input, which is only known when it runs";

    // The arguments xargs, parallel and find -exec add, named as find names them.
    private static readonly ShellWord Placeholder = new("{}", Expands: true);

    private static readonly HashSet<string> Shells = new(StringComparer.Ordinal) { "sh", "bash", "zsh", "dash", "ksh", "mksh", "ash", "yash", "fish" };

    private static readonly HashSet<string> Interpreters = new(StringComparer.Ordinal)
    {
        "sh", "bash", "zsh", "dash", "ksh", "fish", "python", "python3", "perl", "ruby", "node",
    };

    private static readonly string[] StandardInputFiles = ["/dev/stdin", "/dev/fd/0", "/proc/self/fd/0"];

    public static string BaseName(string word)
    {
        var slash = word.LastIndexOf('/');
        return slash >= 0 && slash < word.Length - 1 ? word[(slash + 1)..] : word;
    }

    /// <summary>Lists the units to judge, unwrapping wrappers whose inner command is literal.</summary>
    /// <exception cref="ShellParseException">A literal inner script (<c>bash -c '…'</c>, <c>echo '…' | sh</c>) does not parse.</exception>
    public static List<ShellUnit> Units(IReadOnlyList<SimpleCommand> commands, string home)
    {
        var walk = new Walk(home);
        foreach (var command in commands)
        {
            walk.Visit(command, 0);
        }

        return walk.Units;
    }

    // The text a command writes to its output, as far as it is literal (echo, printf, cat of its input), or null.
    private static string? Output(SimpleCommand command, int depth)
    {
        var words = command.Words;
        if (depth > MaxDepth || words.Count == 0 || words.Any(w => w.Expands || w.Globs || w.Braces))
        {
            return null;
        }

        var args = words.Skip(1).Select(w => w.Text).ToList();
        switch (BaseName(words[0].Text))
        {
            case "echo":
                var options = args.TakeWhile(a => a.Length > 1 && a.StartsWith('-') && a[1..].All(c => c is 'n' or 'e' or 'E')).Count();
                var echoed = string.Join(' ', args.Skip(options));

                // Whether echo decodes escapes depends on the shell and its options: judge the decoded text, which is
                // the one that can hold more commands.
                return Unescape(echoed) + "\n";
            case "printf":
                if (args.Count > 0 && args[0] == "--")
                {
                    args.RemoveAt(0);
                }

                return args.Count == 0 || args[0].StartsWith('-') ? null : Printf(args[0], args.Skip(1).ToList());
            case "cat":
                var files = args.Where(a => !(a.StartsWith('-') && a.Length > 1)).ToList();
                return files.All(f => f == "-") ? Input(command, depth + 1) : null;
            default:
                return null;
        }
    }

    // The text fed to a command's standard input: "" when nothing is, null when it is only known at run time.
    private static string? Input(SimpleCommand command, int depth)
    {
        if (command.Redirects.LastOrDefault(r => r.IsStandardInput) is { } redirect)
        {
            return redirect.Body is { Expands: false } body ? body.Text : null;
        }

        return command.PipedFrom is { } from ? Output(from, depth + 1) : "";
    }

    private static string Unescape(string text)
    {
        if (!text.Contains('\\', StringComparison.Ordinal))
        {
            return text;
        }

        var decoded = new StringBuilder();
        var i = 0;
        while (i < text.Length)
        {
            if (text[i] == '\\' && i + 1 < text.Length)
            {
                i = ShellParser.DecodeEscape(text, i, decoded);
                continue;
            }

            decoded.Append(text[i++]);
        }

        return decoded.ToString();
    }

    // What printf prints for a format using only %s, %b and %%, or null for other formats.
    private static string? Printf(string format, List<string> args)
    {
        var output = new StringBuilder();
        var next = 0;
        do
        {
            var used = 0;
            for (var i = 0; i < format.Length; i++)
            {
                if (format[i] != '%')
                {
                    output.Append(format[i]);
                    continue;
                }

                if (i + 1 >= format.Length)
                {
                    return null;
                }

                switch (format[++i])
                {
                    case '%':
                        output.Append("%%");
                        break;
                    case 's' or 'b':
                        // The format's escapes are decoded below, so an argument's backslashes are kept for %s by doubling them.
                        var arg = next < args.Count ? args[next++] : "";
                        output.Append(format[i] == 's' ? arg.Replace("\\", "\\\\", StringComparison.Ordinal) : arg);
                        used++;
                        break;
                    default:
                        return null;
                }
            }

            if (used == 0)
            {
                break;
            }
        }
        while (next < args.Count);

        return Unescape(output.ToString()).Replace("%%", "%", StringComparison.Ordinal);
    }

    // The words after the command's options (and, for sudo and env, its NAME=value words).
    private static List<ShellWord> AfterOptions(List<ShellWord> words, string[] valueOptions, bool skipAssignments)
    {
        var i = 1;
        while (i < words.Count)
        {
            var text = words[i].Text;
            if (text == "--")
            {
                i++;
                break;
            }

            if (text.StartsWith('-') && text.Length > 1)
            {
                i += valueOptions.Contains(text) ? 2 : 1;
                continue;
            }

            if (skipAssignments && ShellParser.IsAssignment(text))
            {
                i++;
                continue;
            }

            break;
        }

        return [.. words.Skip(i)];
    }

    // The value of an option such as -c SCRIPT, -cSCRIPT or --command=SCRIPT, or null.
    private static ShellWord? OptionValue(List<ShellWord> words, string[] names)
    {
        for (var i = 1; i < words.Count; i++)
        {
            var text = words[i].Text;
            if (text == "--")
            {
                return null;
            }

            foreach (var name in names)
            {
                if (text == name && i + 1 < words.Count)
                {
                    return words[i + 1];
                }

                if (name.StartsWith("--", StringComparison.Ordinal) && text.StartsWith(name + "=", StringComparison.Ordinal))
                {
                    return words[i] with { Text = text[(name.Length + 1)..] };
                }
            }
        }

        return null;
    }

    // How a shell is asked to run: the word holding a -c script, or whether it reads its script from its input,
    // or the word naming its script file (-1 when none).
    private static (int Script, bool ReadsInput, int File) ShellInvocation(List<ShellWord> words)
    {
        var command = false;
        var readsInput = false;
        var i = 1;
        while (i < words.Count)
        {
            var text = words[i].Text;
            if (text is "--" or "-")
            {
                i++;
                break;
            }

            if (text is "-o" or "+o" or "-O" or "+O" or "--rcfile" or "--init-file")
            {
                i += 2;
                continue;
            }

            if (text.StartsWith("--", StringComparison.Ordinal))
            {
                i++;
                continue;
            }

            if (text.Length > 1 && text[0] is '-' or '+' && text[1..].All(char.IsAsciiLetter))
            {
                command |= text[0] == '-' && text.Contains('c', StringComparison.Ordinal);
                readsInput |= text[0] == '-' && text.Contains('s', StringComparison.Ordinal);
                i++;
                continue;
            }

            break;
        }

        if (command)
        {
            return (i < words.Count ? i : -1, false, -1);
        }

        if (readsInput || i >= words.Count || StandardInputFiles.Contains(words[i].Text))
        {
            return (-1, true, -1);
        }

        return (-1, false, i);
    }

    // Whether another interpreter is given code to run inline or on its input, which is not analysed.
    private static bool RunsInlineCode(string name, List<ShellWord> words, SimpleCommand command)
    {
        string codeFlags;
        if (name.StartsWith("python", StringComparison.Ordinal) || name.StartsWith("pypy", StringComparison.Ordinal))
        {
            codeFlags = "c";
        }
        else
        {
            switch (name)
            {
                case "perl":
                    codeFlags = "eE";
                    break;
                case "ruby" or "lua" or "luajit" or "Rscript" or "tclsh" or "osascript":
                    codeFlags = "e";
                    break;
                case "node" or "nodejs" or "bun" or "deno":
                    codeFlags = "ep";
                    break;
                case "php":
                    codeFlags = "rRBE";
                    break;
                default:
                    return false;
            }
        }

        for (var i = 1; i < words.Count; i++)
        {
            var text = words[i].Text;
            if (text is "--eval" or "--print" or "--command" || text.StartsWith("--eval=", StringComparison.Ordinal) || (name == "deno" && text == "eval"))
            {
                return true;
            }

            switch (text)
            {
                case "-m":
                    // python -m runs a named module.
                    return false;
                case "-":
                    return Input(command, 0) != "";
                case "--":
                    return i + 1 >= words.Count && Input(command, 0) != "";
                default:
                    break;
            }

            if (text is "-W" or "-X" or "-I" or "-r" or "--require")
            {
                i++;
                continue;
            }

            if (text.Length > 1 && text[0] == '-' && !text.StartsWith("--", StringComparison.Ordinal))
            {
                if (text[1..].TakeWhile(char.IsAsciiLetter).Any(codeFlags.Contains))
                {
                    return true;
                }

                continue;
            }

            if (!text.StartsWith('-'))
            {
                // A script file.
                return false;
            }
        }

        return Input(command, 0) != "";
    }

    // Whether an awk program can start commands (system(), pipes to or from commands).
    private static bool AwkRunsCommands(List<ShellWord> words)
    {
        for (var i = 1; i < words.Count; i++)
        {
            var text = words[i].Text;
            if (text is "-F" or "-v" or "--assign" or "--field-separator")
            {
                i++;
                continue;
            }

            if (text is "-f" or "--file" || text.StartsWith("-f", StringComparison.Ordinal))
            {
                return false;
            }

            if (text is "-e" or "--source" && i + 1 < words.Count)
            {
                return words[i + 1].Expands || words[i + 1].Text.Contains("system", StringComparison.Ordinal) || words[i + 1].Text.Contains('|', StringComparison.Ordinal);
            }

            if (text.StartsWith('-') && text.Length > 1)
            {
                continue;
            }

            return words[i].Expands || text.Contains("system", StringComparison.Ordinal) || text.Contains('|', StringComparison.Ordinal);
        }

        return false;
    }

    /// <summary>Follows a command line's commands into the commands they run.</summary>
    private sealed class Walk(string home)
    {
        // Literal values of shell variables assigned so far, to decode "a=rm; $a x".
        private readonly Dictionary<string, string> _variables = new(StringComparer.Ordinal);

        public List<ShellUnit> Units { get; } = [];

        public void Visit(SimpleCommand command, int depth)
        {
            // A literal $(…) stored in a variable runs when bash evaluates the value as arithmetic (a[$(cmd)]) or as a
            // prompt (${x@P}); neither is followed.
            var stored = command.Assignments.Concat(command.Words.Skip(1).Where(w => ShellParser.IsAssignment(w.Text)))
                .Any(w => !w.Expands && (w.Text.Contains("$(", StringComparison.Ordinal) || w.Text.Contains('`', StringComparison.Ordinal)));
            if (stored || command.Words.Concat(command.Assignments).Any(w => w.Expands && w.Text.Contains("@P}", StringComparison.Ordinal)))
            {
                Units.Add(new ShellUnit(command, command.Words, command.Redirects, Unknown: stored
                    ? "stores a command substitution that a later expansion can run"
                    : "expands a variable as a prompt, which can run commands"));
            }

            if (command.Words.Count == 0)
            {
                Remember(command.Assignments);
                if (command.Redirects.Count > 0)
                {
                    Units.Add(new ShellUnit(command, [], command.Redirects));
                }

                // Otherwise only assignments: nothing runs (substitutions in them are separate commands).
                return;
            }

            if (command.Words[0].Text is "export" or "declare" or "typeset" or "local" or "readonly")
            {
                Remember(command.Words.Skip(1).Where(w => ShellParser.IsAssignment(w.Text)));
            }

            Expand(command, command.Words, command.Redirects, depth);
        }

        private void Remember(IEnumerable<ShellWord> assignments)
        {
            foreach (var assignment in assignments)
            {
                var eq = assignment.Text.IndexOf('=', StringComparison.Ordinal);
                var append = assignment.Text[eq - 1] == '+';
                var name = assignment.Text[..(append ? eq - 1 : eq)];
                var value = assignment.Text[(eq + 1)..];
                if (assignment.Expands || (append && !_variables.ContainsKey(name)))
                {
                    _variables.Remove(name);
                }
                else
                {
                    _variables[name] = append ? _variables[name] + value : value;
                }
            }
        }

        private void Add(SimpleCommand command, List<ShellWord> words, IReadOnlyList<ShellRedirect> redirects, string? unknown = null) =>
            Units.Add(new ShellUnit(command, words, redirects, Unknown: unknown));

        private void Expand(SimpleCommand command, List<ShellWord> words, IReadOnlyList<ShellRedirect> redirects, int depth)
        {
            if (words.Count == 0 || depth > MaxDepth)
            {
                Add(command, words, redirects);
                return;
            }

            var first = words[0];
            if (first.Expands || (first.Globs && first.Text is not ("[" or "[[")) || first.Braces)
            {
                var variable = Regex.Match(first.Text, @"^\$(?:([A-Za-z_]\w*)|\{([A-Za-z_]\w*)\})$", RegexOptions.None, TimeSpan.FromSeconds(1));
                if (first.Expands && variable.Success && _variables.TryGetValue(variable.Groups[1].Success ? variable.Groups[1].Value : variable.Groups[2].Value, out var value))
                {
                    // Judge what it most likely runs; the value may also have been changed in ways not followed
                    // (read, a loop, a function), so the command stays unknown as well.
                    var decoded = value.Split([' ', '\t', '\n'], StringSplitOptions.RemoveEmptyEntries).Select(v => new ShellWord(v)).ToList();
                    Expand(command, [.. decoded, .. words.Skip(1)], redirects, depth + 1);
                }

                Add(command, words, redirects, UnknownProgram);
                return;
            }

            var name = BaseName(first.Text);
            List<ShellWord>? inner = null;
            ShellWord? script = null;
            string? unknown = null;
            switch (name)
            {
                case "sudo" or "doas":
                    inner = AfterOptions(words, ["-u", "-g", "-C", "-D", "-h", "-p", "-r", "-t", "-U", "--user", "--group", "--chdir", "--prompt"], skipAssignments: true);
                    break;
                case "env":
                    var split = words.Skip(1).TakeWhile(w => w.Text.StartsWith('-') || ShellParser.IsAssignment(w.Text)).ToList();
                    var splitIndex = split.FindIndex(w => w.Text is "-S" or "--split-string" || w.Text.StartsWith("--split-string=", StringComparison.Ordinal));
                    if (splitIndex >= 0 && splitIndex + 1 < words.Count - 1)
                    {
                        var rest = words.Skip(splitIndex + 2).ToList();
                        script = new ShellWord(string.Join(' ', rest.Select(w => w.Text)), rest.Any(w => w.Expands));
                    }
                    else
                    {
                        inner = AfterOptions(words, ["-u", "-C", "--unset", "--chdir"], skipAssignments: true);
                    }

                    break;
                case "nohup" or "builtin" or "setsid" or "unbuffer" or "pkexec" or "catchsegv":
                    inner = AfterOptions(words, [], skipAssignments: false);
                    break;
                case "exec":
                    inner = AfterOptions(words, ["-a"], skipAssignments: false);
                    break;
                case "stdbuf":
                    inner = AfterOptions(words, ["-i", "-o", "-e"], skipAssignments: false);
                    break;
                case "ionice":
                    inner = AfterOptions(words, ["-c", "-n", "-p"], skipAssignments: false);
                    break;
                case "strace" or "ltrace":
                    inner = AfterOptions(words, ["-o", "-e", "-p", "-s", "-u", "-E", "-a", "-P", "-I", "-X"], skipAssignments: false);
                    break;
                case "unshare" or "nsenter" or "firejail":
                    inner = AfterOptions(words, ["-t", "--target", "-S", "--setuid", "-G", "--setgid", "-w", "--wd", "-R", "--root"], skipAssignments: false);
                    break;
                case "chrt" or "taskset" or "chroot" or "flock" or "timeout":
                    // The first operand is a priority, CPU mask, root folder, lock file or duration; the command follows it.
                    script = OptionValue(words, name == "flock" ? ["-c", "--command"] : []);
                    if (script is null)
                    {
                        var afterOptions = AfterOptions(words, ["-s", "-k", "--signal", "--kill-after", "-w", "--timeout", "-E", "--conflict-exit-code", "--userspec", "--groups"], skipAssignments: false);
                        inner = afterOptions.Count > 0 ? afterOptions.Skip(1).ToList() : afterOptions;
                    }

                    break;
                case "command":
                    if (!words.Skip(1).Any(w => w.Text is "-v" or "-V"))
                    {
                        inner = AfterOptions(words, [], skipAssignments: false);
                    }

                    break;
                case "nice":
                    inner = AfterOptions(words, ["-n", "--adjustment"], skipAssignments: false);
                    break;
                case "time":
                    inner = AfterOptions(words, ["-f", "-o", "--format", "--output"], skipAssignments: false);
                    break;
                case "coproc":
                    // coproc [NAME] { commands; } or coproc command.
                    var coprocess = words.Skip(1).ToList();
                    if (coprocess.Count > 1 && coprocess[1].Text == "{" && ShellParser.IsAssignment(coprocess[0].Text + "="))
                    {
                        coprocess.RemoveAt(0);
                    }

                    inner = [.. coprocess.SkipWhile(w => w.Text == "{")];
                    break;
                case "hash" when words.Skip(1).Any(w => w.Text.StartsWith("-p", StringComparison.Ordinal)):
                    unknown = "gives a command name another program";
                    break;
                case "busybox" when words.Count > 1 && !words[1].Text.StartsWith('-'):
                    // busybox APPLET args: the applet is the command.
                    inner = [.. words.Skip(1)];
                    break;
                case "xargs":
                    var replaces = words.Skip(1).Any(w => w.Text is "-i" or "-I" or "--replace" || w.Text.StartsWith("-I", StringComparison.Ordinal) || w.Text.StartsWith("--replace=", StringComparison.Ordinal));
                    inner = AfterOptions(words, ["-I", "-L", "-n", "-P", "-d", "-E", "-s", "-a", "--max-args", "--max-procs", "--delimiter", "--arg-file", "--max-lines", "--replace", "--eof"], skipAssignments: false);
                    inner = inner.Count == 0 ? [new ShellWord("echo"), Placeholder] : replaces ? inner : [.. inner, Placeholder];
                    break;
                case "parallel":
                    // GNU parallel runs its command through a shell, with the arguments appended unless {} places them.
                    var parallelCommand = AfterOptions(words, ["-j", "--jobs", "-S", "--sshlogin", "-N", "-n", "--max-args", "-d", "--delimiter", "-a", "--arg-file", "-I", "--colsep", "-C", "--joblog", "--results", "--tmpdir", "-E", "--timeout", "--delay", "--retries"], skipAssignments: false)
                        .TakeWhile(w => !w.Text.StartsWith(":::", StringComparison.Ordinal)).ToList();
                    if (parallelCommand.Count > 0)
                    {
                        var text = string.Join(' ', parallelCommand.Select(w => w.Text));
                        script = new ShellWord(text.Contains("{}", StringComparison.Ordinal) ? text : text + " {}", parallelCommand.Any(w => w.Expands));
                    }

                    break;
                case "watch":
                    var watched = AfterOptions(words, ["-n", "--interval", "-q", "--equexit"], skipAssignments: false);
                    if (words.Skip(1).Any(w => w.Text is "-x" or "--exec"))
                    {
                        inner = watched;
                    }
                    else if (watched.Count > 0)
                    {
                        script = new ShellWord(string.Join(' ', watched.Select(w => w.Text)), watched.Any(w => w.Expands));
                    }

                    break;
                case "su" or "runuser":
                    script = OptionValue(words, ["-c", "--command", "--session-command"]);
                    if (script is null && name == "runuser" && words.Any(w => w.Text == "--"))
                    {
                        inner = [.. words.SkipWhile(w => w.Text != "--").Skip(1)];
                    }

                    break;
                case "script":
                    script = OptionValue(words, ["-c", "--command"]);
                    break;
                case "trap":
                    // trap 'commands' SIGNAL…: the commands run later in the same shell.
                    var trapped = words.Skip(1).SkipWhile(w => w.Text == "--").ToList();
                    if (trapped.Count > 1 && !trapped[0].Text.StartsWith('-'))
                    {
                        script = trapped[0];
                    }

                    break;
                case "eval":
                    if (words.Count > 1)
                    {
                        var rest = words.Skip(1).ToList();
                        script = new ShellWord(string.Join(' ', rest.Select(w => w.Text)), rest.Any(w => w.Expands));
                    }

                    break;
                case "source" or ".":
                    if (words.Count > 1 && words[1].Expands)
                    {
                        unknown = "runs a script named only when it runs";
                    }
                    else if (words.Count > 1 && StandardInputFiles.Contains(words[1].Text))
                    {
                        (script, unknown) = Input(command, 0) is { } fed ? (new ShellWord(fed), (string?)null) : ((ShellWord?)null, UnknownInput);
                    }

                    break;
                case "alias" when words.Skip(1).Any(w => w.Text.Contains('=', StringComparison.Ordinal)):
                    unknown = "defines an alias, which can give any command another name";
                    break;
                case "awk" or "gawk" or "mawk" or "nawk":
                    unknown = AwkRunsCommands(words) ? "runs an awk program that can start commands, which is not analysed" : null;
                    break;
                case "find":
                    FindCommands(command, words, redirects, depth);
                    return;
                default:
                    if (Shells.Contains(name))
                    {
                        var (scriptIndex, readsInput, file) = ShellInvocation(words);
                        if (scriptIndex > 0)
                        {
                            script = words[scriptIndex];
                        }
                        else if (readsInput)
                        {
                            (script, unknown) = Input(command, 0) is { } fed ? (new ShellWord(fed), (string?)null) : ((ShellWord?)null, UnknownInput);
                        }
                        else if (file > 0 && words[file].Expands)
                        {
                            unknown = "runs a script named only when it runs";
                        }
                    }
                    else if (RunsInlineCode(name, words, command))
                    {
                        unknown = $"runs {name} code, which is not analysed";
                    }

                    break;
            }

            if (script is { Expands: true })
            {
                Units.Add(new ShellUnit(command, words, redirects, Opaque: true, Unknown: "runs a script that is only known when it runs"));
                return;
            }

            if (script is not null && script.Text.Trim().Length > 0)
            {
                Units.Add(new ShellUnit(command, words, redirects, RestrictOnly: true));
                foreach (var nested in ShellParser.Parse(script.Text, command.Cwd, home))
                {
                    nested.Pipeline = command.Pipeline;
                    nested.PipelineIndex = command.PipelineIndex;
                    Visit(nested, depth + 1);
                }

                return;
            }

            if (inner is { Count: > 0 })
            {
                Units.Add(new ShellUnit(command, words, redirects, RestrictOnly: true));
                Expand(command, inner, [], depth + 1);
                return;
            }

            Add(command, words, redirects, unknown);
        }

        private void FindCommands(SimpleCommand command, List<ShellWord> words, IReadOnlyList<ShellRedirect> redirects, int depth)
        {
            Add(command, words, redirects);
            for (var i = 1; i < words.Count; i++)
            {
                if (words[i].Text == "-delete")
                {
                    // Judged as the rm it amounts to, for deny and ask rules only.
                    Units.Add(new ShellUnit(command, [new ShellWord("rm"), Placeholder], [], RestrictOnly: true));
                }
                else if (words[i].Text is "-exec" or "-execdir" or "-ok" or "-okdir")
                {
                    var end = i + 1;
                    while (end < words.Count && words[end].Text is not (";" or "+"))
                    {
                        end++;
                    }

                    Expand(command, [.. words.Skip(i + 1).Take(end - i - 1)], [], depth + 1);
                    i = end;
                }
            }
        }
    }

    /// <summary>Lists the words naming files the unit writes: write redirections and the path arguments of mutating commands.</summary>
    public static IEnumerable<ShellWord> WriteTargets(ShellUnit unit)
    {
        foreach (var redirect in unit.Redirects)
        {
            if (redirect.Kind == RedirectKind.Write)
            {
                yield return redirect.Target;
            }
        }

        if (unit.RestrictOnly || unit.Words.Count < 2)
        {
            yield break;
        }

        var words = unit.Words;
        switch (unit.Name)
        {
            case "rm" or "rmdir" or "touch" or "mkdir" or "unlink" or "shred" or "tee" or "chmod" or "chown" or "chgrp" or "mv" or "truncate":
                foreach (var arg in Arguments(words, ["-m", "-d", "-t", "-r", "-n", "-s", "--mode", "--size", "--reference", "--date", "--iterations"]))
                {
                    yield return arg;
                }

                break;
            case "cp" or "install" or "ln":
                var args = Arguments(words, ["-t", "-T", "-S", "-m", "-o", "-g", "--target-directory", "--suffix", "--mode", "--owner", "--group"]);
                var target = TargetDirectory(words);
                if (target is not null)
                {
                    yield return target;
                }
                else if (unit.Name == "install" && words.Any(w => w.Text is "-d" or "--directory"))
                {
                    foreach (var arg in args)
                    {
                        yield return arg;
                    }
                }
                else if (args.Count >= 2)
                {
                    yield return args[^1];
                }
                else if (unit.Name == "ln" && args.Count == 1)
                {
                    yield return args[0] with { Text = BaseName(args[0].Text), Tilde = false };
                }

                break;
            case "dd":
                foreach (var word in words.Skip(1))
                {
                    if (word.Text.StartsWith("of=", StringComparison.Ordinal))
                    {
                        yield return word with { Text = word.Text[3..], Tilde = word.Text.StartsWith("of=~", StringComparison.Ordinal) };
                    }
                }

                break;
            case "sed":
                var inPlace = words.Skip(1).Any(w => w.Text.StartsWith("--in-place", StringComparison.Ordinal)
                    || (w.Text.StartsWith('-') && !w.Text.StartsWith("--", StringComparison.Ordinal) && (w.Text.StartsWith("-i", StringComparison.Ordinal) || w.Text[1..].All(char.IsAsciiLetter) && w.Text.Contains('i', StringComparison.Ordinal))));
                if (inPlace)
                {
                    var files = Arguments(words, ["-e", "-f", "-l", "--expression", "--file", "--line-length"]);
                    var hasScriptOption = words.Any(w => w.Text is "-e" or "-f" or "--expression" or "--file" || w.Text.StartsWith("--expression=", StringComparison.Ordinal));
                    foreach (var file in hasScriptOption ? files : files.Skip(1))
                    {
                        yield return file;
                    }
                }

                break;
            case "curl" or "wget":
                for (var i = 1; i < words.Count - 1; i++)
                {
                    if (words[i].Text is "-o" or "--output" or "-O" or "--output-document" && !(unit.Name == "curl" && words[i].Text == "-O"))
                    {
                        yield return words[i + 1];
                    }
                }

                break;
        }
    }

    private static ShellWord? TargetDirectory(IReadOnlyList<ShellWord> words)
    {
        for (var i = 1; i < words.Count; i++)
        {
            if (words[i].Text is "-t" or "--target-directory" && i + 1 < words.Count)
            {
                return words[i + 1];
            }

            if (words[i].Text.StartsWith("--target-directory=", StringComparison.Ordinal))
            {
                return words[i] with { Text = words[i].Text["--target-directory=".Length..] };
            }
        }

        return null;
    }

    private static List<ShellWord> Arguments(IReadOnlyList<ShellWord> words, string[] valueOptions)
    {
        var args = new List<ShellWord>();
        var options = true;
        for (var i = 1; i < words.Count; i++)
        {
            var text = words[i].Text;
            if (options && text == "--")
            {
                options = false;
                continue;
            }

            if (options && text.StartsWith('-') && text.Length > 1)
            {
                if (valueOptions.Contains(text))
                {
                    i++;
                }

                continue;
            }

            args.Add(words[i]);
        }

        return args;
    }

    /// <summary>Describes why a unit is risky enough to ask in workspace-write mode, or returns null.</summary>
    public static string? Danger(ShellUnit unit, IReadOnlyList<SimpleCommand> all, PolicyPaths paths)
    {
        if (unit.Opaque)
        {
            return "runs a command that is only known when it runs";
        }

        var words = unit.Words;
        var args = words.Skip(1).Select(w => w.Text).ToList();
        var name = unit.Name;
        if (name.StartsWith("mkfs", StringComparison.Ordinal))
        {
            return "formats a file system";
        }

        switch (name)
        {
            case "sudo" or "su" or "doas":
                return "runs a command as another user";
            case "shutdown" or "reboot" or "halt" or "poweroff":
                return "shuts down or restarts the machine";
            case "systemctl" when args.Any(a => a is "poweroff" or "reboot" or "halt" or "kexec"):
                return "shuts down or restarts the machine";
            case "init" when args.Any(a => a is "0" or "6"):
                return "shuts down or restarts the machine";
            case "dd" when args.Any(a => a.StartsWith("of=/dev/", StringComparison.Ordinal)):
                return "writes to a device";
            case "rm":
                if (args.Contains("--no-preserve-root"))
                {
                    return "removes the root folder";
                }

                var recursive = args.Any(a => a == "--recursive" || (a.StartsWith('-') && !a.StartsWith("--", StringComparison.Ordinal) && (a.Contains('r', StringComparison.Ordinal) || a.Contains('R', StringComparison.Ordinal))));
                if (recursive)
                {
                    foreach (var target in words.Skip(1).Where(w => !w.Text.StartsWith('-')))
                    {
                        if (IsSweepingTarget(target, unit.Command.Cwd, paths))
                        {
                            return $"removes '{target.Text}' recursively";
                        }
                    }
                }

                break;
            case "git":
                var sub = GitSubcommand(args, out var rest);
                switch (sub)
                {
                    case "push" when rest.Any(a => a is "-f" or "--force" or "--mirror" || a.StartsWith("--force-with-lease", StringComparison.Ordinal) || a.StartsWith('+') || (a.StartsWith('-') && !a.StartsWith("--", StringComparison.Ordinal) && a.Contains('f', StringComparison.Ordinal))):
                        return "force-pushes, which can overwrite others' work";
                    case "reset" when rest.Contains("--hard"):
                        return "discards uncommitted changes (git reset --hard)";
                    case "clean" when rest.Any(a => a == "--force" || (a.StartsWith('-') && !a.StartsWith("--", StringComparison.Ordinal) && a.Contains('f', StringComparison.Ordinal))):
                        return "deletes untracked files (git clean -f)";
                    default:
                        break;
                }

                break;
            case "chmod" when args.Any(a => a is "-R" or "--recursive") && args.Any(a => a is "777" or "0777" or "a+rwx" or "ugo+rwx" or "a=rwx"):
                return "makes files writable by everyone, recursively";
            default:
                break;
        }

        if (Interpreters.Contains(name))
        {
            var downloads = all.Any(c => c.Pipeline == unit.Command.Pipeline && c.PipelineIndex < unit.Command.PipelineIndex
                && c.Words.Count > 0 && c.Words.Any(w => BaseName(w.Text) is "curl" or "wget"));
            var substituted = words.Any(w => Regex.IsMatch(w.Text, @"[$<]\(\s*(curl|wget)\b", RegexOptions.None, TimeSpan.FromSeconds(1)));
            if (downloads || substituted)
            {
                return "runs a script downloaded from the network";
            }
        }

        return null;
    }

    private static bool IsSweepingTarget(ShellWord target, string? cwd, PolicyPaths paths)
    {
        var text = target.Text.TrimEnd('/');
        if (text is "" or "/*" or "~" or "~/*" or "$HOME" or "${HOME}" or "$HOME/*" or "${HOME}/*" or ".." or "../*" or "." or "./*" or ".*")
        {
            return true;
        }

        if (text == "*")
        {
            return cwd is null || string.Equals(cwd, paths.Workspace, PolicyPaths.Comparison);
        }

        if (target.Expands || target.Tilde || cwd is null)
        {
            return false;
        }

        var full = paths.Resolve(text, cwd);
        return full == "/" || !paths.IsInside(full) || string.Equals(full, paths.Workspace, PolicyPaths.Comparison)
            || PolicyPaths.IsUnder(paths.Home, full);
    }

    private static string? GitSubcommand(List<string> args, out List<string> rest)
    {
        for (var i = 0; i < args.Count; i++)
        {
            if (args[i] is "-C" or "-c" or "--git-dir" or "--work-tree" or "--namespace")
            {
                i++;
                continue;
            }

            if (args[i].StartsWith('-'))
            {
                continue;
            }

            rest = args.Skip(i + 1).ToList();
            return args[i];
        }

        rest = [];
        return null;
    }
}
