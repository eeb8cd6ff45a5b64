using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Rein.Cli.Composition;

namespace Rein.Cli.Tests;

public sealed class DeferredLoggerFactoryTests
{
    [Fact]
    public void Log_BelowTheLevel_NeverBuildsTheRealFactory()
    {
        var built = 0;
        using var factory = new DeferredLoggerFactory(LogLevel.Warning, () => { built++; return NullLoggerFactory.Instance; });
        var logger = factory.CreateLogger("test");

        logger.LogInformation("quiet");
        logger.LogDebug("quieter");

        Assert.Equal(0, built);
        Assert.False(logger.IsEnabled(LogLevel.Information));
        Assert.True(logger.IsEnabled(LogLevel.Warning));
    }

    [Fact]
    public void Log_AtTheLevel_BuildsTheRealFactoryOnceAndForwardsEveryLine()
    {
        var built = 0;
        var provider = new RecordingProvider();
        using var factory = new DeferredLoggerFactory(LogLevel.Warning, () =>
        {
            built++;
            return LoggerFactory.Create(builder => builder.AddProvider(provider));
        });

        factory.CreateLogger("one").LogWarning("first");
        factory.CreateLogger("two").LogError("second");

        Assert.Equal(1, built);
        Assert.Equal(["one: first", "two: second"], provider.Lines);
    }

    [Fact]
    public void Log_AfterDispose_DoesNothing()
    {
        var built = 0;
        var factory = new DeferredLoggerFactory(LogLevel.Warning, () => { built++; return NullLoggerFactory.Instance; });
        var logger = factory.CreateLogger("test");
        factory.Dispose();

        logger.LogError("too late");

        Assert.Equal(0, built);
    }

    private sealed class RecordingProvider : ILoggerProvider
    {
        public List<string> Lines { get; } = [];

        public ILogger CreateLogger(string categoryName) => new Recorder(this, categoryName);

        public void Dispose()
        {
        }

        private sealed class Recorder(RecordingProvider owner, string category) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
                owner.Lines.Add($"{category}: {formatter(state, exception)}");
        }
    }
}
