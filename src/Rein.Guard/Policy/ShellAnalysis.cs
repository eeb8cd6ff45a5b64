using System.Text.RegularExpressions;

namespace Rein.Guard.Policy;

/// <summary>A command to judge: a simple command, or the command a wrapper (<c>sudo</c>, <c>bash -c</c> …) runs.</summary>
/// <param name="Command">The simple command it comes from (folder, pipeline).</param>
/// <param name="Words">The words to judge.</param>
/// <param name="Redirects">The redirections that apply.</param>
/// <param name="RestrictOnly">Whether this is a wrapper whose inner command is judged separately: only deny and ask rules apply to it.</param>
/// <param name="Opaque">Whether it runs a command only known at run time (<c>eval "$x"</c>).</param>
internal sealed record ShellUnit(SimpleCommand Command, IReadOnlyList<ShellWord> Words, IReadOnlyList<ShellRedirect> Redirects, bool RestrictOnly = false, bool Opaque = false)
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

    private static readonly HashSet<string> Shells = new(StringComparer.Ordinal) { "sh", "bash", "zsh", "dash", "ksh", "fish", "busybox" };

    private static readonly HashSet<string> Interpreters = new(StringComparer.Ordinal)
    {
        "sh", "bash", "zsh", "dash", "ksh", "fish", "python", "python3", "perl", "ruby", "node",
    };

    public static string BaseName(string word)
    {
        var slash = word.LastIndexOf('/');
        return slash >= 0 && slash < word.Length - 1 ? word[(slash + 1)..] : word;
    }

    /// <summary>Lists the units to judge, unwrapping wrappers whose inner command is literal.</summary>
    /// <exception cref="ShellParseException">A literal inner script (<c>bash -c '…'</c>) does not parse.</exception>
    public static List<ShellUnit> Units(IReadOnlyList<SimpleCommand> commands, string home)
    {
        var units = new List<ShellUnit>();
        foreach (var command in commands)
        {
            if (command.Words.Count == 0 && command.Redirects.Count == 0)
            {
                // Only assignments: nothing runs (substitutions in them are separate commands).
                continue;
            }

            Expand(command, command.Words, command.Redirects, units, 0, home);
        }

        return units;
    }

    private static void Expand(SimpleCommand command, List<ShellWord> words, IReadOnlyList<ShellRedirect> redirects, List<ShellUnit> units, int depth, string home)
    {
        if (words.Count == 0 || depth > MaxDepth)
        {
            units.Add(new ShellUnit(command, words, redirects));
            return;
        }

        var name = BaseName(words[0].Text);
        List<ShellWord>? inner = null;
        string? script = null;
        var opaque = false;
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
                    var value = words[splitIndex + 2];
                    (script, opaque) = value.Expands ? (null, true) : (string.Join(' ', words.Skip(splitIndex + 2).Select(w => w.Text)), false);
                }
                else
                {
                    inner = AfterOptions(words, ["-u", "-C", "--unset", "--chdir"], skipAssignments: true);
                }

                break;
            case "nohup" or "builtin" or "exec" or "stdbuf" or "ionice" or "chrt" or "setsid" or "unbuffer":
                inner = AfterOptions(words, ["-a", "-i", "-o", "-e", "-c", "-n", "-p"], skipAssignments: false);
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
            case "timeout":
                var afterOptions = AfterOptions(words, ["-s", "-k", "--signal", "--kill-after"], skipAssignments: false);
                inner = afterOptions.Count > 0 ? afterOptions.Skip(1).ToList() : afterOptions;
                break;
            case "xargs":
                inner = AfterOptions(words, ["-I", "-L", "-n", "-P", "-d", "-E", "-s", "-a", "--max-args", "--max-procs", "--delimiter", "--arg-file", "--max-lines", "--replace", "--eof"], skipAssignments: false);
                if (inner.Count == 0)
                {
                    inner = [new ShellWord("echo")];
                }

                break;
            case "eval":
                if (words.Count > 1)
                {
                    (script, opaque) = words.Skip(1).Any(w => w.Expands) ? (null, true) : (string.Join(' ', words.Skip(1).Select(w => w.Text)), false);
                }

                break;
            case "find":
                units.Add(new ShellUnit(command, words, redirects));
                for (var i = 1; i < words.Count; i++)
                {
                    if (words[i].Text is "-exec" or "-execdir" or "-ok" or "-okdir")
                    {
                        var end = i + 1;
                        while (end < words.Count && words[end].Text is not (";" or "+"))
                        {
                            end++;
                        }

                        Expand(command, [.. words.Skip(i + 1).Take(end - i - 1)], [], units, depth + 1, home);
                        i = end;
                    }
                }

                return;
            default:
                if (Shells.Contains(name))
                {
                    var c = ShellScriptIndex(words);
                    if (c > 0)
                    {
                        (script, opaque) = words[c].Expands ? (null, true) : (words[c].Text, false);
                    }
                }

                break;
        }

        if (script is not null)
        {
            units.Add(new ShellUnit(command, words, redirects, RestrictOnly: true));
            foreach (var nested in ShellParser.Parse(script, command.Cwd, home))
            {
                nested.Pipeline = command.Pipeline;
                nested.PipelineIndex = command.PipelineIndex;
                if (nested.Words.Count > 0 || nested.Redirects.Count > 0)
                {
                    Expand(nested, nested.Words, nested.Redirects, units, depth + 1, home);
                }
            }

            return;
        }

        if (inner is { Count: > 0 })
        {
            units.Add(new ShellUnit(command, words, redirects, RestrictOnly: true));
            Expand(command, inner, [], units, depth + 1, home);
            return;
        }

        units.Add(new ShellUnit(command, words, redirects, Opaque: opaque));
    }

    // The index of the script after -c (or a combined flag such as -lc), or -1.
    private static int ShellScriptIndex(List<ShellWord> words)
    {
        for (var i = 1; i < words.Count - 1; i++)
        {
            var text = words[i].Text;
            if (!text.StartsWith('-') || text.StartsWith("--", StringComparison.Ordinal))
            {
                return -1;
            }

            if (text.Length > 1 && text[1..].All(char.IsAsciiLetter) && text.Contains('c', StringComparison.Ordinal))
            {
                return i + 1;
            }
        }

        return -1;
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
