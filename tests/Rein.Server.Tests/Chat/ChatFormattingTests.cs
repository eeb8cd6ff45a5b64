using System.Text;
using Rein.Server.Chat;
using Rein.Server.Chat.Slack;
using Rein.Server.Chat.Telegram;

namespace Rein.Server.Tests.Chat;

public sealed class ChatFormattingTests
{
    [Fact]
    public void Split_ShortText_IsOnePart()
    {
        Assert.Equal(["hello"], ChatText.Split("hello", 100));
    }

    [Fact]
    public void Split_LongText_CutsAtParagraphsWithinTheLimit()
    {
        var paragraphs = Enumerable.Range(1, 40).Select(i => $"Paragraph {i}: " + new string('x', 80)).ToList();
        var text = string.Join("\n\n", paragraphs);

        var parts = ChatText.Split(text, 500);

        Assert.True(parts.Count > 1);
        Assert.All(parts, p => Assert.InRange(p.Length, 1, 500));
        // Nothing is lost or reordered, and every cut falls between paragraphs.
        Assert.Equal(text, string.Join("\n\n", parts));
    }

    [Fact]
    public void Split_TextWithoutBreaks_CutsAtTheLimit()
    {
        var text = new string('a', 950);

        var parts = ChatText.Split(text, 400);

        Assert.Equal(3, parts.Count);
        Assert.All(parts, p => Assert.True(p.Length <= 400));
        Assert.Equal(text, string.Concat(parts));
    }

    [Fact]
    public void Split_EscapedTextWithoutBreaks_NeverCutsInsideAnEscape()
    {
        var text = string.Concat(Enumerable.Repeat("&lt;", 300));

        var parts = ChatText.Split(text, 202);

        Assert.All(parts, p => Assert.Matches("^(&lt;)+$", p));
        Assert.Equal(text, string.Concat(parts));
    }

    [Fact]
    public void Split_CodeBlockAcrossTheCut_IsClosedAndOpenedAgain()
    {
        var code = string.Join('\n', Enumerable.Range(1, 60).Select(i => $"line {i} of the program"));
        var text = $"Here it is:\n```csharp\n{code}\n```\nDone.";

        var parts = ChatText.Split(text, 400);

        Assert.True(parts.Count > 2);
        Assert.All(parts, p => Assert.True(p.Length <= 400, $"{p.Length} characters"));
        // Every part has balanced fences, and the ones after the first open the block again with its language.
        Assert.All(parts, p => Assert.Equal(0, p.Split('\n').Count(l => l.StartsWith("```", StringComparison.Ordinal)) % 2));
        Assert.StartsWith("```csharp\n", parts[1], StringComparison.Ordinal);
        var lines = string.Join('\n', parts).Split('\n').Where(l => l.StartsWith("line ", StringComparison.Ordinal)).ToList();
        Assert.Equal(60, lines.Count);
    }

    [Theory]
    [InlineData("1 + 1 = 2.", @"1 \+ 1 \= 2\.")]
    [InlineData("a_b*c[d](e)~f`g>h#i+j-k=l|m{n}o.p!q\\r", @"a\_b\*c\[d\]\(e\)\~f\`g\>h\#i\+j\-k\=l\|m\{n\}o\.p\!q\\r")]
    [InlineData("Run `ls -la` now.", @"Run `ls -la` now\.")]
    [InlineData("```bash\necho \"a.b\" `x`\n```", "```bash\necho \"a.b\" \\`x\\`\n```")]
    [InlineData("a lone ` tick", @"a lone \` tick")]
    [InlineData("```\nunclosed", "\\`\\`\\`\nunclosed")]
    public void Render_EscapesWhatMarkdownV2Reserves(string text, string expected)
    {
        Assert.Equal(expected, TelegramMarkdown.Render(text));
    }

    [Fact]
    public void Escape_Slack_ControlCharactersOnly()
    {
        Assert.Equal("a &lt;b&gt; &amp; *c*", SlackSurface.Escape("a <b> & *c*"));
    }

    [Theory]
    [InlineData("<@U0BOT> fix the build", "fix the build")]
    [InlineData("<@U0BOT> look at <https://example.com|the page> &amp; x &lt; y", "look at the page & x < y")]
    [InlineData("see <https://example.com>", "see https://example.com")]
    public void Unescape_Slack_MentionsAndLinks(string text, string expected)
    {
        Assert.Equal(expected, SlackSurface.Unescape(text));
    }

    [Fact]
    public void Signature_MatchesSlacksDocumentedExample()
    {
        // The example of Slack's "Verifying requests from Slack".
        const string body = "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c";

        var signature = SlackSignature.Compute("8f742231b10e8888abcd99yyyzzz85a5", "1531420618", Encoding.UTF8.GetBytes(body));

        Assert.Equal("v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503", signature);
    }

    [Fact]
    public void Verify_RefusesStaleFutureUnsignedAndTampered()
    {
        var now = DateTimeOffset.FromUnixTimeSeconds(1_800_000_000);
        var body = Encoding.UTF8.GetBytes("""{"type":"event_callback"}""");
        var fresh = now.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture);
        var good = SlackSignature.Compute("secret", fresh, body);
        var maxAge = TimeSpan.FromMinutes(5);

        Assert.True(SlackSignature.Verify("secret", fresh, good, body, now, maxAge, out _));
        Assert.False(SlackSignature.Verify("other", fresh, good, body, now, maxAge, out _));
        Assert.False(SlackSignature.Verify("secret", fresh, good, Encoding.UTF8.GetBytes("""{"type":"event_callback "}"""), now, maxAge, out _));
        Assert.False(SlackSignature.Verify("secret", fresh, null, body, now, maxAge, out var unsigned));
        Assert.Contains("not signed", unsigned, StringComparison.Ordinal);
        var stale = (now.ToUnixTimeSeconds() - 301).ToString(System.Globalization.CultureInfo.InvariantCulture);
        Assert.False(SlackSignature.Verify("secret", stale, SlackSignature.Compute("secret", stale, body), body, now, maxAge, out var old));
        Assert.Contains("minutes", old, StringComparison.Ordinal);
        var future = (now.ToUnixTimeSeconds() + 301).ToString(System.Globalization.CultureInfo.InvariantCulture);
        Assert.False(SlackSignature.Verify("secret", future, SlackSignature.Compute("secret", future, body), body, now, maxAge, out _));
    }

    [Theory]
    [InlineData("/new", "/new", "")]
    [InlineData("/new@rein_bot fix it", "/new", "fix it")]
    [InlineData("/START", "/start", "")]
    [InlineData("plain words", null, "plain words")]
    public void Command_ReadsTelegramCommands(string text, string? name, string rest)
    {
        var (command, remainder) = TelegramWork.Command(text);

        Assert.Equal(name, command);
        Assert.Equal(rest, remainder);
    }
}
