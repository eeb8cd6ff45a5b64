using Rein.Guard.Secrets;
using Rein.Tools;

namespace Rein.Guard.Tests.Secrets;

public sealed class RedactionBoundaryTests
{
    private const string Token = "tok_9fK2mQ7xLp4vR8sW1zYb";
    private static readonly SecretRedactor Redactor = new([new("API_TOKEN", Token)]);

    [Fact]
    public void SpanAcross_CutInsideSecret_ReturnsItsSpan()
    {
        var text = "abc " + Token + " def";

        Assert.Equal(4..(4 + Token.Length), Redactor.SpanAcross(text, 10));
        Assert.Null(Redactor.SpanAcross(text, 4));
        Assert.Null(Redactor.SpanAcross(text, 4 + Token.Length));
        Assert.Null(Redactor.SpanAcross(text, 2));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(23)]
    public async Task RunAsync_OutputCutThroughSecret_NoFragmentSurvivesRedaction(int shift)
    {
        // The head keeps 2/5 of 1,000 characters: the secret starts 8 characters before the head's end (or the tail's start).
        var headEnd = 400;
        var padding = headEnd - 8 - shift;
        var runner = new ProcessCommandRunner();
        foreach (var layout in new[] { $"printf '%{padding}s' '' | tr ' ' a; printf '$T'; printf '%3000s' '' | tr ' ' b", $"printf '%3000s' '' | tr ' ' a; printf '$T'; printf '%{600 - Token.Length + 8 + shift}s' '' | tr ' ' b" })
        {
            var request = new CommandRequest(layout.Replace("$T", Token, StringComparison.Ordinal), Path.GetTempPath(), TimeSpan.FromSeconds(30))
            {
                MaxOutputChars = 1_000,
                Redactor = Redactor,
            };

            var result = await runner.RunAsync(request, TestContext.Current.CancellationToken);

            Assert.True(result.Truncated);
            var shown = Redactor.Redact(result.Output);
            Assert.DoesNotContain(Token[..6], shown, StringComparison.Ordinal);
            Assert.DoesNotContain(Token[^6..], shown, StringComparison.Ordinal);
            Assert.Contains("characters of output omitted", shown, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Redact_CutThroughSecretBeforeRedaction_LeavesItsPrefix()
    {
        // The attack the redactor-aware cut defends against: the same cut without it leaves the secret's prefix.
        var output = new string('a', 392) + Token + new string('b', 3000);
        var shown = Redactor.Redact(output[..400] + " … " + output[^600..]);

        Assert.Contains(Token[..8], shown, StringComparison.Ordinal);
    }

    [Fact]
    public void Report_ChunksSplitAnywhereInSecret_NeverReportAnyPartOfIt()
    {
        var stream = "line one\nthe token is " + Token + " and again " + Token + "\ntail";
        for (var first = 1; first < stream.Length; first++)
        {
            for (var size = 1; size <= 7; size += 3)
            {
                var reported = new List<string>();
                var progress = new SecretRedactionStages.RedactingProgress(new Sink(reported), Redactor);
                progress.Report(stream[..first]);
                for (var i = first; i < stream.Length; i += size)
                {
                    progress.Report(stream[i..Math.Min(stream.Length, i + size)]);
                }

                foreach (var chunk in reported)
                {
                    AssertNoFragment(chunk);
                }

                progress.Complete();
                Assert.Equal(Redactor.Redact(stream), string.Concat(reported));
            }
        }
    }

    private static void AssertNoFragment(string chunk)
    {
        for (var length = 4; length <= Token.Length; length++)
        {
            for (var start = 0; start + length <= Token.Length; start++)
            {
                Assert.DoesNotContain(Token.Substring(start, length), chunk, StringComparison.Ordinal);
            }
        }
    }

    private sealed class Sink(List<string> reported) : IProgress<string>
    {
        public void Report(string value) => reported.Add(value);
    }
}
