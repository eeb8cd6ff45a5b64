using System.Text.Json;
using Rein.Context.CodeMemory;
using Rein.Testing;
using Rein.Tools;

namespace Rein.Context.Tests.CodeMemory;

/// <summary>
/// Reads real files with the real read_file tool while they are edited by the agent, by "the user" and
/// by commands, with masking and compaction along the way; after every read the lines the model holds
/// must rebuild the file exactly as it is on disk.
/// </summary>
public sealed class CodeMemoryInvariantTests
{
    private readonly CancellationToken _ct = TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(3)]
    [InlineData(11)]
    [InlineData(2024)]
    public async Task LongSession_EveryRead_RebuildsTheFileOnDiskExactly(int seed)
    {
        using var workspace = new TempDirectory();
        var random = new Random(seed);
        var files = new[] { "a.py", "src/b.cs", "src/c.txt", "d.md" };
        foreach (var file in files)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(workspace.Combine(file))!);
            await File.WriteAllLinesAsync(workspace.Combine(file), Enumerable.Range(1, random.Next(5, 80)).Select(i => $"{file} line {i}"), _ct);
        }

        var tool = new ReadFileTool();
        var ledger = new ContextLedger(new ContextOptions { KeepRecentObservations = 4, MinMaskTokens = 0, MaskMargin = 0 }, new QuarterCounter(), "system");
        ledger.AddUser("work on the files");
        var references = 0;
        var diffs = 0;
        for (var step = 1; step <= 300; step++)
        {
            var file = files[random.Next(files.Length)];
            var roll = random.Next(100);
            ledger.AddAssistant(step, $"step {step}");
            if (roll < 55)
            {
                var total = (await File.ReadAllLinesAsync(workspace.Combine(file), _ct)).Length;
                var whole = random.Next(2) == 0 || total < 3;
                var start = whole ? 1 : random.Next(1, total);
                var end = whole ? (int?)null : random.Next(start, total + 1);
                var arguments = JsonSerializer.SerializeToElement(end is null ? new Dictionary<string, object> { ["path"] = file } : new Dictionary<string, object> { ["path"] = file, ["start_line"] = start, ["end_line"] = end.Value });
                var result = await tool.InvokeAsync(new ToolInvocation("c" + step, arguments, new ToolContext("s", workspace.Path)), _ct);
                var view = ReadFileOutput.Parse(arguments, result.Content);
                var item = ledger.AddObservation(step, "c" + step, "read_file", "read_file " + file, result.Content, result.IsError, view);
                references += item.Rendered.Contains("unchanged since", StringComparison.Ordinal) ? 1 : 0;
                diffs += item.Rendered.Contains("unified diff", StringComparison.Ordinal) ? 1 : 0;

                var disk = await File.ReadAllLinesAsync(workspace.Combine(file), _ct);
                var last = Math.Min(end ?? disk.Length, disk.Length);
                var truth = new FileView(file, start, disk[(start - 1)..last], ReachesEnd: last == disk.Length);
                Assert.True(ContextReader.Conveys(ledger.Items, truth), $"step {step}: the context does not rebuild {file} lines {start}-{last} as on disk");
            }
            else if (roll < 85)
            {
                // An edit: by the agent, a command, a hook or the user — the context is not told.
                var lines = (await File.ReadAllLinesAsync(workspace.Combine(file), _ct)).ToList();
                switch (random.Next(3))
                {
                    case 0:
                        lines.Insert(random.Next(lines.Count + 1), $"inserted at step {step}");
                        break;
                    case 1 when lines.Count > 3:
                        lines.RemoveAt(random.Next(lines.Count));
                        break;
                    default:
                        if (lines.Count > 0)
                        {
                            var at = random.Next(lines.Count);
                            lines[at] = lines[at] + "!";
                        }

                        break;
                }

                await File.WriteAllLinesAsync(workspace.Combine(file), lines, _ct);
                ledger.AddObservation(step, "c" + step, "shell", "shell edit", "ok", false, null);
            }
            else if (roll < 95)
            {
                ledger.AddObservation(step, "c" + step, "shell", "shell ls", "listing " + random.Next(3), false, null);
                if (ledger.PlanMasking(step + 1) is { } plan)
                {
                    ledger.Mask(plan.ThroughStep);
                }
            }
            else if (ledger.CompactionCut() is { } cut)
            {
                ledger.AddObservation(step, "c" + step, "shell", "shell true", "", false, null);
                ledger.Compact("summary", cut.ReplacedMessages);
            }
        }

        Assert.True(references > 3, $"only {references} re-reads were shown as references");
        Assert.True(diffs > 0, $"only {diffs} re-reads were shown as diffs");
    }
}
