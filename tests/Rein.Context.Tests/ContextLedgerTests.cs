using Rein.Context.CodeMemory;

namespace Rein.Context.Tests;

public sealed class ContextLedgerTests
{
    private static ContextLedger Ledger(ContextOptions? options = null)
    {
        var ledger = new ContextLedger(options ?? new ContextOptions(), new QuarterCounter(), "system prompt");
        ledger.AddUser("fix the bug");
        return ledger;
    }

    private static FileView View(string path, int start, params string[] lines) => new(path, start, lines, ReachesEnd: false);

    private static string Numbered(int start, params string[] lines) =>
        string.Join('\n', lines.Select((l, i) => $"{start + i,6}\t{l}"));

    [Fact]
    public void AddObservation_RereadOfUnchangedLines_IsAReferenceToTheStepThatHoldsThem()
    {
        var ledger = Ledger();
        ledger.AddAssistant(1, "read");
        ledger.AddObservation(1, "c1", "read_file", "read_file a.py", Numbered(1, "x", "y", "z"), false, View("a.py", 1, "x", "y", "z"));
        ledger.AddAssistant(2, "read again");
        var again = ledger.AddObservation(2, "c2", "read_file", "read_file a.py", Numbered(2, "y", "z"), false, View("a.py", 2, "y", "z"));

        Assert.Equal(ContextSaving.CodeMemory, again.Saving);
        Assert.Contains("a.py lines 2-3 are unchanged since step 1", again.Rendered, StringComparison.Ordinal);
        Assert.Equal(Numbered(2, "y", "z"), again.Original);
    }

    [Fact]
    public void AddObservation_FileChangedWithSameLength_ShowsADiffNotAReference()
    {
        var lines = Enumerable.Range(1, 40).Select(i => $"line number {i} of the module").ToArray();
        var changed = (string[])lines.Clone();
        changed[19] = "line number 20 OF THE MODULE";
        var ledger = Ledger();
        ledger.AddAssistant(1, "read");
        ledger.AddObservation(1, "c1", "read_file", "read_file m.py", Numbered(1, lines), false, View("m.py", 1, lines));
        ledger.AddAssistant(2, "read again");
        var again = ledger.AddObservation(2, "c2", "read_file", "read_file m.py", Numbered(1, changed), false, View("m.py", 1, changed));

        Assert.Equal(ContextSaving.CodeMemory, again.Saving);
        Assert.Contains("m.py changed since step 1", again.Rendered, StringComparison.Ordinal);
        Assert.Contains("-line number 20 of the module\n+line number 20 OF THE MODULE", again.Rendered, StringComparison.Ordinal);
        Assert.True(ContextReader.Conveys(ledger.Items, View("m.py", 1, changed)));
    }

    [Fact]
    public void AddObservation_SameOutputTwice_SecondIsAReference()
    {
        var output = string.Join('\n', Enumerable.Range(0, 30).Select(i => $"FAILED test_{i}"));
        var ledger = Ledger();
        ledger.AddAssistant(1, "test");
        ledger.AddObservation(1, "c1", "shell", "shell `pytest`", output, true, null);
        ledger.AddAssistant(2, "test again");
        var again = ledger.AddObservation(2, "c2", "shell", "shell `pytest`", output, true, null);

        Assert.Equal("[Same output as step 1 (shell `pytest`); it is already in your context.]", again.Rendered);
    }

    [Fact]
    public void AddObservation_LargeOutput_IsCutHeadAndTailWithAMarkerNamingTheStep()
    {
        var output = string.Join('\n', Enumerable.Range(1, 5_000).Select(i => $"log line {i}"));
        var ledger = Ledger(new ContextOptions { MaxObservationChars = 2_000 });
        ledger.AddAssistant(7, "build");
        var item = ledger.AddObservation(7, "c7", "shell", "shell `make`", output, false, null);

        Assert.Equal(ContextSaving.Truncation, item.Saving);
        Assert.StartsWith("log line 1\n", item.Rendered, StringComparison.Ordinal);
        Assert.EndsWith("log line 5000", item.Rendered, StringComparison.Ordinal);
        Assert.Matches(@"omitted from step 7's output; read_output\(step=7, start_line=\d+\)", item.Rendered);
        Assert.True(item.Rendered.Length < 2_300);
        Assert.Equal(output, item.Original);
    }

    [Fact]
    public void PlanMasking_ShortSession_DoesNotMask()
    {
        var ledger = Ledger();
        for (var step = 1; step <= 12; step++)
        {
            ledger.AddAssistant(step, "go");
            ledger.AddObservation(step, "c" + step, "shell", "shell `x`", new string('a', 4_000) + step, false, null);
        }

        // Twelve steps in, masking two observations would save ~2,000 tokens a step but rewrite ~10,000 of cache.
        Assert.Null(ledger.PlanMasking(13));
    }

    [Fact]
    public void PlanMasking_LongSession_MasksOldObservationsInOneBatchAndKeepsTheTenMostRecent()
    {
        var ledger = Ledger();
        MaskPlan? plan = null;
        var step = 0;
        while (plan is null && step < 200)
        {
            step++;
            ledger.AddAssistant(step, "go");
            ledger.AddObservation(step, "c" + step, "shell", "shell `x`", new string('a', 4_000) + step, false, null);
            plan = ledger.PlanMasking(step + 1);
        }

        Assert.NotNull(plan);
        Assert.True(plan.Observations > 1, "masking should come in batches");
        var masked = ledger.Mask(plan.ThroughStep);
        Assert.Equal(plan.Observations, masked);
        var observations = ledger.Items.Where(i => i.Kind == ContextItemKind.Observation).ToList();
        Assert.All(observations.TakeLast(10), o => Assert.False(o.Masked));
        Assert.All(observations.SkipLast(10), o => Assert.Matches(@"^\[Output of step \d+ elided to save context \(shell `x`; 1 lines\)\. read_output\(step=\d+\) shows it again\.\]$", o.Rendered));
        Assert.Null(ledger.PlanMasking(step + 1));
    }

    [Fact]
    public void PlanMasking_WriteOnlyCache_MasksEarlierThanWithAWritePremium()
    {
        static int FirstMaskStep(double writePrice)
        {
            var ledger = new ContextLedger(new ContextOptions { CacheWritePrice = writePrice }, new QuarterCounter(), "s");
            ledger.AddUser("task");
            for (var step = 1; step < 500; step++)
            {
                ledger.AddAssistant(step, "go");
                ledger.AddObservation(step, "c" + step, "shell", "shell `x`", new string('a', 3_000) + step, false, null);
                if (ledger.PlanMasking(step + 1) is not null)
                {
                    return step;
                }
            }

            return int.MaxValue;
        }

        Assert.True(FirstMaskStep(1.0) < FirstMaskStep(1.25));
    }

    [Fact]
    public void Mask_ObservationStillReferencedByARecentReread_StaysWhole()
    {
        var ledger = Ledger(new ContextOptions { KeepRecentObservations = 2, MinMaskTokens = 0, MaskMargin = 0 });
        ledger.AddAssistant(1, "read");
        var first = ledger.AddObservation(1, "c1", "read_file", "read_file a.py", Numbered(1, "x", "y"), false, View("a.py", 1, "x", "y"));
        for (var step = 2; step <= 5; step++)
        {
            ledger.AddAssistant(step, "noise");
            ledger.AddObservation(step, "c" + step, "shell", "shell `ls`", "listing " + step + new string('.', 200), false, null);
        }

        ledger.AddAssistant(6, "read again");
        ledger.AddObservation(6, "c6", "read_file", "read_file a.py", Numbered(1, "x", "y"), false, View("a.py", 1, "x", "y"));
        ledger.Mask(5);

        Assert.False(first.Masked);
        Assert.True(ledger.Items.Where(i => i.Kind == ContextItemKind.Observation && i.Step is >= 2 and <= 4).All(i => i.Masked));
    }

    [Fact]
    public void Compact_ThenReread_ServesTheFileInFullAgain()
    {
        var ledger = Ledger();
        ledger.AddAssistant(1, "read");
        ledger.AddObservation(1, "c1", "read_file", "read_file a.py", Numbered(1, "x", "y"), false, View("a.py", 1, "x", "y"));
        ledger.AddAssistant(2, "more");
        ledger.AddAssistant(3, "more");
        var cut = ledger.CompactionCut();
        Assert.NotNull(cut);
        ledger.Compact("summary", cut.Value.ReplacedMessages);
        ledger.AddAssistant(4, "read again");
        var again = ledger.AddObservation(4, "c4", "read_file", "read_file a.py", Numbered(1, "x", "y"), false, View("a.py", 1, "x", "y"));

        Assert.Equal(ContextSaving.None, again.Saving);
        Assert.Equal(ContextItemKind.Summary, ledger.Items[0].Kind);
        Assert.DoesNotContain(ledger.Items, i => i.Step == 1);
    }
}
