using System.Text;

namespace Rein.Guard.Policy;

/// <summary>One word of a shell command after quote removal.</summary>
/// <param name="Text">The word with quotes and escapes removed; expansions (<c>$HOME</c>, <c>$(…)</c>) are kept as written.</param>
/// <param name="Expands">Whether the word holds a parameter, arithmetic or command expansion, so its value is only known when it runs.</param>
/// <param name="Globs">Whether the word holds an unquoted <c>*</c>, <c>?</c> or <c>[</c>.</param>
/// <param name="Tilde">Whether the word starts with an unquoted <c>~</c>.</param>
/// <param name="Braces">Whether the word holds an unquoted brace expansion (<c>{a,b}</c>, <c>{1..3}</c>), which can turn it into several words.</param>
internal sealed record ShellWord(string Text, bool Expands = false, bool Globs = false, bool Tilde = false, bool Braces = false);

/// <summary>What a redirection does.</summary>
internal enum RedirectKind
{
    /// <summary>Writes or truncates a file: <c>&gt;</c>, <c>&gt;&gt;</c>, <c>&amp;&gt;</c>, <c>&lt;&gt;</c>.</summary>
    Write,

    /// <summary>Reads a file: <c>&lt;</c>.</summary>
    Read,

    /// <summary>Feeds text: here-strings and here-documents.</summary>
    Text,

    /// <summary>Duplicates or closes a descriptor: <c>2&gt;&amp;1</c>.</summary>
    Duplicate,
}

/// <summary>A redirection of a simple command.</summary>
internal sealed record ShellRedirect(string Operator, ShellWord Target, RedirectKind Kind)
{
    /// <summary>Gets the text a here-document or here-string feeds (it expands when the delimiter is unquoted), or null for other redirections.</summary>
    public ShellWord? Body { get; set; }

    /// <summary>Gets whether it redirects standard input.</summary>
    public bool IsStandardInput => Operator.TrimStart('0').StartsWith('<');
}

/// <summary>A simple command: assignments, words and redirections.</summary>
internal sealed class SimpleCommand
{
    public List<ShellWord> Assignments { get; } = [];

    public List<ShellWord> Words { get; } = [];

    public List<ShellRedirect> Redirects { get; } = [];

    /// <summary>Gets the folder the command runs in as far as literal <c>cd</c> commands tell, or null when unknown.</summary>
    public string? Cwd { get; set; }

    /// <summary>Gets the pipeline the command belongs to.</summary>
    public int Pipeline { get; set; }

    /// <summary>Gets the command's position in its pipeline.</summary>
    public int PipelineIndex { get; set; }

    /// <summary>Gets the command whose output is piped into this one; it has no words when that is a subshell or group.</summary>
    public SimpleCommand? PipedFrom { get; set; }

    public bool IsEmpty => Words.Count == 0 && Assignments.Count == 0 && Redirects.Count == 0;
}

/// <summary>A command line that is not valid shell syntax.</summary>
internal sealed class ShellParseException(string message) : Exception(message);

/// <summary>
/// A parser for the POSIX shell and bash syntax an agent writes, flattened to its simple commands: every command
/// in a list, pipeline, subshell, group, command substitution and unquoted here-document is returned.
/// </summary>
/// <remarks>
/// It does not run or expand anything. Control keywords (<c>if</c>, <c>while</c>, <c>for</c> …) are dropped so
/// the commands they guard are judged; <c>case</c> statements are refused. Literal <c>cd</c> commands are followed
/// so relative paths can be resolved.
/// </remarks>
internal sealed class ShellParser
{
    private const int MaxDepth = 32;

    private static readonly HashSet<string> DroppedKeywords = new(StringComparer.Ordinal)
    {
        "if", "then", "else", "elif", "fi", "do", "done", "while", "until", "!", "{", "}", "time", "esac",
    };

    private static readonly string[] RedirectOperators = ["&>>", "&>", "<<<", "<<-", "<<", "<>", "<&", ">&", ">>", ">|", "<", ">"];

    private readonly string _s;
    private readonly List<SimpleCommand> _commands;
    private readonly string _home;
    private readonly int _depth;
    private readonly List<(string Delimiter, bool StripTabs, bool Quoted, ShellRedirect Redirect)> _pendingHereDocs = [];
    private readonly int[] _pipelineCounter;
    private int _pos;
    private string? _cwd;

    private ShellParser(string source, List<SimpleCommand> commands, string? cwd, string home, int depth, int[] pipelineCounter)
    {
        _s = source;
        _commands = commands;
        _cwd = cwd;
        _home = home;
        _depth = depth;
        _pipelineCounter = pipelineCounter;
    }

    /// <summary>Parses a command line into its simple commands.</summary>
    /// <param name="source">The command line.</param>
    /// <param name="cwd">The absolute folder it starts in, or null when unknown.</param>
    /// <param name="home">The home folder, for <c>cd ~</c>.</param>
    /// <returns>The simple commands (a substitution's commands come before the command that holds it).</returns>
    /// <exception cref="ShellParseException">The line is not valid syntax (e.g. an unbalanced quote).</exception>
    public static IReadOnlyList<SimpleCommand> Parse(string source, string? cwd, string home)
    {
        var commands = new List<SimpleCommand>();
        new ShellParser(source, commands, cwd, home, 0, [0]).ParseToEnd();
        return commands;
    }

    private void ParseToEnd()
    {
        if (_depth > MaxDepth)
        {
            throw new ShellParseException("commands are nested too deeply");
        }

        ParseList(terminator: false);
        ReadHereDocBodies();
    }

    private ShellParser Nested(string source) => new(source, _commands, _cwd, _home, _depth + 1, _pipelineCounter);

    // Parses commands until the end, or until an unmatched ')' when terminator is set (which is consumed).
    private void ParseList(bool terminator)
    {
        _pipelineCounter[0]++;
        var current = NewCommand(0);
        var pipelineIndex = 0;
        var dropWords = false;
        var dropNextWord = false;
        var inDoubleBracket = false;
        while (true)
        {
            SkipBlanks();
            if (_pos >= _s.Length)
            {
                Finish(current);
                if (terminator)
                {
                    throw new ShellParseException("missing ')'");
                }

                return;
            }

            var c = _s[_pos];
            if (inDoubleBracket && c is '&' or '|' or '<' or '>' or '(' or ')')
            {
                var start = _pos;
                while (_pos < _s.Length && _s[_pos] is '&' or '|' or '<' or '>' or '(' or ')' or '!' or '=' or '~')
                {
                    _pos++;
                }

                current.Words.Add(new ShellWord(_s[start.._pos]));
                continue;
            }

            if (c == '#')
            {
                while (_pos < _s.Length && _s[_pos] != '\n')
                {
                    _pos++;
                }

                continue;
            }

            if (c == '\n')
            {
                _pos++;
                Finish(current);
                ReadHereDocBodies();
                current = NewPipeline(ref pipelineIndex);
                dropWords = false;
                continue;
            }

            if (c == ')')
            {
                if (!terminator)
                {
                    throw new ShellParseException("unexpected ')'");
                }

                _pos++;
                Finish(current);
                return;
            }

            if (c is ';' or '|' || (c == '&' && !At("&>")))
            {
                var pipe = (At("|") && !At("||")) || At("|&");
                _pos += At("||") || At("&&") || At(";;") || At("|&") ? 2 : 1;
                Finish(current);
                if (pipe)
                {
                    pipelineIndex++;
                    var from = current;
                    current = NewCommand(pipelineIndex);
                    current.PipedFrom = from;
                }
                else
                {
                    current = NewPipeline(ref pipelineIndex);
                }

                dropWords = false;
                continue;
            }

            if (c == '(')
            {
                if (current.Words.Count == 1 && current.Assignments.Count == 0 && NextNonBlankAfter(_pos + 1) == ')')
                {
                    // name() { …; }: a function definition; its body is judged as commands.
                    current.Words.Clear();
                    _pos = _s.IndexOf(')', _pos) + 1;
                    continue;
                }

                if (current.Words.Count > 0)
                {
                    throw new ShellParseException("unexpected '('");
                }

                if (At("(("))
                {
                    SkipArithmetic(2);
                    continue;
                }

                _pos++;
                ParseNested();
                continue;
            }

            if (IsRedirectStart())
            {
                current.Redirects.Add(ReadRedirect());
                continue;
            }

            var wordStart = _pos;
            var word = ReadWord();
            var raw = _s[wordStart.._pos];
            if (dropWords)
            {
                continue;
            }

            if (inDoubleBracket)
            {
                current.Words.Add(word);
                inDoubleBracket = raw != "]]";
                continue;
            }

            if (current.Words.Count == 0)
            {
                if (dropNextWord)
                {
                    dropNextWord = false;
                    if (At("()"))
                    {
                        _pos += 2;
                    }

                    continue;
                }

                if (DroppedKeywords.Contains(raw))
                {
                    continue;
                }

                switch (raw)
                {
                    case "for" or "select":
                        dropWords = true;
                        continue;
                    case "case":
                        throw new ShellParseException("case statements are not supported");
                    case "function":
                        dropNextWord = true;
                        continue;
                    case "[[":
                        inDoubleBracket = true;
                        break;
                    default:
                        if (IsAssignment(raw))
                        {
                            current.Assignments.Add(word);
                            continue;
                        }

                        break;
                }
            }

            current.Words.Add(word);
        }
    }

    private SimpleCommand NewCommand(int pipelineIndex) =>
        new() { Cwd = _cwd, Pipeline = _pipelineCounter[0], PipelineIndex = pipelineIndex };

    private SimpleCommand NewPipeline(ref int pipelineIndex)
    {
        _pipelineCounter[0]++;
        pipelineIndex = 0;
        return NewCommand(0);
    }

    private void Finish(SimpleCommand command)
    {
        if (command.IsEmpty)
        {
            return;
        }

        command.Cwd = _cwd;
        _commands.Add(command);
        if (command.Words.Count > 0 && command.Words[0].Text is "cd" or "pushd")
        {
            _cwd = ChangeDirectory(command.Words);
        }
    }

    private string? ChangeDirectory(List<ShellWord> words)
    {
        var args = words.Skip(1).Where(w => w.Text is not ("-L" or "-P" or "-e" or "-@" or "--")).ToList();
        if (args.Count == 0)
        {
            return _home;
        }

        var target = args[0];
        if (target.Tilde && (target.Text == "~" || target.Text.StartsWith("~/", StringComparison.Ordinal)))
        {
            return Path.GetFullPath(_home + target.Text[1..]);
        }

        if (target.Expands || target.Globs || target.Tilde || target.Text == "-")
        {
            return null;
        }

        if (Path.IsPathRooted(target.Text))
        {
            return Path.GetFullPath(target.Text);
        }

        return _cwd is null ? null : Path.GetFullPath(target.Text, _cwd);
    }

    internal static bool IsAssignment(string raw)
    {
        var eq = raw.IndexOf('=', StringComparison.Ordinal);
        if (eq <= 0)
        {
            return false;
        }

        var name = raw[..eq];
        if (name.EndsWith('+'))
        {
            name = name[..^1];
        }

        if (name.Length == 0 || !(char.IsAsciiLetter(name[0]) || name[0] == '_'))
        {
            return false;
        }

        foreach (var ch in name)
        {
            if (!(char.IsAsciiLetterOrDigit(ch) || ch == '_'))
            {
                return false;
            }
        }

        return true;
    }

    private bool At(string text) => _pos + text.Length <= _s.Length && string.CompareOrdinal(_s, _pos, text, 0, text.Length) == 0;

    private char NextNonBlankAfter(int position)
    {
        while (position < _s.Length && _s[position] is ' ' or '\t')
        {
            position++;
        }

        return position < _s.Length ? _s[position] : '\0';
    }

    private void SkipBlanks()
    {
        while (_pos < _s.Length)
        {
            if (_s[_pos] is ' ' or '\t' or '\r')
            {
                _pos++;
            }
            else if (_s[_pos] == '\\' && _pos + 1 < _s.Length && _s[_pos + 1] == '\n')
            {
                _pos += 2;
            }
            else
            {
                return;
            }
        }
    }

    private static bool IsMeta(char c) => c is ' ' or '\t' or '\r' or '\n' or '|' or '&' or ';' or '(' or ')' or '<' or '>';

    private bool IsRedirectStart()
    {
        var p = _pos;
        while (p < _s.Length && char.IsAsciiDigit(_s[p]))
        {
            p++;
        }

        if (p >= _s.Length)
        {
            return false;
        }

        if (_s[p] is '<' or '>')
        {
            // <( and >( are process substitutions, read as words.
            return !(p == _pos && p + 1 < _s.Length && _s[p + 1] == '(');
        }

        return p == _pos && At("&>");
    }

    private ShellRedirect ReadRedirect()
    {
        var start = _pos;
        while (char.IsAsciiDigit(_s[_pos]))
        {
            _pos++;
        }

        var op = RedirectOperators.First(At);
        _pos += op.Length;
        SkipBlanks();
        if (_pos >= _s.Length || IsMeta(_s[_pos]))
        {
            throw new ShellParseException($"'{_s[start.._pos].Trim()}' has no target");
        }

        var targetStart = _pos;
        var target = ReadWord();
        var fullOp = _s[start..targetStart].Trim();
        switch (op)
        {
            case "<<" or "<<-":
                var raw = _s[targetStart.._pos];
                var quoted = raw.Contains('\'', StringComparison.Ordinal) || raw.Contains('"', StringComparison.Ordinal) || raw.Contains('\\', StringComparison.Ordinal);
                var hereDoc = new ShellRedirect(fullOp, target, RedirectKind.Text);
                _pendingHereDocs.Add((target.Text, op == "<<-", quoted, hereDoc));
                return hereDoc;
            case "<<<":
                return new ShellRedirect(fullOp, target, RedirectKind.Text) { Body = target };
            case "<&" or ">&" when IsDescriptor(target.Text):
                return new ShellRedirect(fullOp, target, RedirectKind.Duplicate);
            case "<" or "<&":
                return new ShellRedirect(fullOp, target, RedirectKind.Read);
            default:
                return new ShellRedirect(fullOp, target, RedirectKind.Write);
        }
    }

    private static bool IsDescriptor(string text)
    {
        var digits = text.EndsWith('-') ? text[..^1] : text;
        return text == "-" || (digits.Length > 0 && digits.All(char.IsAsciiDigit));
    }

    private void ReadHereDocBodies()
    {
        foreach (var (delimiter, stripTabs, quoted, redirect) in _pendingHereDocs)
        {
            var bodyStart = _pos;
            var bodyEnd = _s.Length;
            while (_pos < _s.Length)
            {
                var lineEnd = _s.IndexOf('\n', _pos);
                var line = lineEnd < 0 ? _s[_pos..] : _s[_pos..lineEnd];
                if ((stripTabs ? line.TrimStart('\t') : line) == delimiter)
                {
                    bodyEnd = _pos;
                    _pos = lineEnd < 0 ? _s.Length : lineEnd + 1;
                    break;
                }

                _pos = lineEnd < 0 ? _s.Length : lineEnd + 1;
            }

            var body = _s[bodyStart..Math.Max(bodyStart, bodyEnd)];
            if (stripTabs)
            {
                body = string.Join('\n', body.Split('\n').Select(line => line.TrimStart('\t')));
            }

            if (quoted)
            {
                redirect.Body = new ShellWord(body);
            }
            else
            {
                // An unquoted here-document expands $(…) and `…`: those commands run too.
                var text = new StringBuilder();
                var expands = Nested(body).ReadDoubleQuoted(text, untilEnd: true);
                redirect.Body = new ShellWord(text.ToString(), expands);
            }
        }

        _pendingHereDocs.Clear();
    }

    private ShellWord ReadWord()
    {
        var text = new StringBuilder();
        var expands = false;
        var globs = false;
        var tilde = _pos < _s.Length && _s[_pos] == '~';
        var braceOpen = false;
        var braceList = false;
        var braces = false;
        while (_pos < _s.Length)
        {
            var c = _s[_pos];
            if (c is '<' or '>' && text.Length == 0 && _pos + 1 < _s.Length && _s[_pos + 1] == '(')
            {
                // Process substitution: <(cmd) or >(cmd).
                var start = _pos;
                _pos += 2;
                ParseNested();
                text.Append(_s, start, _pos - start);
                expands = true;
                continue;
            }

            if (IsMeta(c))
            {
                if (c == '(' && text.Length > 0 && text[^1] == '=' && IsAssignment(text.ToString()))
                {
                    // An array assignment: name=(a b c).
                    var start = _pos;
                    SkipBalanced('(', ')');
                    text.Append(_s, start, _pos - start);
                    continue;
                }

                break;
            }

            switch (c)
            {
                case '\\':
                    if (_pos + 1 < _s.Length)
                    {
                        if (_s[_pos + 1] != '\n')
                        {
                            text.Append(_s[_pos + 1]);
                        }

                        _pos += 2;
                    }
                    else
                    {
                        text.Append('\\');
                        _pos++;
                    }

                    break;
                case '\'':
                    var close = _s.IndexOf('\'', _pos + 1);
                    if (close < 0)
                    {
                        throw new ShellParseException("unbalanced single quote");
                    }

                    text.Append(_s, _pos + 1, close - _pos - 1);
                    _pos = close + 1;
                    break;
                case '"':
                    _pos++;
                    expands |= ReadDoubleQuoted(text, untilEnd: false);
                    break;
                case '$' when _pos + 1 < _s.Length && _s[_pos + 1] == '\'':
                    _pos += 2;
                    ReadAnsiC(text);
                    break;
                case '$' when _pos + 1 < _s.Length && _s[_pos + 1] == '"':
                    // $"…" is a translatable string: outside a message catalogue it is "…".
                    _pos += 2;
                    expands |= ReadDoubleQuoted(text, untilEnd: false);
                    break;
                case '$' or '`':
                    expands |= ReadExpansion(text);
                    break;
                case '*' or '?' or '[':
                    globs = true;
                    text.Append(c);
                    _pos++;
                    break;
                default:
                    braceOpen |= c == '{';
                    braceList |= braceOpen && (c == ',' || (c == '.' && At("..")));
                    braces |= braceList && c == '}';
                    text.Append(c);
                    _pos++;
                    break;
            }
        }

        return new ShellWord(text.ToString(), expands, globs, tilde, braces);
    }

    // Reads the inside of "…" (after the opening quote) into text; returns whether it expands anything.
    private bool ReadDoubleQuoted(StringBuilder text, bool untilEnd)
    {
        var expands = false;
        while (_pos < _s.Length)
        {
            var c = _s[_pos];
            if (c == '"' && !untilEnd)
            {
                _pos++;
                return expands;
            }

            if (c == '\\' && _pos + 1 < _s.Length)
            {
                var next = _s[_pos + 1];
                if (next is '$' or '`' or '"' or '\\')
                {
                    text.Append(next);
                }
                else if (next != '\n')
                {
                    text.Append(c).Append(next);
                }

                _pos += 2;
                continue;
            }

            if (c is '$' or '`')
            {
                expands |= ReadExpansion(text);
                continue;
            }

            text.Append(c);
            _pos++;
        }

        if (!untilEnd)
        {
            throw new ShellParseException("unbalanced double quote");
        }

        return expands;
    }

    // At '$' or '`': reads one expansion, appending its source text; returns whether it expands.
    private bool ReadExpansion(StringBuilder text)
    {
        var start = _pos;
        if (_s[_pos] == '`')
        {
            var content = new StringBuilder();
            _pos++;
            while (true)
            {
                if (_pos >= _s.Length)
                {
                    throw new ShellParseException("unbalanced backquote");
                }

                var c = _s[_pos];
                if (c == '`')
                {
                    _pos++;
                    break;
                }

                if (c == '\\' && _pos + 1 < _s.Length && _s[_pos + 1] is '`' or '\\' or '$')
                {
                    content.Append(_s[_pos + 1]);
                    _pos += 2;
                    continue;
                }

                content.Append(c);
                _pos++;
            }

            Nested(content.ToString()).ParseToEnd();
            text.Append(_s, start, _pos - start);
            return true;
        }

        if (At("$(("))
        {
            SkipArithmetic(3);
        }
        else if (At("$("))
        {
            _pos += 2;
            ParseNested();
        }
        else if (At("${"))
        {
            _pos++;
            SkipBalanced('{', '}');
        }
        else if (_pos + 1 < _s.Length && (char.IsAsciiLetter(_s[_pos + 1]) || _s[_pos + 1] == '_'))
        {
            _pos++;
            while (_pos < _s.Length && (char.IsAsciiLetterOrDigit(_s[_pos]) || _s[_pos] == '_'))
            {
                _pos++;
            }
        }
        else if (_pos + 1 < _s.Length && (char.IsAsciiDigit(_s[_pos + 1]) || _s[_pos + 1] is '?' or '$' or '!' or '#' or '@' or '*' or '-'))
        {
            _pos += 2;
        }
        else
        {
            // A lone '$' is literal.
            text.Append('$');
            _pos++;
            return false;
        }

        text.Append(_s, start, _pos - start);
        return true;
    }

    // After "(", "$(", "<(" or ">(": parses the inner commands up to the matching ')'.
    private void ParseNested()
    {
        if (_depth + 1 > MaxDepth)
        {
            throw new ShellParseException("commands are nested too deeply");
        }

        var saved = _cwd;
        var savedHereDocs = _pendingHereDocs.ToList();
        _pendingHereDocs.Clear();
        ParseList(terminator: true);
        _pendingHereDocs.Clear();
        _pendingHereDocs.AddRange(savedHereDocs);
        _cwd = saved;
    }

    private void ReadAnsiC(StringBuilder text)
    {
        while (true)
        {
            if (_pos >= _s.Length)
            {
                throw new ShellParseException("unbalanced single quote");
            }

            var c = _s[_pos];
            if (c == '\'')
            {
                _pos++;
                return;
            }

            if (c == '\\' && _pos + 1 < _s.Length)
            {
                _pos = DecodeEscape(_s, _pos, text);
                continue;
            }

            text.Append(c);
            _pos++;
        }
    }

    /// <summary>Decodes the backslash escape at <paramref name="at"/> as bash does inside <c>$'…'</c> (also what <c>echo -e</c> and <c>printf</c> do).</summary>
    /// <returns>The position just after the escape.</returns>
    internal static int DecodeEscape(string s, int at, StringBuilder text)
    {
        var next = s[at + 1];
        var simple = next switch
        {
            'n' => "\n",
            't' => "\t",
            'r' => "\r",
            'a' => "\a",
            'b' => "\b",
            'e' or 'E' => "\u001b",
            'f' => "\f",
            'v' => "\v",
            '\\' or '\'' or '"' or '?' => next.ToString(),
            _ => null,
        };
        if (simple is not null)
        {
            text.Append(simple);
            return at + 2;
        }

        switch (next)
        {
            case >= '0' and <= '7':
                return Number(s, at + 1, 3, 8, text);
            case 'x':
                return Number(s, at + 2, 2, 16, text, at);
            case 'u':
                return Number(s, at + 2, 4, 16, text, at);
            case 'U':
                return Number(s, at + 2, 8, 16, text, at);
            case 'c' when at + 2 < s.Length:
                // \cX is control-X; \c? is DEL.
                var control = s[at + 2];
                text.Append(control == '?' ? '\u007f' : (char)(char.ToUpperInvariant(control) & 0x1f));
                return at + 3;
            default:
                // Unknown escapes keep their backslash.
                text.Append('\\').Append(next);
                return at + 2;
        }
    }

    // Reads up to maxDigits digits from start and appends the character they name; with no digit, appends the escape as written.
    private static int Number(string s, int start, int maxDigits, int radix, StringBuilder text, int escapeStart = -1)
    {
        var end = start;
        var value = 0L;
        while (end < s.Length && end - start < maxDigits)
        {
            var digit = radix == 8
                ? (s[end] is >= '0' and <= '7' ? s[end] - '0' : -1)
                : char.IsAsciiDigit(s[end]) ? s[end] - '0' : char.IsAsciiHexDigit(s[end]) ? char.ToLowerInvariant(s[end]) - 'a' + 10 : -1;
            if (digit < 0)
            {
                break;
            }

            value = (value * radix) + digit;
            end++;
        }

        if (end == start)
        {
            text.Append(s, escapeStart, start - escapeStart);
            return start;
        }

        if (radix == 8 || maxDigits == 2)
        {
            // \nnn and \xHH name a byte; bytes above 127 are taken as Latin-1, which is enough to judge a command.
            text.Append((char)(value & 0xff));
        }
        else if (value <= 0x10FFFF && value is not (>= 0xD800 and <= 0xDFFF))
        {
            text.Append(char.ConvertFromUtf32((int)value));
        }
        else
        {
            text.Append('\uFFFD');
        }

        return end;
    }

    // At the opening bracket: skips to just after its match, stepping over quotes.
    private void SkipBalanced(char open, char close)
    {
        var depth = 0;
        while (_pos < _s.Length)
        {
            var c = _s[_pos];
            if (c == '\\')
            {
                _pos += 2;
                continue;
            }

            if (c == '\'')
            {
                var end = _s.IndexOf('\'', _pos + 1);
                if (end < 0)
                {
                    throw new ShellParseException("unbalanced single quote");
                }

                _pos = end + 1;
                continue;
            }

            if (c == '"')
            {
                _pos++;
                ReadDoubleQuoted(new StringBuilder(), untilEnd: false);
                continue;
            }

            if (c is '$' or '`')
            {
                // ${x:-$(cmd)} and a=($(cmd)) run cmd.
                ReadExpansion(new StringBuilder());
                continue;
            }

            _pos++;
            if (c == open)
            {
                depth++;
            }
            else if (c == close && --depth == 0)
            {
                return;
            }
        }

        throw new ShellParseException($"missing '{close}'");
    }

    // At "((" (skip 2) or "$((" (skip 3): skips the arithmetic to just after "))".
    private void SkipArithmetic(int openLength)
    {
        _pos += openLength;
        var depth = 2;
        while (_pos < _s.Length)
        {
            if (_s[_pos] is '$' or '`')
            {
                // $(( $(cmd) + 1 )) runs cmd.
                ReadExpansion(new StringBuilder());
                continue;
            }

            var c = _s[_pos++];
            if (c == '(')
            {
                depth++;
            }
            else if (c == ')' && --depth == 0)
            {
                return;
            }
        }

        throw new ShellParseException("missing '))'");
    }
}
