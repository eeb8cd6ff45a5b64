using System.Reflection;
using System.Text.Json.Serialization;
using Rein.Journal;

namespace Rein.Cli.Tests;

/// <summary>docs/json-output.md names every event type and stop reason the code can print.</summary>
public sealed class JsonOutputDocTests
{
    private static readonly string[] Doc = File.ReadAllLines(SourceTree.Combine("docs", "json-output.md"));

    /// <summary>The first column of a section's tables: the names in backticks at the start of each row.</summary>
    private static HashSet<string> FirstColumn(string section)
    {
        var start = Array.FindIndex(Doc, l => l.StartsWith("## ", StringComparison.Ordinal) && l.Contains(section, StringComparison.Ordinal));
        Assert.True(start >= 0, $"docs/json-output.md has no section '{section}'");
        return
        [
            .. Doc.Skip(start + 1).TakeWhile(l => !l.StartsWith("## ", StringComparison.Ordinal))
                .Where(l => l.StartsWith("| `", StringComparison.Ordinal))
                .Select(l => l[3..l.IndexOf('`', 3)]),
        ];
    }

    [Fact]
    public void EventTable_EveryEventTypeInCode_IsDocumented()
    {
        var inCode = typeof(SessionEvent).GetCustomAttributes<JsonDerivedTypeAttribute>().Select(a => (string)a.TypeDiscriminator!).ToHashSet();

        var documented = FirstColumn("Event lines");

        Assert.Empty(inCode.Except(documented));
        Assert.Empty(documented.Except(inCode).Except(["seq", "at", "session_id", "type"]));
    }

    [Fact]
    public void RunStoppedTable_EveryStopReasonInCode_IsDocumentedWithItsExitCode()
    {
        var reasons = typeof(StopReason).GetFields(BindingFlags.Public | BindingFlags.Static).Where(f => f.IsLiteral).Select(f => (string)f.GetRawConstantValue()!);
        var rows = Doc.SkipWhile(l => l != "## `run_stopped`").Where(l => l.StartsWith("| `", StringComparison.Ordinal)).ToList();

        foreach (var reason in reasons)
        {
            var row = rows.FirstOrDefault(r => r.StartsWith($"| `{reason}` | ", StringComparison.Ordinal));
            Assert.True(row is not null, $"stop reason {reason} is not in the run_stopped table of docs/json-output.md");
            Assert.Contains($"| {ExitCodes.ForStopReason(reason)} |", row, StringComparison.Ordinal);
        }
    }
}
