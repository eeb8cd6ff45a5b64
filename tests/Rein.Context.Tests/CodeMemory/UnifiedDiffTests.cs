using Rein.Context.CodeMemory;

namespace Rein.Context.Tests.CodeMemory;

public sealed class UnifiedDiffTests
{
    [Fact]
    public void Create_OneChangedLine_WritesOneHunkWithContext()
    {
        var before = new[] { "a", "b", "c", "d", "e", "f", "g" };
        var after = new[] { "a", "b", "c", "D", "e", "f", "g" };

        var diff = UnifiedDiff.Create(before, after, firstLine: 10);

        Assert.Equal("@@ -11,5 +11,5 @@\n b\n c\n-d\n+D\n e\n f\n", diff);
    }

    [Fact]
    public void Create_EqualLines_IsEmpty() => Assert.Equal("", UnifiedDiff.Create(["x", "y"], ["x", "y"]));

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(42)]
    [InlineData(1234)]
    public void TryApply_RandomEdits_ReproducesTheNewLinesExactly(int seed)
    {
        var random = new Random(seed);
        for (var round = 0; round < 50; round++)
        {
            var before = Enumerable.Range(0, random.Next(0, 60)).Select(_ => "line " + random.Next(0, 8)).ToList();
            var after = Mutate(before, random);
            var firstLine = random.Next(1, 30);
            var diff = UnifiedDiff.Create(before, after, firstLine);
            var lines = new SortedDictionary<int, string>();
            for (var i = 0; i < before.Count; i++)
            {
                lines[firstLine + i] = before[i];
            }

            Assert.True(UnifiedDiff.TryApply(lines, diff), diff);
            Assert.Equal(after, lines.Values.ToList());
            Assert.Equal(firstLine, lines.Count == 0 ? firstLine : lines.Keys.First());
        }
    }

    [Fact]
    public void TryApply_ContextDoesNotMatch_Fails()
    {
        var diff = UnifiedDiff.Create(["a", "b", "c"], ["a", "B", "c"]);
        var lines = new SortedDictionary<int, string> { [1] = "a", [2] = "x", [3] = "c" };

        Assert.False(UnifiedDiff.TryApply(lines, diff));
    }

    [Fact]
    public void Create_VeryDifferentLargeInputs_StillApplies()
    {
        var before = Enumerable.Range(0, 1500).Select(i => "old " + i).ToList();
        var after = Enumerable.Range(0, 1400).Select(i => "new " + i).ToList();
        var lines = new SortedDictionary<int, string>(before.Select((l, i) => new KeyValuePair<int, string>(i + 1, l)).ToDictionary());

        Assert.True(UnifiedDiff.TryApply(lines, UnifiedDiff.Create(before, after)));
        Assert.Equal(after, lines.Values.ToList());
    }

    private static List<string> Mutate(List<string> lines, Random random)
    {
        var result = new List<string>(lines);
        for (var edits = random.Next(0, 6); edits > 0; edits--)
        {
            switch (random.Next(3))
            {
                case 0:
                    result.Insert(random.Next(result.Count + 1), "inserted " + random.Next(100));
                    break;
                case 1 when result.Count > 0:
                    result.RemoveAt(random.Next(result.Count));
                    break;
                case 2 when result.Count > 0:
                    result[random.Next(result.Count)] = "changed " + random.Next(100);
                    break;
            }
        }

        return result;
    }
}
