namespace Rein.Testing.FakeChat;

/// <summary>The calls and refusals a fake chat service saw, and waiters for calls still to come. Thread-safe.</summary>
internal sealed class CallRecorder<TCall>(string service, Func<TCall, string> describe)
    where TCall : class
{
    private readonly Lock _lock = new();
    private readonly List<TCall> _calls = [];
    private readonly List<string> _violations = [];
    private readonly List<Waiter> _waiters = [];

    public IReadOnlyList<TCall> Calls
    {
        get
        {
            lock (_lock)
            {
                return [.. _calls];
            }
        }
    }

    public IReadOnlyList<string> Violations
    {
        get
        {
            lock (_lock)
            {
                return [.. _violations];
            }
        }
    }

    public void AddViolation(string violation)
    {
        lock (_lock)
        {
            _violations.Add(violation);
        }
    }

    public void Add(TCall call)
    {
        Waiter[] waiters;
        lock (_lock)
        {
            _calls.Add(call);
            waiters = [.. _waiters];
        }

        foreach (var waiter in waiters)
        {
            if (waiter.Match(call) && waiter.Done.TrySetResult(call))
            {
                Remove(waiter);
            }
        }
    }

    public async Task<TCall> WaitForAsync(Func<TCall, bool> match, TimeSpan? timeout, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(match);
        var limit = timeout ?? TimeSpan.FromSeconds(30);
        var waiter = new Waiter(match, new TaskCompletionSource<TCall>(TaskCreationOptions.RunContinuationsAsynchronously));
        TCall[] past;
        lock (_lock)
        {
            past = [.. _calls];
            _waiters.Add(waiter);
        }

        // Calls recorded before the waiter was added are only in the snapshot; later ones are matched by Add.
        foreach (var call in past)
        {
            if (match(call))
            {
                waiter.Done.TrySetResult(call);
                break;
            }
        }

        try
        {
            return await waiter.Done.Task.WaitAsync(limit, cancellationToken);
        }
        catch (TimeoutException)
        {
            var seen = Calls;
            var list = seen.Count == 0 ? "  (none)" : string.Join('\n', seen.Select(c => "  " + describe(c)));
            throw new TimeoutException($"No matching {service} call arrived within {limit.TotalSeconds:0.###} s. Calls seen ({seen.Count}):\n{list}");
        }
        finally
        {
            Remove(waiter);
        }
    }

    private void Remove(Waiter waiter)
    {
        lock (_lock)
        {
            _waiters.Remove(waiter);
        }
    }

    private sealed record Waiter(Func<TCall, bool> Match, TaskCompletionSource<TCall> Done);
}
