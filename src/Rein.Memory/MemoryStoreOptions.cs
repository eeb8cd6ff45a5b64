namespace Rein.Memory;

/// <summary>Options of a <see cref="MemoryStore"/>.</summary>
public sealed class MemoryStoreOptions
{
    /// <summary>Gets or sets the SQLite file. Required; created, with its folder, when missing.</summary>
    public string Path { get; set; } = "";

    /// <summary>Gets or sets how long a write waits for another process's write to finish. Default: 5 seconds.</summary>
    public TimeSpan BusyTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Gets or sets the clock that stamps memories. Default: <see cref="TimeProvider.System"/>.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;
}
