using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Rein.Context;
using Rein.Context.Instructions;
using Rein.Context.Tokens;
using Rein.Engine;
using Rein.Guard.Approvals;
using Rein.Guard.Checkpoints;
using Rein.Guard.Secrets;
using Rein.Hosting.Configuration;
using Rein.Hosting.Profiles;
using Rein.Journal;
using Rein.Models;
using Rein.Providers;
using Rein.Storage.Sqlite;
using Rein.Tools;

namespace Rein.Hosting.Composition;

/// <summary>How an <see cref="AgentHost"/> logs, tells its user things and whom it acts for.</summary>
internal sealed class AgentHostOptions
{
    /// <summary>Where the host and its sessions log; <see cref="NullLoggerFactory"/> when null.</summary>
    public ILoggerFactory? LoggerFactory { get; init; }

    /// <summary>Whether the host disposes <see cref="LoggerFactory"/> (flushing what is queued) when it is disposed; false by default.</summary>
    public bool OwnsLoggerFactory { get; init; }

    /// <summary>
    /// Receives the warnings a person should see, one whole line each (e.g. <c>rein: warning: …</c>); the CLI prints them on
    /// standard error. Null logs them as warnings.
    /// </summary>
    public Action<string>? Notice { get; init; }

    /// <summary>Who sessions run for (budgets, memory, the session's label); null for <c>REIN_PRINCIPAL</c>, else the OS user.</summary>
    public string? Principal { get; init; }

    /// <summary>
    /// An open store of the settings' store file that the host journals in and leaves open when it is disposed (a session host
    /// shares one among its runs); null opens one for the host.
    /// </summary>
    public SqliteSessionStore? SharedStore { get; init; }

    /// <summary>The HTTP handler every model client of the host sends through (a session host's runs share one pool of connections); null gives each client its own.</summary>
    public HttpMessageHandler? ModelHttpHandler { get; init; }
}

/// <summary>Composes the store, model, tools and loop for one command from its resolved settings.</summary>
internal sealed partial class AgentHost : IDisposable
{
    private readonly bool _ownsLoggerFactory;

    private AgentHost(ResolvedSettings settings, ISessionStore store, AgentHostOptions options)
    {
        Settings = settings;
        Store = store;
        LoggerFactory = options.LoggerFactory ?? NullLoggerFactory.Instance;
        _ownsLoggerFactory = options.OwnsLoggerFactory;
        var logger = LoggerFactory.CreateLogger<AgentHost>();
        Notice = options.Notice ?? (line => Log.Notice(logger, line));
        Principal = options.Principal ?? Configuration.Principal.Current(Environment.GetEnvironmentVariable);
        _signedIn = options.Principal is not null;
        _modelHttpHandler = options.ModelHttpHandler;
    }

    private readonly HttpMessageHandler? _modelHttpHandler;

    /// <summary>Whether sessions run for a principal who signed in (a server's caller) rather than the person at this machine.</summary>
    private readonly bool _signedIn;

    /// <summary>Where the host and the loops it creates log.</summary>
    public ILoggerFactory LoggerFactory { get; }

    /// <summary>Tells the person using Rein something they should see (one whole line), as <see cref="AgentHostOptions.Notice"/> says.</summary>
    public Action<string> Notice { get; }

    /// <summary>The stored secrets shell commands may ask for, or null when there is no secrets file.</summary>
    private SecretStore? Secrets { get; init; }

    /// <summary>Scrubs secret values from observations, journal events and what commands print from checkpoints; empty without secrets.</summary>
    public SecretRedactor Redactor { get; private init; } = SecretRedactor.Empty;

    public ResolvedSettings Settings { get; }

    public ISessionStore Store { get; }

    /// <summary>Who is using Rein, the label of sessions, budgets and memory (<see cref="AgentHostOptions.Principal"/>, else <c>REIN_PRINCIPAL</c>, else the OS user).</summary>
    public string Principal { get; }

    /// <summary>
    /// Who answers approvals here: the principal sessions run for when one signed in (<see cref="AgentHostOptions.Principal"/>),
    /// else the OS user (<c>REIN_PRINCIPAL</c> only when managed settings allow it).
    /// </summary>
    public string Approver => _signedIn ? Principal : Configuration.Principal.Approver(Settings, Environment.GetEnvironmentVariable);

    /// <summary>
    /// Who may approve tool calls and how long requests wait, from the settings files; with no approvers named, the
    /// <see cref="Approver"/> who starts the session. Journaled when a session starts (<see cref="SessionStarted.Approvals"/>), which then decides.
    /// </summary>
    public ApprovalOptions ApprovalOptions
    {
        get
        {
            var options = new ApprovalOptions { Principal = Approver };
            foreach (var document in Settings.Documents)
            {
                options.Read(document.Root, document.Path);
            }

            return options;
        }
    }

    /// <summary>The database behind <see cref="Store"/>'s decorators, closed with the host.</summary>
    private SqliteSessionStore? Database { get; init; }

    /// <summary>Opens the store of the settings and composes what its sessions need.</summary>
    /// <param name="settings">The resolved settings.</param>
    /// <param name="options">Logging, notices and principal; defaults when null.</param>
    public static AgentHost Open(ResolvedSettings settings, AgentHostOptions? options = null)
    {
        var shared = options?.SharedStore is { } given && given.Path == Path.GetFullPath(settings.StorePath) ? given : null;
        var store = shared ?? new SqliteSessionStore(new SqliteSessionStoreOptions { Path = settings.StorePath });

        // Opening the database (native library, schema check, WAL) takes tens of milliseconds; do it
        // while the model client and tools are being set up. Failures surface on the first real use.
        if (shared is null)
        {
            _ = Task.Run(async () =>
            {
                try
                {
                    await store.ListAsync(1).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is IOException or InvalidOperationException or Microsoft.Data.Sqlite.SqliteException)
                {
                }
            });
        }

        var secrets = StoredSecrets.OpenExisting(Environment.GetEnvironmentVariable);
        var redactor = secrets is null ? SecretRedactor.Empty : SecretRedactor.Create(secrets);
        // Telemetry sees the events as stored: after redaction.
        var journal = new Rein.Telemetry.TelemetrySessionStore(redactor.IsEmpty ? store : new RedactingSessionStore(store, redactor), TelemetrySettings.Read(settings, Environment.GetEnvironmentVariable));
        return new(settings, journal, options ?? new AgentHostOptions()) { Secrets = secrets, Redactor = redactor, Database = shared is null ? store : null };
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
                var source = await Store.GetAsync(name, cancellationToken).ConfigureAwait(false) ?? throw new SessionNotFoundException(name);
                return await ReplayChatClient.FromSessionAsync(Store, source.Id, cancellationToken).ConfigureAwait(false);
            default:
                try
                {
                    return ModelProviders.Create(ModelSpec.Parse(model), new ProviderOptions { BaseUrl = Settings.Values.BaseUrl, LoggerFactory = LoggerFactory, PrimaryHandler = _modelHttpHandler });
                }
                catch (FormatException ex)
                {
                    throw new SettingsException($"{ex.Message.TrimEnd('.')}; offline: scripted:FILE, replay:SESSION_ID.");
                }
                catch (ArgumentException ex)
                {
                    throw new SettingsException(ErrorText.Of(ex));
                }
        }
    }

    /// <summary>
    /// Starts the MCP servers the settings configure for a session in <paramref name="workspace"/> and lists their tools; a
    /// server that cannot start is reported in the toolbox's failures and offers nothing. Stop them (dispose) when the session ends.
    /// </summary>
    /// <exception cref="SettingsException">An MCP server entry is not well formed.</exception>
    /// <param name="workspace">The session's workspace.</param>
    /// <param name="extra">Servers of this run besides the settings' (an editor's); they win over settings servers of the same name.</param>
    /// <param name="cancellationToken">Cancels the starts.</param>
    public async Task<Rein.Mcp.Client.McpToolbox> StartMcpAsync(string workspace, IReadOnlyList<Rein.Mcp.Configuration.McpServerEntry>? extra, CancellationToken cancellationToken)
    {
        var servers = Rein.Mcp.Configuration.McpConfig.Merge([McpSetup.Servers(Settings, workspace), extra ?? []]);
        return servers.Count == 0
            ? Rein.Mcp.Client.McpToolbox.Empty
            : await Rein.Mcp.Client.McpToolbox.StartAsync(servers, McpSetup.Launch(Settings, workspace, Secrets, LoggerFactory), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Sessions this host has run (their SessionStart hooks ran).</summary>
    internal System.Collections.Concurrent.ConcurrentDictionary<string, bool> StartedSessions { get; } = new(StringComparer.Ordinal);

    /// <summary>The largest observation the journal keeps whole; larger ones are cut head and tail before they are journaled.</summary>
    private const int JournalObservationCap = 2_000_000;

    /// <summary>A new session id: a version 7 GUID without dashes, so ids sort by creation time.</summary>
    public static string NewSessionId() => Guid.CreateVersion7().ToString("N");

    /// <summary>Journals the start of a new top-level session of this host's principal, with the approvals and run settings that then decide.</summary>
    /// <param name="workspace">The session's workspace.</param>
    /// <param name="model">The model specification.</param>
    /// <param name="origin">Where the session came from, or null.</param>
    /// <param name="cancellationToken">Cancels the start.</param>
    public async Task<SessionWriter> StartSessionAsync(string workspace, string model, string? origin, CancellationToken cancellationToken)
    {
        var started = new SessionStarted(NewSessionId(), workspace, model, Settings.Profile?.Name, Principal, Origin: origin, Approvals: ApprovalOptions.ToJournal(), RunSettings: RecordedRunSettings.From(Settings.Values));
        return await SessionWriter.StartAsync(Store, started, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Composes a session's loop with the production guards from the settings, and the lifecycle around its runs.</summary>
    /// <param name="chatClient">The model.</param>
    /// <param name="workspace">The session's workspace.</param>
    /// <param name="model">The model specification (for prices).</param>
    /// <param name="approvals">Asks a person, or null when nobody can answer (an ask then suspends the session).</param>
    /// <param name="modeOverride">A permission mode used when neither flags nor settings pick one (the demo uses workspace-write).</param>
    /// <param name="subAgent">For a sub-agent's loop: its profile and budget share, and no <c>task</c> tool; null for a top-level loop.</param>
    /// <param name="shellMaxTimeoutSeconds">The largest timeout a <c>shell</c> call may ask for; null for the tool's own maximum (an eval's scripted solution.sh gets its task's limit).</param>
    /// <param name="mcp">The session's MCP servers (<see cref="StartMcpAsync"/>), whose tools it offers; the caller stops them when the session ends.</param>
    /// <param name="editor">The editor whose files the file tools read and write, or null for the disk.</param>
    /// <exception cref="SettingsException">A guard section of a settings file is invalid.</exception>
    public ReinSession CreateSession(IChatClient chatClient, string workspace, string model, IApprovalChannel? approvals = null, string? modeOverride = null, SubAgentScope? subAgent = null, int? shellMaxTimeoutSeconds = null, Rein.Mcp.Client.McpToolbox? mcp = null, Rein.Tools.IEditorFiles? editor = null)
    {
        ProfileTools.RequireSurface(Settings.Profile, "cli");
        var guards = GuardSetup.Create(Settings, workspace, Store, modeOverride, TimeProvider.System, Redactor, subAgent?.Budget, LoggerFactory);
        var memory = MemorySetup.Create(Settings, Principal, workspace);
        var options = new AgentLoopOptions
        {
            MaxSteps = subAgent?.MaxSteps ?? Settings.Values.MaxSteps ?? SettingsResolver.DefaultMaxSteps,
            Pricing = guards.Prices.CreatePricing(model),
            TokenCounter = TokenCounters.ForModel(model),
            Editor = editor,
        };
        _ = TokenCounters.WarmUp(model);
        options.StepGuards.Add(guards.Budget);

        // The journal keeps outputs whole (up to a safety cap); the context engine decides what the model sees.
        options.MaxObservationChars = JournalObservationCap;
        var context = ContextSetup.Create(Settings, model, chatClient, SystemPrompt.For(workspace, subAgent is null ? Settings.Profile : subAgent.Profile), options.MaxSteps, LoggerFactory);
        context.BeforeCompaction = async (session, trigger, ct) =>
        {
            var outcome = await guards.Hooks.RunPreCompactAsync(session.SessionId, workspace, trigger, ct).ConfigureAwait(false);
            foreach (var ran in outcome.Events)
            {
                await session.AppendAsync(ran, ct).ConfigureAwait(false);
            }
        };
        var approvalOptions = ApprovalOptions;
        var checkpoints = CreateCheckpointOptions();

        // The first snapshot of a workspace stages every file (the slowest one by far); stage them while the model answers
        // its first request, so the snapshot before the first call that changes files only adds what changed since.
        _ = WorkspaceStaging.Shared.Start(workspace, checkpoints);
        var loop = new AgentLoop(
            chatClient,
            new ToolSet(ProfileTools.Select([.. BuiltInTools.CreateAll(guards.CommandRunner, Secrets, shellMaxTimeoutSeconds ?? ShellTool.MaxTimeoutSeconds), new ReadOutputTool(context), .. memory?.Tools ?? [], .. SubAgentRunner.TaskTools(this, subAgent, chatClient, workspace, model, approvals, modeOverride, guards.Budget.Limits, mcp, editor), .. mcp?.Tools ?? []], Settings.Profile)),
            context,
            options,
            pipeline =>
            {
                // Outermost, so refusals and hook output are scrubbed too.
                pipeline.UseSecretRedaction(Redactor);
                guards.Configure(pipeline, approvals, approvalOptions);
                // After policy and approvals: a refused call loads no instructions.
                pipeline.UseNestedInstructions(new NestedInstructionsOptions { MaxObservationChars = options.MaxObservationChars });
                // Innermost: only calls that will really run are snapshotted.
                pipeline.UseCheckpoints(checkpoints, loggerFactory: LoggerFactory);
            },
            loggerFactory: LoggerFactory);
        return new ReinSession(this, loop, guards, context, memory, subAgent is { Nested: true }) { Mcp = subAgent is { Nested: true } ? null : mcp };
    }

    /// <summary>Where workspace checkpoints live (a <c>checkpoints</c> folder next to the session store) and what they leave out.</summary>
    public CheckpointOptions CreateCheckpointOptions() => CheckpointOptionsFor(Settings.StorePath);

    /// <summary>Where the workspace checkpoints of the sessions in a store live, and what they leave out (the store's own files).</summary>
    public static CheckpointOptions CheckpointOptionsFor(string storePath)
    {
        var store = Path.GetFullPath(storePath);
        return new CheckpointOptions
        {
            Folder = Path.Combine(Path.GetDirectoryName(store)!, "checkpoints"),
            ExcludedPaths = [store, store + "-wal", store + "-shm", store + "-journal"],
        };
    }

    public void Dispose()
    {
        (Store as IDisposable)?.Dispose();
        Database?.Dispose();
        if (_ownsLoggerFactory)
        {
            LoggerFactory.Dispose();
        }
    }

    private static partial class Log
    {
        [LoggerMessage(LogLevel.Warning, "{Notice}")]
        public static partial void Notice(ILogger logger, string notice);
    }
}
