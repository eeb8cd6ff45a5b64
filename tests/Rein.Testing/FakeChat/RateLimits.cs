namespace Rein.Testing.FakeChat;

/// <summary>How many of a fake's next calls are refused as rate-limited, and how many were. Thread-safe.</summary>
internal sealed class RateLimits
{
    private readonly Lock _lock = new();
    private int _count;
    private int _retryAfter;
    private int _refused;

    /// <summary>Gets how many calls were refused.</summary>
    public int Refused => Volatile.Read(ref _refused);

    /// <summary>Refuses the next <paramref name="count"/> calls, asking to retry after <paramref name="retryAfterSeconds"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A value is negative.</exception>
    public void Next(int count, int retryAfterSeconds)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfNegative(retryAfterSeconds);
        lock (_lock)
        {
            _count = count;
            _retryAfter = retryAfterSeconds;
        }
    }

    /// <summary>The wait to ask for when this call is to be refused (and counts it), else null.</summary>
    public int? TryTake()
    {
        lock (_lock)
        {
            if (_count == 0)
            {
                return null;
            }

            _count--;
            _refused++;
            return _retryAfter;
        }
    }
}
