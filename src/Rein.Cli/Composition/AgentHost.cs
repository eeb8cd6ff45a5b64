using Microsoft.Extensions.AI;
using Rein.Cli.Configuration;
using Rein.Engine;
using Rein.Guard.Checkpoints;
using Rein.Journal;
using Rein.Models;
using Rein.Providers;
using Rein.Storage.Sqlite;
using Rein.Tools;

namespace Rein.Cli.Composition;

/// <summary>Composes the store, model, tools and loop for one command from its resolved settings.</summary>
internal sealed class AgentHost : IDisposable
{
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(60) };

    private AgentHost(ResolvedSettings settings, ISessionStore store)
    {
        Settings = settings;
        Store = store;
    }

    public ResolvedSettings Settings { get; }

    public ISessionStore Store { get; }

    public static AgentHost Open(ResolvedSettings settings)
    {
        var store = new SqliteSessionStore(new SqliteSessionStoreOptions { Path = settings.StorePath });

        // Opening the database (native library, schema check, WAL) takes tens of milliseconds; do it
        // while the model client and tools are being set up. Failures surface on the first real use.
        _ = Task.Run(async () =>
        {
            try
            {
                await store.ListAsync(1);
            }
            catch (Exception ex) when (ex is IOException or InvalidOperationException or Microsoft.Data.Sqlite.SqliteException)
            {
            }
        });
        return new(settings, store);
    }

    /// <summary>The model specification from the settings.</summary>
    /// <exception cref="SettingsException">No model is configured.</exception>
    public string RequireModel() => Settings.Values.Model is { Length: > 0 } model ? model
        : throw new SettingsException(
            "No model configured. Pass --model (e.g. openai:gpt-5.5, anthropic:claude-sonnet-4-5, ollama:qwen3 or scripted:turns.json), " +
            "set REIN_MODEL, or add \"model\" to .rein/settings.json.");

    /// <summary>Creates the chat client for a model specification.</summary>
    public async Task<IChatClient> CreateChatClientAsync(string model, CancellationToken cancellationToken)
    {
        var colon = model.IndexOf(':', StringComparison.Ordinal);
        var provider = colon > 0 ? model[..colon] : model;
        var name = colon > 0 ? model[(colon + 1)..] : "";
        switch (provider)
        {
            case "scripted":
                try
                {
                    return ScriptedChatClient.FromFile(Path.GetFullPath(name));
                }
                catch (Exception ex) when (ex is FileNotFoundException or FormatException)
                {
                    throw new SettingsException(ex.Message);
                }

            case "replay":
                var source = await Store.GetAsync(name, cancellationToken) ?? throw new SessionNotFoundException(name);
                return await ReplayChatClient.FromSessionAsync(Store, source.Id, cancellationToken);
            default:
                try
                {
                    return ModelProviders.Create(ModelSpec.Parse(model), new ProviderOptions { BaseUrl = Settings.Values.BaseUrl });
                }
                catch (FormatException ex)
                {
                    throw new SettingsException($"{ex.Message.TrimEnd('.')}; offline: scripted:FILE, replay:SESSION_ID.");
                }
                catch (ArgumentException ex)
                {
                    throw new SettingsException(ex.Message);
                }
        }
    }

    /// <summary>Creates the agent loop.</summary>
    public AgentLoop CreateLoop(IChatClient chatClient, string workspace) =>
        new(
            chatClient,
            new ToolSet(BuiltInTools.CreateAll(_http)),
            new AppendOnlyContextBuilder(SystemPrompt.For(workspace)),
            new AgentLoopOptions { MaxSteps = Settings.Values.MaxSteps ?? SettingsResolver.DefaultMaxSteps },
            configurePipeline: pipeline =>
            {
                // Checkpoints stay the innermost stage: only calls that will really run are snapshotted.
                pipeline.UseCheckpoints(CreateCheckpointOptions());
            });

    /// <summary>Where workspace checkpoints live (a <c>checkpoints</c> folder next to the session store) and what they leave out.</summary>
    public CheckpointOptions CreateCheckpointOptions()
    {
        var store = Path.GetFullPath(Settings.StorePath);
        return new CheckpointOptions
        {
            Folder = Path.Combine(Path.GetDirectoryName(store)!, "checkpoints"),
            ExcludedPaths = [store, store + "-wal", store + "-shm", store + "-journal"],
        };
    }

    public void Dispose() => _http.Dispose();
}
