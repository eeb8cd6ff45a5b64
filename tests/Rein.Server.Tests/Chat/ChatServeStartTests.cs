using Rein.Testing;

namespace Rein.Server.Tests.Chat;

/// <summary><c>rein serve</c> refuses to start with chat settings it cannot honour, naming what to fix, and listens on nothing.</summary>
public sealed class ChatServeStartTests : IDisposable
{
    private readonly TempDirectory _home = new("rein-chat-start");

    public void Dispose() => _home.Dispose();

    private async Task<(int ExitCode, string Stdout, string Stderr)> ServeAsync(string? settings, params string[] extra)
    {
        if (settings is not null)
        {
            Directory.CreateDirectory(_home.Combine("config", "rein"));
            await File.WriteAllTextAsync(_home.Combine("config", "rein", "settings.json"), settings, TestContext.Current.CancellationToken);
        }

        using var process = ReinProcesses.Start(_home.Path, _home, ["serve", "--listen", "127.0.0.1:0", "--store", _home.Combine("store.db"), .. extra]);
        var stdout = process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        await process.WaitForExitAsync(TestContext.Current.CancellationToken).WaitAsync(TimeSpan.FromSeconds(60), TestContext.Current.CancellationToken);
        return (process.ExitCode, await stdout, await stderr);
    }

    [Fact]
    public async Task Serve_SlackNamesAMissingSecret_ExitsWithUsageNamingIt()
    {
        var (exit, stdout, stderr) = await ServeAsync("""{"slack": {"signing_secret": "secret:SLACK_SIGNING_SECRET", "bot_token": "secret:SLACK_BOT_TOKEN"}}""");

        Assert.Equal(2, exit);
        Assert.Contains("rein secrets set SLACK_SIGNING_SECRET", stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("Listening on", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Serve_SecretWrittenInTheSettings_IsRefusedWithoutRepeatingIt()
    {
        var (exit, _, stderr) = await ServeAsync("""{"telegram": {"bot_token": "9000:AAH-literal-token-in-a-file"}}""");

        Assert.Equal(2, exit);
        Assert.Contains("telegram.bot_token\" must name a stored secret", stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("AAH-literal-token-in-a-file", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Serve_TelegramPollingWithoutTelegramSettings_ExitsWithUsage()
    {
        var (exit, _, stderr) = await ServeAsync(null, "--telegram-polling");

        Assert.Equal(2, exit);
        Assert.Contains("--telegram-polling needs the \"telegram\" settings", stderr, StringComparison.Ordinal);
    }
}
