using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Rein.Providers;
using Rein.Providers.Http;
using Rein.Server.Chat;
using Rein.Server.Chat.Slack;
using Rein.Server.Chat.Telegram;
using Telegram.Bot;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers and maps the chat surfaces of <c>rein serve</c>: Slack and Telegram.</summary>
public static class ChatServiceCollectionExtensions
{
    /// <summary>
    /// Adds the surfaces <paramref name="options"/> sets up, the relay that sends sessions' answers and approval requests
    /// back to the chats that started them, and the background worker of chat requests. The application must also register
    /// an <see cref="Rein.Chat.IChatStore"/> (e.g. <c>SqliteChatStore</c>), and call <c>AddRein</c> and <c>AddReinServer</c>.
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="options">The surfaces; one left null is not served.</param>
    /// <returns><paramref name="services"/>.</returns>
    public static IServiceCollection AddReinChat(this IServiceCollection services, ChatOptions options)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(options);
        services.TryAddSingleton(Options.Options.Create(options));
        services.TryAddSingleton<ChatWork>();
        services.TryAddSingleton<ChatRelay>();
        services.TryAddSingleton<ChatInbox>();
        services.AddHostedService(sp => sp.GetRequiredService<ChatWork>());
        services.AddHostedService(sp => sp.GetRequiredService<ChatRelay>());
        if (options.Slack is { } slack)
        {
            services.TryAddSingleton(slack);
            services.TryAddSingleton(sp => new SlackWebApi(ResilientClient(sp, TimeSpan.FromSeconds(60)), slack));
            services.TryAddSingleton<SlackWork>();
            services.AddSingleton<IChatSurface>(sp => new SlackSurface(sp.GetRequiredService<SlackWebApi>()));
        }

        if (options.Telegram is { } telegram)
        {
            services.TryAddSingleton(telegram);
            services.TryAddSingleton<ITelegramBotClient>(sp => new TelegramBotClient(
                new TelegramBotClientOptions(telegram.BotToken, telegram.ApiUrl.ToString().TrimEnd('/')),
                ResilientClient(sp, telegram.PollTimeout + TimeSpan.FromSeconds(30))));
            services.TryAddSingleton<TelegramWork>();
            services.AddSingleton<IChatSurface>(sp => new TelegramSurface(sp.GetRequiredService<ITelegramBotClient>()));
            if (telegram.Polling)
            {
                services.AddSingleton<IHostedService, TelegramPolling>();
            }
        }

        return services;
    }

    /// <summary>Maps <c>POST /slack/events</c>, <c>POST /slack/interactions</c> and <c>POST /telegram/webhook</c>; they check Slack's signature and Telegram's secret instead of bearer tokens.</summary>
    /// <param name="endpoints">The route builder.</param>
    /// <returns><paramref name="endpoints"/>.</returns>
    public static IEndpointRouteBuilder MapReinChat(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        endpoints.MapPost("/slack/events", (Func<HttpContext, Task<IResult>>)SlackRoutes.EventsAsync).AllowAnonymous().ExcludeFromDescription();
        endpoints.MapPost("/slack/interactions", (Func<HttpContext, Task<IResult>>)SlackRoutes.InteractionsAsync).AllowAnonymous().ExcludeFromDescription();
        endpoints.MapPost("/telegram/webhook", (Func<HttpContext, Task<IResult>>)TelegramRoutes.WebhookAsync).AllowAnonymous().ExcludeFromDescription();
        return endpoints;
    }

    /// <summary>A client that retries 429 (after Retry-After), 5xx and dropped connections, as model calls do.</summary>
    private static HttpClient ResilientClient(IServiceProvider services, TimeSpan attemptTimeout)
    {
        var providerOptions = new ProviderOptions
        {
            MaxRetries = 3,
            MaxRetryDelay = TimeSpan.FromSeconds(30),
            RequestTimeout = attemptTimeout,
            TimeProvider = services.GetService<TimeProvider>() ?? TimeProvider.System,
        };
        var logger = services.GetService<ILoggerFactory>()?.CreateLogger("Rein.Server.Chat") ?? NullLogger.Instance;
        return new HttpClient(new ResilientHttpHandler(providerOptions, logger, new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) }))
        {
            Timeout = attemptTimeout * (providerOptions.MaxRetries + 1) + TimeSpan.FromMinutes(2),
        };
    }
}
