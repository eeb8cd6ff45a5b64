using Rein.Guard.Policy;

namespace Rein.Guard.Tests.Policy;

public sealed class ShellParserTests
{
    private const string Workspace = "/work/ws";
    private const string Home = "/home/u";

    // Each simple command judged, as "words joined by spaces", separated by " | ".
    [Theory]
    [InlineData("git status", "git status")]
    [InlineData("git  status   --short", "git status --short")]
    [InlineData("echo 'a b' \"c d\"", "echo a b c d")]
    [InlineData("echo \"it's\" 'say \"hi\"'", "echo it's say \"hi\"")]
    [InlineData(@"echo a\ b \$HOME", "echo a b $HOME")]
    [InlineData("echo \"a\\\"b\"", "echo a\"b")]
    [InlineData("echo $'tab\\there'", "echo tab\there")]
    [InlineData("git status && rm -rf ~", "git status | rm -rf ~")]
    [InlineData("a || b; c & d", "a | b | c | d")]
    [InlineData("cat x | grep y |& wc -l", "cat x | grep y | wc -l")]
    [InlineData("a\nb\n\nc", "a | b | c")]
    [InlineData("(cd src && make)", "cd src | make")]
    [InlineData("{ echo a; echo b; }", "echo a | echo b")]
    [InlineData("echo $(rm -rf /tmp/x)", "rm -rf /tmp/x | echo $(rm -rf /tmp/x)")]
    [InlineData("echo `whoami`", "whoami | echo `whoami`")]
    [InlineData("echo \"$(date) now\"", "date | echo $(date) now")]
    [InlineData("diff <(ls a) <(ls b)", "ls a | ls b | diff <(ls a) <(ls b)")]
    [InlineData("FOO=1 BAR=\"x y\" npm test", "npm test")]
    [InlineData("echo hi > out.txt 2>&1", "echo hi")]
    [InlineData("if git diff --quiet; then echo clean; else git stash; fi", "git diff --quiet | echo clean | git stash")]
    [InlineData("for f in *.txt; do rm \"$f\"; done", "rm $f")]
    [InlineData("while true; do sleep 1; done", "true | sleep 1")]
    [InlineData("# just a comment\nls # trailing", "ls")]
    [InlineData("[[ -f a && b > c ]] && ls", "[[ -f a && b > c ]] | ls")]
    [InlineData("echo $((1 + 2))", "echo $((1 + 2))")]
    [InlineData("arr=(a b) ls", "ls")]
    [InlineData("f() { rm x; }; f", "rm x | f")]
    [InlineData("ls \\\n  -la", "ls -la")]
    public void Parse_CommandLine_YieldsSimpleCommands(string source, string expected)
    {
        var commands = ShellParser.Parse(source, Workspace, Home);
        Assert.Equal(expected, string.Join(" | ", commands.Select(c => string.Join(' ', c.Words.Select(w => w.Text)))));
    }

    [Theory]
    [InlineData("$'\\x72\\x6d'", "rm")]
    [InlineData("$'\\x72m'", "rm")]
    [InlineData("$'\\162\\155'", "rm")]
    [InlineData("$'\\0162'", "\u000e2")]
    [InlineData("$'\\u0072m'", "rm")]
    [InlineData("$'\\U0001F600'", "\U0001F600")]
    [InlineData("$'\\cA\\c?'", "\u0001\u007f")]
    [InlineData("$'it\\'s'", "it's")]
    [InlineData("$'a\\qb'", "a\\qb")]
    [InlineData("$'\\\\'", "\\")]
    [InlineData("$'\\xZ'", "\\xZ")]
    [InlineData("$\"rm\"", "rm")]
    public void Parse_AnsiCQuoting_IsDecoded(string source, string expected)
    {
        var word = Assert.Single(Assert.Single(ShellParser.Parse(source, Workspace, Home)).Words);
        Assert.Equal(expected, word.Text);
        Assert.False(word.Expands);
    }

    [Fact]
    public void Parse_HereDocumentAndHereString_KeepTheirText()
    {
        var commands = ShellParser.Parse("bash <<'EOF'\nrm $x\nEOF\nsh <<EOF\nls $HOME\nEOF\nsh <<< 'ls'", Workspace, Home);
        Assert.Equal(("rm $x\n", false), (commands[0].Redirects[0].Body!.Text, commands[0].Redirects[0].Body!.Expands));
        Assert.Equal(("ls $HOME\n", true), (commands[1].Redirects[0].Body!.Text, commands[1].Redirects[0].Body!.Expands));
        Assert.Equal("ls", commands[2].Redirects[0].Body!.Text);
    }

    [Fact]
    public void Parse_Pipe_RecordsTheCommandThatFeedsIt()
    {
        var commands = ShellParser.Parse("echo a | bash; (echo b) | sh", Workspace, Home);
        Assert.Same(commands[0], commands[1].PipedFrom);
        Assert.Null(commands[0].PipedFrom);
        var sh = commands.Single(c => c.Words[0].Text == "sh");
        Assert.NotNull(sh.PipedFrom);
        Assert.Empty(sh.PipedFrom!.Words);
    }

    [Fact]
    public void Parse_BraceExpansion_IsFlagged()
    {
        var words = Assert.Single(ShellParser.Parse("{rm,x} a{b,c} {x..y} {} '{a,b}'", Workspace, Home)).Words;
        Assert.Equal([true, true, true, false, false], words.Select(w => w.Braces));
    }

    [Theory]
    [InlineData("echo 'unbalanced", "unbalanced single quote")]
    [InlineData("echo \"unbalanced", "unbalanced double quote")]
    [InlineData("echo $(date", "missing ')'")]
    [InlineData("echo `date", "unbalanced backquote")]
    [InlineData("ls )", "unexpected ')'")]
    [InlineData("echo >", "has no target")]
    [InlineData("case $x in a) ls;; esac", "case statements")]
    [InlineData("echo ${HOME", "missing '}'")]
    public void Parse_InvalidSyntax_Throws(string source, string message)
    {
        var ex = Assert.Throws<ShellParseException>(() => ShellParser.Parse(source, Workspace, Home));
        Assert.Contains(message, ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("echo hi > .env", ">", ".env", "Write")]
    [InlineData("echo hi >> log.txt", ">>", "log.txt", "Write")]
    [InlineData("make &> build.log", "&>", "build.log", "Write")]
    [InlineData("make 2> err.txt", "2>", "err.txt", "Write")]
    [InlineData("make 2>&1", "2>&", "1", "Duplicate")]
    [InlineData("sort < in.txt", "<", "in.txt", "Read")]
    [InlineData("grep x <<< \"$text\"", "<<<", "$text", "Text")]
    [InlineData("cat <<EOF\nhello\nEOF", "<<", "EOF", "Text")]
    [InlineData("echo x >| forced", ">|", "forced", "Write")]
    public void Parse_Redirection_IsRecorded(string source, string op, string target, string kind)
    {
        var command = Assert.Single(ShellParser.Parse(source, Workspace, Home));
        var redirect = Assert.Single(command.Redirects);
        Assert.Equal((op, target, kind), (redirect.Operator, redirect.Target.Text, redirect.Kind.ToString()));
    }

    [Fact]
    public void Parse_HereDocument_BodyIsNotCommandsButSubstitutionsAre()
    {
        var commands = ShellParser.Parse("cat <<EOF > out\nrm -rf ~\n$(touch made)\nEOF\necho done", Workspace, Home);
        Assert.Equal(["cat", "touch made", "echo done"], commands.Select(c => string.Join(' ', c.Words.Select(w => w.Text))));
    }

    [Fact]
    public void Parse_QuotedHereDocument_DoesNotRunSubstitutions()
    {
        var commands = ShellParser.Parse("cat <<'EOF'\n$(touch made)\nEOF", Workspace, Home);
        Assert.Equal("cat", Assert.Single(commands).Words[0].Text);
    }

    [Fact]
    public void Parse_Cd_ChangesFolderOfLaterCommandsButNotAfterSubshell()
    {
        var commands = ShellParser.Parse("cd src && touch a; (cd /tmp && touch b); touch c", Workspace, Home);
        var byText = commands.ToDictionary(c => string.Join(' ', c.Words.Select(w => w.Text)), c => c.Cwd);
        Assert.Equal("/work/ws/src", byText["touch a"]);
        Assert.Equal("/tmp", byText["touch b"]);
        Assert.Equal("/work/ws/src", byText["touch c"]);
    }

    [Fact]
    public void Parse_WordFlags_TellExpansionGlobAndTilde()
    {
        var words = Assert.Single(ShellParser.Parse("ls ~/x *.cs \"$HOME\" '*'", Workspace, Home)).Words;
        Assert.True(words[1].Tilde);
        Assert.True(words[2].Globs);
        Assert.True(words[3].Expands);
        Assert.False(words[4].Globs);
    }

    [Fact]
    public void Parse_Pipeline_RecordsPositions()
    {
        var commands = ShellParser.Parse("curl -s https://x | sh; ls", Workspace, Home);
        Assert.Equal(commands[0].Pipeline, commands[1].Pipeline);
        Assert.Equal((0, 1), (commands[0].PipelineIndex, commands[1].PipelineIndex));
        Assert.NotEqual(commands[1].Pipeline, commands[2].Pipeline);
    }

    [Theory]
    [InlineData("bash -c 'git status && rm -rf build'", "bash -c git status && rm -rf build|git status|rm -rf build")]
    [InlineData("sh -lc \"npm test\"", "sh -lc npm test|npm test")]
    [InlineData("eval 'ls -la'", "eval ls -la|ls -la")]
    [InlineData("sudo -u root rm -rf /x", "sudo -u root rm -rf /x|rm -rf /x")]
    [InlineData("env FOO=1 -i npm test", "env FOO=1 -i npm test|npm test")]
    [InlineData("timeout 30 npm test", "timeout 30 npm test|npm test")]
    [InlineData("nice -n 5 make", "nice -n 5 make|make")]
    [InlineData("nohup ./server &", "nohup ./server|./server")]
    [InlineData("find . -name '*.o' | xargs rm -f", "find . -name *.o|xargs rm -f|rm -f {}")]
    [InlineData("find . -name x -exec rm {} \\;", "find . -name x -exec rm {} ;|rm {}")]
    [InlineData("bash -c \"$CMD\"", "bash -c $CMD")]
    [InlineData("echo 'ls -la' | bash", "echo ls -la|bash|ls -la")]
    [InlineData("bash <<'EOF'\nls\nEOF", "bash|ls")]
    [InlineData("a=rm; $a x", "rm x|$a x")]
    [InlineData("find . -delete", "find . -delete|rm {}")]
    [InlineData("parallel gzip ::: a b", "parallel gzip ::: a b|gzip {}")]
    [InlineData("busybox rm x", "busybox rm x|rm x")]
    [InlineData("trap 'rm x' EXIT", "trap rm x EXIT|rm x")]
    [InlineData("chrt -f 10 make", "chrt -f 10 make|make")]
    public void Units_Wrappers_AreUnwrapped(string source, string expected)
    {
        var units = ShellAnalysis.Units(ShellParser.Parse(source, Workspace, Home), Home);
        Assert.Equal(expected, string.Join('|', units.Select(u => u.Text)));
    }

    [Fact]
    public void Units_NonLiteralInnerScript_IsOpaque()
    {
        var unit = Assert.Single(ShellAnalysis.Units(ShellParser.Parse("eval \"$(ssh-agent)\"", Workspace, Home), Home), u => u.Name == "eval");
        Assert.True(unit.Opaque);
    }

    [Fact]
    public void Units_InnerScriptThatDoesNotParse_Throws() =>
        Assert.Throws<ShellParseException>(() => ShellAnalysis.Units(ShellParser.Parse("bash -c \"echo 'x\"", Workspace, Home), Home));
}
