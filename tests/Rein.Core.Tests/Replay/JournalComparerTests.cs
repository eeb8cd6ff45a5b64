using System.Text.Json;
using Rein.Journal;
using Rein.Replay;

namespace Rein.Core.Tests.Replay;

public sealed class JournalComparerTests
{
    private static JsonElement Args(string json) => JsonDocument.Parse(json).RootElement.Clone();

    /// <summary>A two-step session: a shell call in step 1, a final answer in step 2.</summary>
    private static List<SessionEvent> Journal(
        string workspace = "/home/u/project",
        string command = "cat a.txt",
        string output = "hello from /home/u/project\n[exit code 0]",
        ToolOutcome outcome = ToolOutcome.Success,
        string decision = PolicyDecisions.Allow,
        string? rule = "shell(cat *)",
        string stop = StopReason.Completed,
        bool finalStep = true)
    {
        var call = new ModelToolCall("call_1_1", "shell", Args($$"""{"command":"{{command}}"}"""));
        List<SessionEvent> events =
        [
            new SessionStarted("s1", workspace, "scripted:t.json"),
            new UserMessage("go"),
            new ModelCalled(1, "m", null, [call], "tool_calls", TokenUsage.Zero, 12),
            new ToolCallProposed(call.Id, call.Name, call.Arguments),
            new PolicyDecided(call.Id, "shell", decision, "because", rule, "project", "ask"),
            new ToolStarted(call.Id, "shell"),
            new CheckpointTaken("abc123", "before", call.Id, 1),
            new ToolCompleted(call.Id, "shell", outcome, output, DurationMs: 42),
        ];
        if (finalStep)
        {
            events.Add(new ModelCalled(2, "m", "done", [], "stop", TokenUsage.Zero, 7));
        }

        events.Add(new SessionEnded(stop));
        return events;
    }

    private static ReplayNormalizer Normalizer => ReplayNormalizer.For("/home/u/project", ["/tmp/rein-replay-x/workspace"], "s1", "r1");

    [Fact]
    public void Compare_SameStepsWithOtherPathsDurationsAndCheckpoints_Passes()
    {
        var recorded = Journal();
        var replayed = Journal(workspace: "/tmp/rein-replay-x/workspace", output: "hello from /tmp/rein-replay-x/workspace\n[exit code 0]");
        replayed[6] = new CheckpointTaken("def456", "before", "call_1_1", 1);
        replayed[7] = ((ToolCompleted)replayed[7]) with { DurationMs = 900 };

        var comparison = JournalComparer.Compare(recorded, replayed, Normalizer);

        Assert.True(comparison.Passed, string.Join("\n", comparison.Divergences));
        Assert.Equal(2, comparison.Steps);
    }

    [Fact]
    public void Compare_DifferentObservation_ReportsObservationWithStepAndCall()
    {
        var comparison = JournalComparer.Compare(Journal(), Journal(output: "goodbye\n[exit code 0]"), Normalizer);

        var divergence = Assert.Single(comparison.Divergences);
        Assert.Equal((1, DivergenceKinds.Observation, "call_1_1"), (divergence.Step, divergence.Kind, divergence.CallId));
        Assert.Equal("success: hello from /home/u/project⏎[exit code 0]", divergence.ExpectedShort);
        Assert.Equal("success: goodbye⏎[exit code 0]", divergence.ActualShort);
    }

    [Fact]
    public void Compare_DifferentOutcomeSameText_ReportsObservation()
    {
        var comparison = JournalComparer.Compare(Journal(), Journal(outcome: ToolOutcome.Error), Normalizer);

        Assert.Equal(DivergenceKinds.Observation, Assert.Single(comparison.Divergences).Kind);
    }

    [Fact]
    public void Compare_DifferentArguments_ReportsToolCallOnly()
    {
        var comparison = JournalComparer.Compare(Journal(), Journal(command: "cat b.txt", output: "other"), Normalizer);

        var divergence = Assert.Single(comparison.Divergences);
        Assert.Equal(DivergenceKinds.ToolCall, divergence.Kind);
        Assert.Contains("cat a.txt", divergence.Expected, StringComparison.Ordinal);
        Assert.Contains("cat b.txt", divergence.Actual, StringComparison.Ordinal);
    }

    [Fact]
    public void Compare_ArgumentsInAnotherKeyOrder_Passes()
    {
        var recorded = Journal();
        var replayed = Journal();
        var reordered = Args("""{"timeout":5,"command":"cat a.txt"}""");
        recorded[3] = new ToolCallProposed("call_1_1", "shell", Args("""{"command":"cat a.txt","timeout":5}"""));
        replayed[3] = new ToolCallProposed("call_1_1", "shell", reordered);

        Assert.True(JournalComparer.Compare(recorded, replayed, Normalizer).Passed);
    }

    [Fact]
    public void Compare_DifferentPolicyDecision_ReportsPolicyDecision()
    {
        var comparison = JournalComparer.Compare(Journal(), Journal(decision: PolicyDecisions.Deny, rule: "shell(cat *)"), Normalizer);

        var divergence = Assert.Single(comparison.Divergences);
        Assert.Equal(DivergenceKinds.PolicyDecision, divergence.Kind);
        Assert.Equal("allow (rule shell(cat *))", divergence.Expected);
        Assert.Equal("deny (rule shell(cat *))", divergence.Actual);
    }

    [Fact]
    public void Compare_SameDecisionByAnotherRule_ReportsPolicyDecision()
    {
        var comparison = JournalComparer.Compare(Journal(), Journal(rule: null), Normalizer);

        Assert.Equal(DivergenceKinds.PolicyDecision, Assert.Single(comparison.Divergences).Kind);
    }

    [Fact]
    public void Compare_DifferentStopReason_ReportsStop()
    {
        var comparison = JournalComparer.Compare(Journal(), Journal(stop: StopReason.MaxSteps), Normalizer);

        var divergence = Assert.Single(comparison.Divergences);
        Assert.Equal((2, DivergenceKinds.Stop), (divergence.Step, divergence.Kind));
        Assert.Equal("completed after step 2", divergence.Expected);
        Assert.Equal("max_steps after step 2", divergence.Actual);
    }

    [Fact]
    public void Compare_ReplayStopsEarly_ReportsMissingStepAndStop()
    {
        var comparison = JournalComparer.Compare(Journal(), Journal(finalStep: false, stop: StopReason.ReplayExhausted), Normalizer);

        Assert.Equal(
            [(2, DivergenceKinds.MissingStep), (2, DivergenceKinds.Stop)],
            comparison.Divergences.Select(d => (d.Step, d.Kind)).Order());
    }

    [Fact]
    public void Compare_ReplayMakesAnotherStep_ReportsExtraStep()
    {
        var replayed = Journal();
        replayed.Insert(replayed.Count - 1, new ModelCalled(3, "m", "again", [], "stop", TokenUsage.Zero, 1));

        var comparison = JournalComparer.Compare(Journal(), replayed, Normalizer);

        Assert.Equal([(2, DivergenceKinds.Stop), (3, DivergenceKinds.ExtraStep)], comparison.Divergences.Select(d => (d.Step, d.Kind)));
        Assert.Equal("a final answer (no tool calls)", comparison.Divergences[1].Actual);
        Assert.Equal("completed after step 3", comparison.Divergences[0].Actual);
    }

    [Fact]
    public void ExpectedShort_LongTextDifferingLate_ShowsTheDifferingPart()
    {
        var head = new string('a', 1000);
        var comparison = JournalComparer.Compare(Journal(output: head + "XYZ"), Journal(output: head + "QRS"), Normalizer);

        var divergence = Assert.Single(comparison.Divergences);
        Assert.EndsWith("XYZ", divergence.ExpectedShort, StringComparison.Ordinal);
        Assert.EndsWith("QRS", divergence.ActualShort, StringComparison.Ordinal);
        Assert.True(divergence.ExpectedShort.Length <= JournalComparer.MaxShownChars);
    }

    [Fact]
    public void Compare_TestRunnerDurationAndWorkspacePathDiffer_PassesAndListsWhatWasNormalised()
    {
        var recorded = Journal(output: "Ran 1 test in 0.006s\n\nOK\n/home/u/project\n[exit code 0]");
        var replayed = Journal(output: "Ran 1 test in 0.000s\n\nOK\n/tmp/rein-replay-x/workspace\n[exit code 0]");

        var comparison = JournalComparer.Compare(recorded, replayed, Normalizer);

        Assert.True(comparison.Passed, string.Join("\n", comparison.Divergences));
        Assert.Equal(
            [
                new ReplayNormalization(1, "call_1_1", ReplayNormalizer.DurationRule, ReplayNormalization.Recorded, "0.006s", "<duration>"),
                new ReplayNormalization(1, "call_1_1", ReplayNormalizer.WorkspaceRule, ReplayNormalization.Replay, "/tmp/rein-replay-x/workspace", "/home/u/project"),
                new ReplayNormalization(1, "call_1_1", ReplayNormalizer.DurationRule, ReplayNormalization.Replay, "0.000s", "<duration>"),
            ],
            comparison.Normalized);
    }

    [Fact]
    public void Compare_IdenticalTexts_ListsNothingNormalised()
    {
        var output = "Ran 1 test in 0.006s\n[exit code 0]";

        var comparison = JournalComparer.Compare(Journal(output: output), Journal(output: output), Normalizer);

        Assert.True(comparison.Passed);
        Assert.Empty(comparison.Normalized);
    }

    [Fact]
    public void Compare_RealDifferenceBesideNoise_DivergesShowingTheOriginalTexts()
    {
        var recorded = Journal(output: "Ran 1 test in 0.006s\n\nOK\n[exit code 0]");
        var replayed = Journal(output: "Ran 1 test in 0.002s\n\nFAILED (failures=1)\n[exit code 1]");

        var divergence = Assert.Single(JournalComparer.Compare(recorded, replayed, Normalizer).Divergences);

        Assert.Equal(DivergenceKinds.Observation, divergence.Kind);
        Assert.Equal("success: Ran 1 test in 0.006s⏎⏎OK⏎[exit code 0]", divergence.ExpectedShort);
        Assert.Equal("success: Ran 1 test in 0.002s⏎⏎FAILED (failures=1)⏎[exit code 1]", divergence.ActualShort);
    }

    [Fact]
    public void Compare_UserRule_MasksWhatItMatchesOnBothSides()
    {
        var normalizer = ReplayNormalizer.For("/w", [], "s1", "r1", [NormalizationRule.FromPattern("pid", @"pid=(\d+)", "pid=<pid>")]);

        var comparison = JournalComparer.Compare(Journal(output: "started pid=41"), Journal(output: "started pid=977"), normalizer);

        Assert.True(comparison.Passed);
        Assert.Equal(["pid", "pid"], comparison.Normalized.Select(n => n.Rule));
    }

    [Fact]
    public void ExpectedShort_DifferenceLateAfterAPathOfAnotherLength_ShowsTheDifferingPartOfEachSide()
    {
        var body = new string('a', 1000);
        var comparison = JournalComparer.Compare(
            Journal(output: "/home/u/project\n" + body + "XYZ"),
            Journal(output: "/tmp/rein-replay-x/workspace\n" + body + "QRS"),
            Normalizer);

        var divergence = Assert.Single(comparison.Divergences);
        Assert.EndsWith("aaaXYZ", divergence.ExpectedShort, StringComparison.Ordinal);
        Assert.EndsWith("aaaQRS", divergence.ActualShort, StringComparison.Ordinal);
        Assert.StartsWith("…aaa", divergence.ActualShort, StringComparison.Ordinal);
    }
}
