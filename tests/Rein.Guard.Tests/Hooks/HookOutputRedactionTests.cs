using Rein.Guard.Hooks;
using Rein.Guard.Secrets;

namespace Rein.Guard.Tests.Hooks;

public sealed class HookOutputRedactionTests : IDisposable
{
    private const string Token = "tok_9fK2mQ7xLp4vR8sW1zYb";
    private static readonly SecretRedactor Redactor = new([new("API_TOKEN", Token)]);

    private readonly HookTestKit _kit = new();
    private readonly CancellationToken _ct = TestContext.Current.CancellationToken;

    public void Dispose() => _kit.Dispose();

    [Theory]
    [InlineData(1)]
    [InlineData(8)]
    [InlineData(20)]
    public async Task RunPreToolUseAsync_FailedHookOutputCutThroughSecret_JournalsNoPrefix(int secretCharsInside)
    {
        // A failed hook's error keeps its output's first 2,000 characters: the secret starts that many before the cut.
        var hook = _kit.Script("fail.sh", $"printf '%{2_000 - secretCharsInside}s' '' | tr ' ' a; printf '{Token}'; printf '%500s' '' | tr ' ' b; exit 1");
        var runner = _kit.Runner(HookTestKit.For(HookEventNames.PreToolUse, "*", hook), new HookRunnerOptions { Redactor = Redactor });

        var outcome = await runner.RunPreToolUseAsync(_kit.ShellCall(), _ct);

        var ran = Assert.Single(outcome.Events);
        Assert.Equal("error", ran.Outcome);
        // Not one character of the secret: the cut moved to where it starts.
        Assert.Equal($"exited with code 1: {new string('a', 2_000 - secretCharsInside)} ...", Redactor.Redact(ran.Reason!));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task RunPreToolUseAsync_BlockingOutputCutThroughSecret_ReasonHasNoPrefix(bool inTail)
    {
        // Beyond 1,000 characters the output keeps a 400-character head and a 600-character tail; the secret straddles one cut.
        var layout = inTail
            ? $"printf '%3000s' '' | tr ' ' a; printf '{Token}'; printf '%{600 - Token.Length + 8}s' '' | tr ' ' b"
            : $"printf '%392s' '' | tr ' ' a; printf '{Token}'; printf '%3000s' '' | tr ' ' b";
        var hook = _kit.Script("deny.sh", layout + "; exit 2");
        var runner = _kit.Runner(HookTestKit.For(HookEventNames.PreToolUse, "*", hook), new HookRunnerOptions { MaxOutputChars = 1_000, Redactor = Redactor });

        var outcome = await runner.RunPreToolUseAsync(_kit.ShellCall(), _ct);

        Assert.True(outcome.Blocked);
        Assert.Contains("characters of output omitted", outcome.Reason, StringComparison.Ordinal);
        foreach (var text in new[] { outcome.Reason!, Assert.Single(outcome.Events).Reason! })
        {
            var shown = Redactor.Redact(text);
            Assert.DoesNotContain(Token[..6], shown, StringComparison.Ordinal);
            Assert.DoesNotContain(Token[^6..], shown, StringComparison.Ordinal);
        }
    }
}
