using Rein.Guard.Hooks;
using Rein.Testing;

namespace Rein.Guard.Tests.Hooks;

public sealed class HookSettingsTests
{
    [Fact]
    public void FromJson_ClaudeCodeConfig_ReadsEveryEventInOrder()
    {
        var settings = HookTestKit.Settings("""
            {
              "PreToolUse": [
                {"matcher": "shell|Bash", "hooks": [{"type": "command", "command": "./check.sh", "timeout": 30}, {"type": "command", "command": "./log.sh"}]},
                {"matcher": "Write", "hooks": [{"type": "command", "command": "./write.sh"}]}
              ],
              "PostToolUse": [{"matcher": "*", "hooks": [{"type": "command", "command": "./post.sh"}]}],
              "SessionStart": [{"hooks": [{"type": "command", "command": "./start.sh"}]}],
              "UserPromptSubmit": [{"hooks": [{"type": "command", "command": "./prompt.sh"}]}],
              "PreCompact": [{"matcher": "auto", "hooks": [{"type": "command", "command": "./compact.sh"}]}],
              "Stop": [{"hooks": [{"type": "command", "command": "./stop.sh"}]}],
              "ApprovalRequested": [{"hooks": [{"type": "command", "command": "./notify.sh"}]}]
            }
            """, "/home/u/.rein/settings.json");

        var pre = settings.For(HookEventNames.PreToolUse);
        Assert.Equal(["./check.sh", "./log.sh", "./write.sh"], pre.Select(h => h.Command));
        Assert.Equal(TimeSpan.FromSeconds(30), pre[0].Timeout);
        Assert.Null(pre[1].Timeout);
        Assert.Equal("shell|Bash", pre[1].Matcher);
        Assert.Equal("/home/u/.rein/settings.json", pre[0].Source);
        Assert.Equal(9, settings.All.Count);
        foreach (var hookEvent in HookEventNames.All)
        {
            Assert.NotEmpty(settings.For(hookEvent));
        }
    }

    [Theory]
    [InlineData("[]", "hooks must be an object")]
    [InlineData("""{"PreToolUse": {}}""", "hooks.PreToolUse must be an array")]
    [InlineData("""{"PreToolUse": [3]}""", "hooks.PreToolUse[0] must be an object")]
    [InlineData("""{"PreToolUse": [{"matcher": 1, "hooks": []}]}""", "hooks.PreToolUse[0].matcher must be a string")]
    [InlineData("""{"PreToolUse": [{"matcher": "shell(", "hooks": []}]}""", "hooks.PreToolUse[0].matcher is not a valid regular expression")]
    [InlineData("""{"Stop": [{}]}""", "hooks.Stop[0].hooks must be an array")]
    [InlineData("""{"Stop": [{"hooks": "x"}]}""", "hooks.Stop[0].hooks must be an array")]
    [InlineData("""{"Stop": [{"hooks": ["./x.sh"]}]}""", "hooks.Stop[0].hooks[0] must be an object")]
    [InlineData("""{"Stop": [{"hooks": [{"command": "./x.sh"}]}]}""", "hooks.Stop[0].hooks[0].type must be a string")]
    [InlineData("""{"Stop": [{"hooks": [{"type": "prompt", "command": "./x.sh"}]}]}""", "hooks.Stop[0].hooks[0].type is \"prompt\"; only \"command\" hooks are supported")]
    [InlineData("""{"PreToolUse": [{"hooks": [{"type": "command", "command": "./a.sh"}, {"type": "command", "command": 5}]}]}""", "hooks.PreToolUse[0].hooks[1].command must be a string")]
    [InlineData("""{"Stop": [{"hooks": [{"type": "command"}]}]}""", "hooks.Stop[0].hooks[0].command must be a string")]
    [InlineData("""{"Stop": [{"hooks": [{"type": "command", "command": "  "}]}]}""", "hooks.Stop[0].hooks[0].command must not be empty")]
    [InlineData("""{"Stop": [{"hooks": [{"type": "command", "command": "./x.sh", "timeout": 0}]}]}""", "hooks.Stop[0].hooks[0].timeout must be a positive number of seconds")]
    [InlineData("""{"Stop": [{"hooks": [{"type": "command", "command": "./x.sh", "timeout": "30"}]}]}""", "hooks.Stop[0].hooks[0].timeout must be a positive number of seconds")]
    public void FromJson_Malformed_ThrowsNamingFileAndPath(string json, string expected)
    {
        var ex = Assert.Throws<HookConfigException>(() => HookTestKit.Settings(json, "/p/.rein/settings.json"));

        Assert.StartsWith("/p/.rein/settings.json: ", ex.Message, StringComparison.Ordinal);
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
        Assert.Equal("/p/.rein/settings.json", ex.FilePath);
    }

    [Fact]
    public void FromJson_UnknownEvent_ListsSupportedEvents()
    {
        var ex = Assert.Throws<HookConfigException>(() => HookTestKit.Settings("""{"PostToolUseFailure": []}""", "s.json"));

        Assert.Equal("hooks.PostToolUseFailure", ex.JsonPath);
        Assert.Contains("not a supported hook event", ex.Message, StringComparison.Ordinal);
        Assert.Contains("PreToolUse, PostToolUse, SessionStart, UserPromptSubmit, PreCompact, Stop, ApprovalRequested", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FromJson_NullSection_IsEmpty()
    {
        var settings = HookSettings.FromJson(default, "s.json");

        Assert.Empty(settings.All);
    }

    [Fact]
    public void Merge_UserThenProject_KeepsAllInOrder()
    {
        var user = HookTestKit.Settings("""{"PreToolUse": [{"hooks": [{"type": "command", "command": "user.sh"}]}]}""", "user.json");
        var project = HookTestKit.Settings("""{"PreToolUse": [{"hooks": [{"type": "command", "command": "project.sh"}]}], "Stop": [{"hooks": [{"type": "command", "command": "stop.sh"}]}]}""", "project.json");

        var merged = HookSettings.Merge(user, project);

        Assert.Equal(["user.sh", "project.sh"], merged.For(HookEventNames.PreToolUse).Select(h => h.Command));
        Assert.Equal(["user.json", "project.json"], merged.For(HookEventNames.PreToolUse).Select(h => h.Source));
        Assert.Single(merged.For(HookEventNames.Stop));
    }

    [Fact]
    public void FromFile_ReadsHooksProperty_MissingFileIsEmpty_BadJsonNamesFile()
    {
        using var dir = new TempDirectory();
        var good = dir.Write("settings.json", """{"model": "x", "hooks": {"Stop": [{"hooks": [{"type": "command", "command": "stop.sh"}]}]}}""");
        var bad = dir.Write("bad.json", """{"hooks": {""");

        Assert.Equal("stop.sh", Assert.Single(HookSettings.FromFile(good).All).Command);
        Assert.Empty(HookSettings.FromFile(dir.Combine("missing.json")).All);
        var ex = Assert.Throws<HookConfigException>(() => HookSettings.FromFile(bad));
        Assert.StartsWith(bad + ": $ is not valid JSON", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("shell|Bash", "shell", true)]
    [InlineData("Bash", "shell", true)]
    [InlineData("Write", "write_file", true)]
    [InlineData("Edit", "edit_file", true)]
    [InlineData("MultiEdit", "edit_file", true)]
    [InlineData("Read", "read_file", true)]
    [InlineData("WebFetch", "fetch_url", true)]
    [InlineData("Grep", "grep", true)]
    [InlineData("Glob", "list_files", true)]
    [InlineData("LS", "list_files", true)]
    [InlineData("TodoWrite", "todo_write", true)]
    [InlineData("Edit|Write", "write_file", true)]
    [InlineData("Read", "write_file", false)]
    [InlineData("Write", "WriteLog", false)]
    [InlineData("shell", "shell_extra", false)]
    [InlineData("mcp__github__.*", "mcp__github__create_issue", true)]
    [InlineData("*", "anything", true)]
    [InlineData("", "anything", true)]
    [InlineData(".*_file", "edit_file", true)]
    public void Matches_RegexOverNameAndAliases_FullMatch(string matcher, string toolName, bool expected)
    {
        var hook = new HookDefinition(HookEventNames.PreToolUse, matcher, "x", null, "s.json");

        Assert.Equal(expected, hook.Matches(ToolAliases.NamesFor(toolName)));
    }
}
