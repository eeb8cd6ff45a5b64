using System.Text.Json;
using Microsoft.Data.Sqlite;
using Rein.Hosting.Configuration;
using Rein.Journal;
using Rein.Memory;
using Rein.Tools;

namespace Rein.Hosting.Composition;

/// <summary>
/// Long-term memory for one run: the store (<c>memory.db</c> beside the session store), the <c>remember</c>,
/// <c>recall</c> and <c>forget</c> tools, and the recaller that puts memories in the context.
/// Turned off with <c>"memory": {"enabled": false}</c> in a settings file or agent profile.
/// </summary>
internal sealed class MemorySetup
{
    private MemorySetup(MemoryStore store, MemoryVisibility visibility)
    {
        Store = store;
        Visibility = visibility;
        Tools = MemoryTools.Create(store, visibility);
        Recaller = new MemoryRecaller(store, visibility);
    }

    public MemoryStore Store { get; }

    /// <summary>This user, agent profile and project: the memories the session sees.</summary>
    public MemoryVisibility Visibility { get; }

    public IReadOnlyList<ITool> Tools { get; }

    public MemoryRecaller Recaller { get; }

    /// <summary>The memory file: <c>memory.db</c> in the folder of the session store.</summary>
    public static string PathFor(ResolvedSettings settings) => Path.Combine(settings.DataDirectory, "memory.db");

    /// <summary>Whether memory is on: the last <c>"memory": {"enabled": …}</c> of the profile, user, project and managed settings wins; on by default.</summary>
    /// <exception cref="SettingsException">The <c>memory</c> key is not an object with a true/false <c>enabled</c>.</exception>
    public static bool IsEnabled(ResolvedSettings settings)
    {
        var enabled = true;
        foreach (var document in settings.Documents)
        {
            if (!document.Root.TryGetProperty("memory", out var memory) || memory.ValueKind == JsonValueKind.Null)
            {
                continue;
            }

            if (memory.ValueKind != JsonValueKind.Object)
            {
                throw new SettingsException($"{document.Path}: \"memory\" must be an object, e.g. {{\"enabled\": false}}.");
            }

            if (memory.TryGetProperty("enabled", out var value))
            {
                enabled = value.ValueKind switch
                {
                    JsonValueKind.True => true,
                    JsonValueKind.False => false,
                    _ => throw new SettingsException($"{document.Path}: \"memory\": \"enabled\" must be true or false."),
                };
            }
        }

        return enabled;
    }

    /// <summary>The scopes a session of these settings sees.</summary>
    public static MemoryVisibility VisibilityFor(ResolvedSettings settings, string principal, string workspace) =>
        new(principal, settings.Profile?.Name, workspace);

    /// <summary>Opens the memory of a run, or returns null when memory is turned off.</summary>
    /// <exception cref="SettingsException">The <c>memory</c> settings are invalid.</exception>
    public static MemorySetup? Create(ResolvedSettings settings, string principal, string workspace) =>
        IsEnabled(settings)
            ? new MemorySetup(new MemoryStore(new MemoryStoreOptions { Path = PathFor(settings) }), VisibilityFor(settings, principal, workspace))
            : null;

    /// <summary>
    /// Chooses the memories to journal before a new user message. A memory file that cannot be read does not stop
    /// the run: it is reported through <paramref name="notice"/> and nothing is recalled.
    /// </summary>
    public async Task<MemoriesRecalled?> RecallAsync(SessionState state, string message, Action<string> notice, CancellationToken cancellationToken)
    {
        try
        {
            return await Recaller.RecallAsync(state, message, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is SqliteException or IOException or UnauthorizedAccessException or InvalidOperationException)
        {
            notice($"rein: warning: memories not recalled: {ex.Message}");
            return null;
        }
    }
}
