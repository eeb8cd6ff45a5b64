using Microsoft.Extensions.Options;
using Rein.Hosting.Sessions;
using Rein.Journal;
using Rein.Storage.Sqlite;
using Rein.Testing;

namespace Rein.Hosting.Tests;

/// <summary>A temporary store, workspace and user folders, and session hosts over them with an environment of their own.</summary>
internal sealed class HostingTestbed : IDisposable
{
    private readonly TempDirectory _temp = new("rein-hosting");
    private readonly List<IDisposable> _owned = [];

    public HostingTestbed()
    {
        Directory.CreateDirectory(Workspace);
        Directory.CreateDirectory(Combine("home"));
    }

    public string Workspace => Combine("workspace");

    public string StorePath => Combine("data", "rein.db");

    public Dictionary<string, string> Environment { get; } = new(StringComparer.Ordinal) { ["REIN_SANDBOX"] = "none" };

    public string Combine(params string[] parts) => _temp.Combine(parts);

    /// <summary>Writes a scripted model's turns and returns its model specification.</summary>
    public string Script(string json)
    {
        var path = _temp.Write($"script-{Guid.NewGuid():N}.json", json);
        return $"scripted:{path}";
    }

    public SessionHost CreateHost(Action<ReinOptions>? configure = null)
    {
        var options = new ReinOptions { StorePath = StorePath, PollInterval = TimeSpan.FromMilliseconds(50) };
        configure?.Invoke(options);
        var host = new SessionHost(Options.Create(options), environment: Read);
        _owned.Add(host);
        return host;
    }

    /// <summary>A second store over the same file: what another process sees and does.</summary>
    public SqliteSessionStore OpenStore()
    {
        var store = new SqliteSessionStore(new SqliteSessionStoreOptions { Path = StorePath });
        _owned.Add(store);
        return store;
    }

    public async Task<IReadOnlyList<RecordedEvent>> JournalAsync(string sessionId) =>
        await OpenStore().ReadAsync(sessionId, 0, TestContext.Current.CancellationToken);

    public string? Read(string name) => name switch
    {
        "HOME" => Combine("home"),
        "REIN_CONFIG_DIR" => Combine("config"),
        "XDG_DATA_HOME" => Combine("data-home"),
        "REIN_MANAGED_SETTINGS" => Combine("managed-settings.json"),
        _ => Environment.GetValueOrDefault(name),
    };

    public void Dispose()
    {
        foreach (var owned in Enumerable.Reverse(_owned))
        {
            owned.Dispose();
        }

        _temp.Dispose();
    }
}
