using Rein.Replay;

namespace Rein.Core.Tests.Replay;

public sealed class ReplayNormalizerTests
{
    private static string Mask(string text) => new ReplayNormalizer(ReplayNormalizer.BuiltInMasks).Apply(text);

    [Theory]
    [InlineData("Ran 1 test in 0.006s", "Ran 1 test in <duration>")]
    [InlineData("Ran 12 tests in 1.250s", "Ran 12 tests in <duration>")]
    [InlineData("===== 3 passed, 1 skipped in 0.12s =====", "===== 3 passed, 1 skipped in <duration> =====")]
    [InlineData("real\t0m0.003s\nuser\t0m0.001s", "real\t<duration>\nuser\t<duration>")]
    [InlineData("ok  \texample.com/pkg\t1m2.5s", "ok  \texample.com/pkg\t<duration>")]
    [InlineData("took 12ms, then 1.2 seconds, then 3 min", "took <duration>, then <duration>, then <duration>")]
    [InlineData("Time:        0.512 s", "Time:        <duration>")]
    [InlineData("ping: time=0.043 ms", "ping: time=<duration>")]
    public void Apply_Durations_AreMasked(string text, string expected) => Assert.Equal(expected, Mask(text));

    [Theory]
    [InlineData("2026-05-01T10:00:00.123456789Z done", "<timestamp> done")]
    [InlineData("at 2026-05-01T10:00:00+02:00.", "at <timestamp>.")]
    [InlineData("2026-05-01 10:00:00,123 INFO start", "<timestamp> INFO start")]
    [InlineData("2026/05/01 10:00:00 listening", "<timestamp> listening")]
    [InlineData("Fri May  1 10:00:00 UTC 2026", "<timestamp>")]
    [InlineData("Date: Fri, 01 May 2026 10:00:00 GMT", "Date: <timestamp>")]
    [InlineData("Date:   Fri May 1 10:00:00 2026 +0200", "Date:   <timestamp>")]
    [InlineData("-rw-r--r-- 1 root root 8 May  1 10:00 notes.txt", "-rw-r--r-- 1 root root 8 <timestamp> notes.txt")]
    [InlineData("[10:00:00.123] ready", "[<timestamp>] ready")]
    public void Apply_Timestamps_AreMasked(string text, string expected) => Assert.Equal(expected, Mask(text));

    [Theory]
    [InlineData("version 1.2.3")]
    [InlineData("Ran 3 tests")]
    [InlineData("[exit code 0]")]
    [InlineData("hash abc123s")]
    [InlineData("released 2026-05-01")]
    [InlineData("secrets: 2, minimal: 3")]
    [InlineData("src/a.c:10:20: error")]
    public void Apply_OrdinaryText_IsLeftAlone(string text) => Assert.Equal(text, Mask(text));

    [Fact]
    public void Apply_ReplayWorkspaceAndSession_BecomeTheRecordedOnes()
    {
        var normalizer = ReplayNormalizer.For("/home/u/project/", ["/tmp/rein-replay-x/workspace", "/private/tmp/rein-replay-x/workspace"], "s1", "r1");
        var applied = new List<NormalizedFragment>();

        var text = normalizer.Apply("/private/tmp/rein-replay-x/workspace/a.txt and /tmp/rein-replay-x/workspace in session r1", applied);

        Assert.Equal("/home/u/project/a.txt and /home/u/project in session s1", text);
        Assert.Equal(
            [
                new NormalizedFragment(ReplayNormalizer.WorkspaceRule, "/private/tmp/rein-replay-x/workspace", "/home/u/project"),
                new NormalizedFragment(ReplayNormalizer.WorkspaceRule, "/tmp/rein-replay-x/workspace", "/home/u/project"),
                new NormalizedFragment(ReplayNormalizer.SessionRule, "r1", "s1"),
            ],
            applied);
    }

    [Fact]
    public void Apply_UserRules_RunAfterTheBuiltInOnesInOrder()
    {
        var normalizer = ReplayNormalizer.For("/w", [], "s1", "r1",
        [
            NormalizationRule.FromPattern("port", @"port (\d+)", "port <$1>"),
            NormalizationRule.FromPattern("any-port", @"<\d+>", "<n>"),
        ]);

        Assert.Equal("listening on port <n> after <duration>", normalizer.Apply("listening on port 4242 after 3ms"));
    }

    [Fact]
    public void FromPattern_InvalidRegex_Throws() =>
        Assert.ThrowsAny<ArgumentException>(() => NormalizationRule.FromPattern("bad", "(unclosed", "x"));

    [Fact]
    public void Apply_CatastrophicBacktracking_StopsWithAnErrorNamingTheRule()
    {
        var rule = NormalizationRule.FromPattern("replay.normalize[0]", "^(x+x+)+$", "z");

        var error = Assert.Throws<InvalidOperationException>(() => rule.Apply(new string('x', 64) + "!", null));

        Assert.Contains("replay.normalize[0]", error.Message, StringComparison.Ordinal);
    }
}
