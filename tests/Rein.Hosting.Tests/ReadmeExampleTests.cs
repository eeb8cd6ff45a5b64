using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using Rein.Engine;
using Rein.Hosting.Sessions;
using Rein.Journal;
using Rein.Testing;

namespace Rein.Hosting.Tests;

/// <summary>The README's "Use Rein from your own app" example: the same code, compiled and run.</summary>
public sealed partial class ReadmeExampleTests : IDisposable
{
    private readonly TempDirectory _temp = new("rein-readme");

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Readme_UseFromYourOwnApp_ShowsThisFilesExampleCharacterForCharacter()
    {
        var readme = File.ReadAllText(Path.Combine(SourceRoot(), "README.md"));
        var test = File.ReadAllText(Path.Combine(SourceRoot(), "tests", "Rein.Hosting.Tests", "ReadmeExampleTests.cs"));

        var shown = ReadmeBlock().Match(readme);
        var example = ExampleBlock().Match(test);

        Assert.True(shown.Success, "README.md has no ```csharp block after \"### Use Rein from your own app\".");
        Assert.True(example.Success);
        // The example sits in a method body here: eight spaces deeper than in the README.
        var dedented = string.Join('\n', example.Groups["code"].Value.Split('\n').Select(line => line.StartsWith("        ", StringComparison.Ordinal) ? line[8..] : line));
        Assert.Equal(shown.Groups["code"].Value, dedented);
    }

    [Fact]
    public async Task Example_ScriptedModel_RunsTheSessionToCompletion()
    {
        var workspace = Directory.CreateDirectory(_temp.Combine("project")).FullName;
        var dataFolder = _temp.Combine("data");
        var script = _temp.Write("turns.json", """{"turns":[{"tool_calls":[{"name":"write_file","arguments":{"path":"hello.txt","content":"hi"}}]},{"text":"done"}]}""");
        var output = new StringWriter();

        var done = await RunExampleAsync(workspace, dataFolder, script, output, TestContext.Current.CancellationToken);

        Assert.Equal(SessionStatus.Completed, done.Status);
        Assert.Equal("hi", File.ReadAllText(Path.Combine(workspace, "hello.txt")));
        Assert.Contains("write_file", output.ToString(), StringComparison.Ordinal);
        Assert.EndsWith($"{done.Id}: completed{Environment.NewLine}", output.ToString(), StringComparison.Ordinal);
    }

    private static async Task<SessionTicket> RunExampleAsync(string workspace, string dataFolder, string script, TextWriter output, CancellationToken cancellationToken)
    {
        // README example start
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddRein(options => options.WorkspaceRoots.Add(workspace))
            .AddSqliteStore(Path.Combine(dataFolder, "rein.db"))
            .UseModel($"scripted:{script}")
            .UseGuards(mode: "workspace-write");
        await using var provider = services.BuildServiceProvider();
        var sessions = provider.GetRequiredService<ISessionHost>();

        var ticket = await sessions.StartAsync(new StartSessionRequest("Write hello.txt", workspace), cancellationToken);
        await foreach (var update in sessions.WatchAsync(ticket.Id, afterSequence: 0, cancellationToken))
        {
            if (update is EventAppended { Recorded: var recorded })
            {
                output.WriteLine($"{recorded.Sequence} {recorded.Event.GetType().Name} {(recorded.Event as ToolCallProposed)?.Name}");
                if (recorded.Event is SessionEnded or SessionSuspended)
                {
                    break;
                }
            }
        }

        var done = await sessions.WaitAsync(ticket.Id, cancellationToken);
        output.WriteLine($"{done.Id}: {done.Status}");
        // README example end
        return done;
    }

    private static string SourceRoot()
    {
        var folder = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(folder, "Rein.slnx")))
        {
            folder = Path.GetDirectoryName(folder) ?? throw new DirectoryNotFoundException("The source tree (Rein.slnx) is not above the test's folder.");
        }

        return folder;
    }

    [GeneratedRegex(@"### Use Rein from your own app\n(?:.*\n)*?```csharp\n(?<code>(?:.*\n)*?)```", RegexOptions.None, 1000)]
    private static partial Regex ReadmeBlock();

    [GeneratedRegex(@"// README example start\n(?<code>(?:.*\n)*?) *// README example end", RegexOptions.None, 1000)]
    private static partial Regex ExampleBlock();
}
