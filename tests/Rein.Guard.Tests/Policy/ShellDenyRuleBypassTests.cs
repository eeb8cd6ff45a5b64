using Rein.Journal;
using static Rein.Guard.Tests.Policy.PolicyTestKit;

namespace Rein.Guard.Tests.Policy;

/// <summary>Ways to run <c>rm</c> past a <c>shell(rm *)</c> deny rule, and the harmless commands that look like them.</summary>
public sealed class ShellDenyRuleBypassTests
{
    private const string DenyRm = "deny shell(rm *)";

    // Each hides "rm" from a literal reading; the analysis must decode it (deny) or say it cannot know (ask).
    public static TheoryData<string, string> Bypasses => new()
    {
        // Quoting and escapes that decode to "rm".
        { "$'\\x72m' -rf x", "deny" },
        { "$'\\162\\155' x", "deny" },
        { "$'\\u0072m' x", "deny" },
        { "$'\\U00000072m' x", "deny" },
        { "$\"rm\" x", "deny" },
        { "r\"\"m x", "deny" },
        { "r''m x", "deny" },
        { "\\rm x", "deny" },
        { "r\\m x", "deny" },

        // The program is a variable or another expansion.
        { "a=rm; $a x", "deny" },
        { "a=rm\n\"$a\" x", "deny" },
        { "x=$'\\x72m'; $x y", "deny" },
        { "export a=rm; ${a} x", "deny" },
        { "$CMD x", "ask" },
        { "\"$a\" x", "ask" },
        { "$(echo rm) x", "ask" },
        { "`echo rm` x", "ask" },
        { "${X:-rm} x", "ask" },
        { "/bin/r? x", "ask" },
        { "/bin/[r]m x", "ask" },
        { "{rm,x}", "ask" },
        { "$SHELL -c 'ls'", "ask" },
        { "shopt -s expand_aliases; alias r=rm\nr x", "ask" },

        // Commands that run a command or a script given as an argument.
        { "eval \"rm x\"", "deny" },
        { "eval rm x", "deny" },
        { "eval \"$CMD\"", "ask" },
        { "exec rm x", "deny" },
        { "command rm x", "deny" },
        { "builtin command rm x", "deny" },
        { "env rm x", "deny" },
        { "env -i FOO=1 rm x", "deny" },
        { "nice rm x", "deny" },
        { "nice -n 5 rm x", "deny" },
        { "timeout 5 rm x", "deny" },
        { "timeout -s KILL 5 rm x", "deny" },
        { "busybox rm x", "deny" },
        { "busybox sh -c 'rm x'", "deny" },
        { "sudo -u bob rm x", "deny" },
        { "nohup rm x &", "deny" },
        { "setsid rm x", "deny" },
        { "stdbuf -oL rm x", "deny" },
        { "trap 'rm x' EXIT", "deny" },
        { "watch -n 1 'rm x'", "deny" },
        { "su -c 'rm x' bob", "deny" },
        { "bash -o pipefail -c 'rm x'", "deny" },
        { "bash --norc -c 'rm x'", "deny" },
        { "sh -c \"$CMD\"", "ask" },
        { "exec $CMD", "ask" },

        // Commands that run a command on their input or on found files.
        { "ls | xargs rm", "deny" },
        { "find . | xargs -0 rm -rf", "deny" },
        { "xargs -a list.txt rm", "deny" },
        { "ls | xargs -I{} rm {}", "deny" },
        { "ls | xargs sh -c 'rm \"$@\"' _", "deny" },
        { "ls | xargs $CMD", "ask" },
        { "find . -exec rm {} \\;", "deny" },
        { "find . -name '*.o' -exec rm -f {} +", "deny" },
        { "find . -execdir rm {} \\;", "deny" },
        { "find . -name '*.o' -delete", "deny" },
        { "parallel rm ::: a b", "deny" },
        { "ls | parallel -j 4 rm", "deny" },
        { "parallel 'rm {}' ::: a", "deny" },

        // Scripts fed to a shell through a pipe, a here-document or a here-string.
        { "echo 'rm -rf x' | bash", "deny" },
        { "echo rm x | sh", "deny" },
        { "printf 'rm x\\n' | bash", "deny" },
        { "printf '%s\\n' 'rm x' | dash", "deny" },
        { "echo -e 'ls\\nrm x' | bash", "deny" },
        { "cat <<'EOF' | bash\nrm x\nEOF", "deny" },
        { "bash <<EOF\nrm x\nEOF", "deny" },
        { "bash <<'EOF'\nls\nrm x\nEOF", "deny" },
        { "dash <<-EOF\n\trm x\n\tEOF", "deny" },
        { "sh <<< 'rm x'", "deny" },
        { "zsh -s <<< \"rm x\"", "deny" },
        { "bash /dev/stdin <<< 'rm x'", "deny" },
        { "source /dev/stdin <<< 'rm x'", "deny" },
        { "sudo bash <<EOF\nrm x\nEOF", "deny" },
        { "sh -s < script.sh", "ask" },
        { "bash < script.sh", "ask" },
        { "cat script.sh | bash", "ask" },
        { "echo \"$CMD\" | bash", "ask" },
        { "bash <<< \"$CMD\"", "ask" },
        { "bash <<EOF\n$CMD\nEOF", "ask" },
        { "(echo rm x) | bash", "ask" },
        { "bash \"$SCRIPT\"", "ask" },
        { "source \"$SCRIPT\"", "ask" },

        // Commands inside arithmetic and parameter expansions, and code stored for a later expansion.
        { "echo $(( $(rm x) + 1 ))", "deny" },
        { "(( $(rm x) ))", "deny" },
        { "echo ${x:-$(rm x)}", "deny" },
        { "echo ${x:-`rm x`}", "deny" },
        { "a=($(rm x))", "deny" },
        { "x='a[$(rm y)]'; [[ $x -eq 0 ]]", "ask" },
        { "x='$(rm y)'; echo ${x@P}", "ask" },
        { "coproc rm x", "deny" },
        { "coproc { rm x; }", "deny" },
        { "hash -p /bin/rm ls; ls x", "ask" },

        // Other interpreters' code is not analysed.
        { "python3 -c \"import os; os.system('rm x')\"", "ask" },
        { "python -Bc 'import shutil'", "ask" },
        { "perl -e 'unlink \"x\"'", "ask" },
        { "perl -ne 'print'", "ask" },
        { "ruby -e 'File.delete(\"x\")'", "ask" },
        { "node -e \"require('fs').rmSync('x')\"", "ask" },
        { "python3 <<EOF\nimport os\nEOF", "ask" },
        { "echo 'import os' | python3", "ask" },
        { "python3 - <<< 'import os'", "ask" },
        { "awk 'BEGIN { system(\"rm x\") }'", "ask" },
    };

    // Look-alikes that must stay allowed in workspace-write mode, so the deny rule does not make the shell useless.
    public static TheoryData<string> Harmless => new()
    {
        "echo rm",
        "echo rm -rf x",
        "a=1; echo $a",
        "echo $'\\x72m'",
        "ls | xargs echo",
        "ls | xargs",
        "find . -name '*.cs'",
        "find . -name '*.cs' -exec grep -l TODO {} +",
        "echo 'ls -la' | bash",
        "bash <<'EOF'\nls\nEOF",
        "bash -c 'npm test'",
        "timeout 5 npm test",
        "env FOO=1 npm test",
        "FOO=bar make",
        "bash build.sh",
        "./build.sh --release",
        "python3 script.py",
        "python3 -m pytest -q",
        "cat <<EOF > notes.txt\nhello $USER\nEOF",
        "git log | head -5",
        "echo \"$HOME\"",
        "cd \"$TMPDIR\" && ls",
        "for f in *.txt; do echo \"$f\"; done",
        "grep -rn 'rm ' src",
        "npm run build 2>&1 | tee build.log",
        "printf '%s\\n' b a | sort",
        "ls | parallel echo",
        "awk '{ print $1 }' data.txt",
        "sh -c 'echo \"$0\"'",
        "[ -f x ] && echo yes",
        "[[ -n \"$a\" ]] && echo yes",
        "test -f x || echo no",
        "echo $(( 1 + 2 ))",
        "echo ${HOME:-/tmp}",
        "n=$(( n + 1 )); echo $n",
        "files=(*.txt); echo ${files[0]}",
        "coproc cat",
    };

    [Theory]
    [MemberData(nameof(Bypasses))]
    public void Evaluate_HiddenRm_IsDeniedOrAsked(string command, string expected)
    {
        var verdict = NewEngine("workspace-write", DenyRm).Shell(command);
        Assert.True(expected == verdict.Decision, $"'{command}': expected {expected}, got {verdict.Decision} ({verdict.Reason})");
    }

    [Theory]
    [MemberData(nameof(Bypasses))]
    public void Evaluate_HiddenRmInFullAuto_IsNotAllowed(string command, string expected)
    {
        _ = expected;
        var verdict = NewEngine("full-auto", DenyRm).Shell(command);
        Assert.True(verdict.Decision != PolicyDecisions.Allow, $"'{command}': allowed ({verdict.Reason})");
    }

    [Theory]
    [MemberData(nameof(Harmless))]
    public void Evaluate_LookAlike_IsAllowedInWorkspaceWrite(string command)
    {
        var verdict = NewEngine("workspace-write", DenyRm).Shell(command);
        Assert.True(verdict.Decision == PolicyDecisions.Allow, $"'{command}': {verdict.Decision} ({verdict.Reason})");
    }

    [Theory]
    [InlineData("$CC -o app main.c")]
    [InlineData("python3 -c 'print(1)'")]
    [InlineData("cat script.sh | bash")]
    public void Evaluate_UnknownProgramWithoutShellDenyRule_KeepsTheModeDefault(string command)
    {
        Assert.Equal(PolicyDecisions.Allow, NewEngine("workspace-write").Shell(command).Decision);
        Assert.Equal(PolicyDecisions.Allow, NewEngine("full-auto", "deny write_file(secrets/**)").Shell(command).Decision);
    }

    [Fact]
    public void Evaluate_UnknownProgram_ReasonSaysWhy()
    {
        var verdict = NewEngine("full-auto", DenyRm).Shell("$CMD x");
        Assert.Equal(PolicyDecisions.Ask, verdict.Decision);
        Assert.Equal("asks because '$CMD x' runs a program that is only known when it runs, and shell deny rules are in force", verdict.Reason);
    }

    [Theory]
    [InlineData("python3 -c 'print(1)'")]
    [InlineData("$CMD x")]
    [InlineData("x='$(rm y)'")]
    [InlineData("echo 'ls' | bash")]
    public void Evaluate_UnknownProgramInReadOnlyMode_IsStillDenied(string command)
    {
        Assert.Equal(PolicyDecisions.Deny, NewEngine("read-only", DenyRm).Shell(command).Decision);
        Assert.Equal(PolicyDecisions.Deny, NewEngine("read-only").Shell(command).Decision);
    }

    [Fact]
    public void Evaluate_UnknownProgramWithMatchingAllowRule_IsAllowed()
    {
        // An approval for the session ("a") becomes an allow rule; it must stick, or the same call would ask forever.
        var engine = NewEngine("workspace-write", DenyRm);
        var asked = engine.Shell("python3 -c 'print(1)'");
        Assert.Equal(PolicyDecisions.Ask, asked.Decision);
        Assert.Equal(PolicyDecisions.Allow, engine.Shell("python3 -c 'print(1)'", asked.SuggestedSessionRule!).Decision);
        Assert.Equal(PolicyDecisions.Ask, NewEngine("full-auto", DenyRm, "allow shell").Shell("$CMD x").Decision);
    }

    [Fact]
    public void Evaluate_DecodedVariable_IsNamedInTheReason()
    {
        var verdict = NewEngine("workspace-write", DenyRm).Shell("a=rm; $a victim.txt");
        Assert.Equal(PolicyDecisions.Deny, verdict.Decision);
        Assert.Equal("denied by rule shell(rm *) (project) for 'rm victim.txt'", verdict.Reason);
    }
}
