namespace Rein.Engine;

/// <summary>A model request failed and is about to be tried again; shown while waiting, never journaled.</summary>
/// <param name="Attempt">The attempt about to be made (2 for the first retry).</param>
/// <param name="MaxAttempts">How many attempts there are in all.</param>
/// <param name="Reason">Why the previous attempt failed, e.g. <c>HTTP 500</c>, <c>HTTP 429 (rate limited)</c>, <c>timed out</c>.</param>
/// <param name="Delay">How long the retry waits first.</param>
public sealed record ModelRetrying(int Attempt, int MaxAttempts, string Reason, TimeSpan Delay) : AgentUpdate
{
    /// <summary>The one-line text surfaces show, e.g. <c>retrying: HTTP 500, attempt 2 of 5</c>.</summary>
    public string Text => $"retrying: {Reason}, attempt {Attempt} of {MaxAttempts}";
}

/// <summary>
/// Carries retry notices from the HTTP pipeline of a model client to the run that made the call: the loop observes
/// its own model calls, and a client reports into whichever call it is serving (the flow of the awaiting call).
/// </summary>
/// <remarks>Thread-safe; a report with no observer in the calling flow is dropped.</remarks>
public static class ModelRetries
{
    private static readonly AsyncLocal<Action<ModelRetrying>?> Observer = new();

    /// <summary>Reports a retry to the observer of the current call, if any.</summary>
    /// <param name="retry">The retry about to happen.</param>
    public static void Report(ModelRetrying retry) => Observer.Value?.Invoke(retry);

    /// <summary>Observes the retries of the model calls made from the current flow until the returned scope is disposed.</summary>
    /// <param name="observer">Called on the retrying thread; it must not block.</param>
    /// <returns>The scope; dispose it when the call is over.</returns>
    public static IDisposable Observe(Action<ModelRetrying> observer)
    {
        ArgumentNullException.ThrowIfNull(observer);
        var previous = Observer.Value;
        Observer.Value = observer;
        return new Scope(previous);
    }

    private sealed class Scope(Action<ModelRetrying>? previous) : IDisposable
    {
        public void Dispose() => Observer.Value = previous;
    }
}
