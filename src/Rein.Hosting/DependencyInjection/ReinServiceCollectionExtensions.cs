using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Rein.Hosting.Composition;
using Rein.Hosting.Sessions;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Chains Rein's registrations after <see cref="ReinServiceCollectionExtensions.AddRein"/>.</summary>
public interface IReinBuilder
{
    /// <summary>Gets the services Rein is registered in.</summary>
    IServiceCollection Services { get; }
}

/// <summary>Registers Rein's session host.</summary>
public static class ReinServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="ISessionHost"/> (a singleton), the <see cref="ReinOptions"/> it runs sessions with (validated when the
    /// host starts) and the background service that resumes sessions whose approvals were answered elsewhere. Idempotent.
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="configure">Sets options; every call's delegate applies, in order.</param>
    /// <returns>A builder for the store, model, guards and telemetry.</returns>
    /// <remarks>
    /// Needs a store: call <see cref="ReinBuilderExtensions.AddSqliteStore"/>. Logs through the <see cref="ILoggerFactory"/> registered
    /// in <paramref name="services"/>, if any.
    /// </remarks>
    public static IReinBuilder AddRein(this IServiceCollection services, Action<ReinOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var options = services.AddOptions<ReinOptions>();
        if (configure is not null)
        {
            options.Configure(configure);
        }

        if (!services.Any(d => d.ServiceType == typeof(ReinMarker)))
        {
            services.AddSingleton<ReinMarker>();
            options.ValidateOnStart();
        }

        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<ReinOptions>, ReinOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(sp => new SessionHost(sp.GetRequiredService<IOptions<ReinOptions>>(), sp.GetService<ILoggerFactory>(), sp.GetService<TimeProvider>()));
        services.TryAddSingleton<ISessionHost>(sp => sp.GetRequiredService<SessionHost>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, SessionHostWatcher>());
        return new ReinBuilder(services);
    }

    /// <summary>Tells <see cref="AddRein"/> it ran already.</summary>
    private sealed class ReinMarker;

    private sealed class ReinBuilder(IServiceCollection services) : IReinBuilder
    {
        public IServiceCollection Services { get; } = services;
    }
}

/// <summary>The store, model, guards and telemetry of Rein's session host.</summary>
public static class ReinBuilderExtensions
{
    /// <summary>
    /// Binds <see cref="ReinOptions"/> from a configuration section (keys as the properties: <c>Rein:StorePath</c>,
    /// <c>Rein:WorkspaceRoots:0</c>, <c>Rein:MaxSteps</c>…), e.g. appsettings.json or <c>Rein__Model</c> variables; checked at start.
    /// </summary>
    /// <param name="builder">The builder.</param>
    /// <param name="sectionPath">The section; <c>Rein</c> by default.</param>
    /// <returns>The builder.</returns>
    public static IReinBuilder BindConfiguration(this IReinBuilder builder, string sectionPath = "Rein")
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddOptions<ReinOptions>().BindConfiguration(sectionPath);
        return builder;
    }

    /// <summary>Journals sessions in a SQLite file (created with its folder when missing); workspace checkpoints go in a <c>checkpoints</c> folder beside it.</summary>
    /// <param name="builder">The builder.</param>
    /// <param name="path">The store file, e.g. <c>~/.local/share/rein/rein.db</c> to share sessions with the <c>rein</c> command.</param>
    /// <returns>The builder.</returns>
    public static IReinBuilder AddSqliteStore(this IReinBuilder builder, string path)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        builder.Services.Configure<ReinOptions>(o => o.StorePath = path);
        return builder;
    }

    /// <summary>Runs sessions with this model unless a request names another (provider keys come from the usual variables, e.g. <c>OPENAI_API_KEY</c>).</summary>
    /// <param name="builder">The builder.</param>
    /// <param name="model">The model specification: <c>openai:gpt-5.5</c>, <c>anthropic:claude-sonnet-4-5</c>, <c>ollama:qwen3</c>, <c>scripted:FILE</c>….</param>
    /// <param name="baseUrl">The endpoint of an OpenAI-compatible or Ollama server; null for the provider's own.</param>
    /// <returns>The builder.</returns>
    public static IReinBuilder UseModel(this IReinBuilder builder, string model, Uri? baseUrl = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(model);
        builder.Services.Configure<ReinOptions>(o =>
        {
            o.Model = model;
            o.BaseUrl = baseUrl?.ToString() ?? o.BaseUrl;
        });
        return builder;
    }

    /// <summary>
    /// Sets the guards every session runs under (on top of the workspace's and the user's settings files, which may only tighten
    /// what the project's untrusted settings ask for): the permission mode when a request names none, and the folders sessions may run in.
    /// </summary>
    /// <param name="builder">The builder.</param>
    /// <param name="mode">The default permission mode (<c>read-only</c>, <c>ask</c>, <c>accept-edits</c>, <c>workspace-write</c>, <c>full-auto</c>), or null to keep the settings'.</param>
    /// <param name="workspaceRoots">The folders sessions may run in; none to allow any.</param>
    /// <returns>The builder.</returns>
    public static IReinBuilder UseGuards(this IReinBuilder builder, string? mode = null, params string[] workspaceRoots)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(workspaceRoots);
        builder.Services.Configure<ReinOptions>(o =>
        {
            o.Mode = mode ?? o.Mode;
            foreach (var root in workspaceRoots)
            {
                o.WorkspaceRoots.Add(root);
            }
        });
        return builder;
    }

    /// <summary>Sets every session's budgets (the settings files' <c>budgets</c> still apply where these say nothing).</summary>
    /// <param name="builder">The builder.</param>
    /// <param name="maxSteps">Steps per run, or null.</param>
    /// <param name="maxTokens">Tokens per session, or null.</param>
    /// <param name="maxCostUsd">US dollars per session, or null.</param>
    /// <param name="maxTime">Time per session, or null.</param>
    /// <returns>The builder.</returns>
    public static IReinBuilder UseBudgets(this IReinBuilder builder, int? maxSteps = null, long? maxTokens = null, decimal? maxCostUsd = null, TimeSpan? maxTime = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.Configure<ReinOptions>(o =>
        {
            o.MaxSteps = maxSteps ?? o.MaxSteps;
            o.MaxTokens = maxTokens ?? o.MaxTokens;
            o.MaxCostUsd = maxCostUsd ?? o.MaxCostUsd;
            o.MaxTime = maxTime ?? o.MaxTime;
        });
        return builder;
    }

    /// <summary>Sets what the model sees of every session (the settings files' <c>context</c> section still applies where these say nothing).</summary>
    /// <param name="builder">The builder.</param>
    /// <param name="window">The model's context window in tokens, or null for the model's own.</param>
    /// <param name="compactionThreshold">The share of the window (0.1 to 1.0) at which older turns are compacted, or null.</param>
    /// <param name="keepRecentObservations">How many of the newest tool outputs stay whole when older ones are masked, or null.</param>
    /// <returns>The builder.</returns>
    public static IReinBuilder UseContext(this IReinBuilder builder, int? window = null, double? compactionThreshold = null, int? keepRecentObservations = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.Configure<ReinOptions>(o =>
        {
            o.Context.Window = window ?? o.Context.Window;
            o.Context.CompactionThreshold = compactionThreshold ?? o.Context.CompactionThreshold;
            o.Context.KeepRecentObservations = keepRecentObservations ?? o.Context.KeepRecentObservations;
        });
        return builder;
    }

    /// <summary>Turns long-term memory on or off for every session (recall before each message, and the <c>remember</c>, <c>recall</c> and <c>forget</c> tools).</summary>
    /// <param name="builder">The builder.</param>
    /// <param name="enabled">Whether sessions have memory.</param>
    /// <returns>The builder.</returns>
    public static IReinBuilder UseMemory(this IReinBuilder builder, bool enabled = true)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.Configure<ReinOptions>(o => o.Memory.Enabled = enabled);
        return builder;
    }

    /// <summary>
    /// Exports traces and metrics of sessions over OTLP while the host runs, as <c>rein</c> does: only when
    /// <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set (with the other standard <c>OTEL_*</c> variables).
    /// </summary>
    /// <param name="builder">The builder.</param>
    /// <returns>The builder.</returns>
    public static IReinBuilder AddTelemetry(this IReinBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, TelemetryService>());
        return builder;
    }

    /// <summary>Starts the OTLP exporters with the host and flushes them when it stops.</summary>
    private sealed class TelemetryService : IHostedService, IDisposable
    {
        private IDisposable? _telemetry;

        public Task StartAsync(CancellationToken cancellationToken)
        {
            _telemetry = TelemetrySetup.Start(Environment.GetEnvironmentVariable);
            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken)
        {
            Dispose();
            return Task.CompletedTask;
        }

        public void Dispose()
        {
            _telemetry?.Dispose();
            _telemetry = null;
        }
    }
}
