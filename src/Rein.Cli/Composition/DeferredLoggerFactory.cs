using Microsoft.Extensions.Logging;

namespace Rein.Cli.Composition;

/// <summary>
/// A logger factory that builds the real one (the console providers with their configuration, options and background
/// writer) only when something is logged at an enabled level. Most commands log nothing, and then never load or start it.
/// </summary>
/// <remarks>Thread-safe. Once disposed, logging does nothing.</remarks>
internal sealed class DeferredLoggerFactory(LogLevel minimum, Func<ILoggerFactory> create) : ILoggerFactory
{
    private readonly LogLevel _minimum = minimum;
    private readonly Lock _gate = new();
    private ILoggerFactory? _inner;
    private bool _disposed;

    public ILogger CreateLogger(string categoryName) => new DeferredLogger(this, categoryName);

    public void AddProvider(ILoggerProvider provider)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            (_inner ??= create()).AddProvider(provider);
        }
    }

    /// <summary>Flushes and closes the real factory, if one was built.</summary>
    public void Dispose()
    {
        ILoggerFactory? inner;
        lock (_gate)
        {
            _disposed = true;
            inner = _inner;
        }

        inner?.Dispose();
    }

    private ILogger? Resolve(string categoryName)
    {
        lock (_gate)
        {
            return _disposed ? null : (_inner ??= create()).CreateLogger(categoryName);
        }
    }

    private sealed class DeferredLogger(DeferredLoggerFactory owner, string categoryName) : ILogger
    {
        private ILogger? _logger;

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => _logger?.BeginScope(state);

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None && logLevel >= owner._minimum;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
            {
                (_logger ??= owner.Resolve(categoryName))?.Log(logLevel, eventId, state, exception, formatter);
            }
        }
    }
}
