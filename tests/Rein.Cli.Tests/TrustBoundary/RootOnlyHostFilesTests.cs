using System.Text.Json;

namespace Rein.Cli.Tests;

/// <summary>
/// Tests that change the host itself, outside any test's own folders. They run alone, after the parallel tests: a rein
/// process started meanwhile would list the host's private files while the test creates and removes some.
/// </summary>
[CollectionDefinition(nameof(ChangesTheHost), DisableParallelization = true)]
public sealed class ChangesTheHost;

/// <summary>Class 4: host files only root may read stay unreadable in a sandbox that root started.</summary>
[Trait("Category", "e2e")]
[Collection(nameof(ChangesTheHost))]
public sealed class RootOnlyHostFilesTests
{
    [Fact]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public async Task Class4_SandboxAsRoot_RootOnlyHostFilesUnreadable()
    {
        if (!OperatingSystem.IsLinux() || Environment.UserName != "root")
        {
            Assert.Skip("Only a sandbox started by root maps its user to host root; these tests do not run as root.");
        }

        var closed = $"/var/cache/rein-tb-{TrustBoundaryTests.Unique()}";
        var open = closed + "-open";
        var inClosed = "closed-secret-" + TrustBoundaryTests.Unique();
        var inOpen = "open-secret-" + TrustBoundaryTests.Unique();
        try
        {
            // A 0700 folder (as /var/lib/private) and a 0600 file in a world-searchable folder (as /var/cache/debconf/passwords.dat).
            Directory.CreateDirectory(closed, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            File.WriteAllText(Path.Join(closed, "secret.txt"), inClosed);
            Directory.CreateDirectory(open);
            File.WriteAllText(Path.Join(open, "secret.txt"), inOpen);
            File.SetUnixFileMode(Path.Join(open, "secret.txt"), UnixFileMode.UserRead | UnixFileMode.UserWrite);
            using var rein = new ReinProcess();
            var command = $"cat {closed}/secret.txt {open}/secret.txt /var/cache/debconf/passwords.dat; ls -A {closed}; echo CAT-DONE";
            var script = rein.WriteFile("turns.json", JsonSerializer.Serialize(new
            {
                turns = new object[] { new { tool_calls = new[] { new { name = "shell", arguments = new { command } } } }, new { text = "done" } },
            }));

            var run = await rein.RunAsync("run", "--json", "--model", $"scripted:{script}", "read the files");

            Assert.True(run.ExitCode == 0, run.ToString());
            var journal = await TrustBoundaryTests.JournalTextAsync(rein, run);
            Assert.Contains("CAT-DONE", journal, StringComparison.Ordinal);
            Assert.DoesNotContain(inClosed, journal, StringComparison.Ordinal);
            Assert.DoesNotContain(inOpen, journal, StringComparison.Ordinal);
            Assert.DoesNotContain("secret.txt", journal.Replace($"{closed}/secret.txt", "", StringComparison.Ordinal).Replace($"{open}/secret.txt", "", StringComparison.Ordinal), StringComparison.Ordinal);
        }
        finally
        {
            foreach (var folder in new[] { closed, open })
            {
                if (Directory.Exists(folder))
                {
                    Directory.Delete(folder, recursive: true);
                }
            }
        }
    }

    [Fact]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public async Task Class4_SandboxAsRoot_PrivateFilesAddedUnderUsrAfterAnEarlierRun_Unreadable()
    {
        if (!OperatingSystem.IsLinux() || Environment.UserName != "root")
        {
            Assert.Skip("Only a sandbox started by root maps its user to host root; these tests do not run as root.");
        }

        // /usr's scan is kept between processes (HostScanCache): a later process must still see what changed since.
        var open = $"/usr/lib/rein-tb-{TrustBoundaryTests.Unique()}";
        var closed = open + "-closed";
        var inOpen = "usr-open-secret-" + TrustBoundaryTests.Unique();
        var inClosed = "usr-closed-secret-" + TrustBoundaryTests.Unique();
        using var rein = new ReinProcess();
        var command = $"cat {open}/secret.txt {closed}/secret.txt; echo CAT-DONE";
        var script = rein.WriteFile("turns.json", JsonSerializer.Serialize(new
        {
            turns = new object[] { new { tool_calls = new[] { new { name = "shell", arguments = new { command } } } }, new { text = "done" } },
        }));
        try
        {
            var warm = await rein.RunAsync("run", "--json", "--model", $"scripted:{script}", "read the files");
            Assert.True(warm.ExitCode == 0, warm.ToString());

            Directory.CreateDirectory(open);
            File.WriteAllText(Path.Join(open, "secret.txt"), inOpen);
            File.SetUnixFileMode(Path.Join(open, "secret.txt"), UnixFileMode.UserRead | UnixFileMode.UserWrite);
            Directory.CreateDirectory(closed, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            File.WriteAllText(Path.Join(closed, "secret.txt"), inClosed);

            var run = await rein.RunAsync("run", "--json", "--model", $"scripted:{script}", "read the files");

            Assert.True(run.ExitCode == 0, run.ToString());
            var journal = await TrustBoundaryTests.JournalTextAsync(rein, run);
            Assert.Contains("CAT-DONE", journal, StringComparison.Ordinal);
            Assert.DoesNotContain(inOpen, journal, StringComparison.Ordinal);
            Assert.DoesNotContain(inClosed, journal, StringComparison.Ordinal);
        }
        finally
        {
            foreach (var folder in new[] { closed, open })
            {
                if (Directory.Exists(folder))
                {
                    Directory.Delete(folder, recursive: true);
                }
            }
        }
    }
}
