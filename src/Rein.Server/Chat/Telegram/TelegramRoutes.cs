using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Rein.Server.Http;
using Telegram.Bot;
using Telegram.Bot.Types;

namespace Rein.Server.Chat.Telegram;

/// <summary>
/// <c>POST /telegram/webhook</c>: an update from Telegram, which must carry the webhook secret in
/// <c>X-Telegram-Bot-Api-Secret-Token</c> (else 401 and nothing happens). It is acknowledged at once and handled in the background.
/// </summary>
internal static partial class TelegramRoutes
{
    private const string SecretHeader = "X-Telegram-Bot-Api-Secret-Token";

    /// <summary>How an update is read: the Bot API's names and converters, set up by the library on options of our own.</summary>
    private static readonly JsonTypeInfo<Update> UpdateJson = CreateUpdateJson();

    public static async Task<IResult> WebhookAsync(HttpContext context)
    {
        var services = context.RequestServices;
        if (services.GetRequiredService<IOptions<ChatOptions>>().Value.Telegram is not { } telegram)
        {
            return Problems.Result(StatusCodes.Status404NotFound, "Telegram is not set up on this server (the \"telegram\" settings).");
        }

        var logger = services.GetRequiredService<ILogger<TelegramWork>>();
        var given = context.Request.Headers[SecretHeader].ToString();
        if (telegram.WebhookSecret is not { } secret
            || !CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(given), Encoding.UTF8.GetBytes(secret)))
        {
            Log.Refused(logger, given.Length == 0 ? "no secret" : "a wrong secret");
            return Problems.Result(StatusCodes.Status401Unauthorized, $"The request does not carry this bot's webhook secret in {SecretHeader}.");
        }

        Update? update;
        try
        {
            update = await JsonSerializer.DeserializeAsync(context.Request.Body, UpdateJson, context.RequestAborted);
        }
        catch (JsonException)
        {
            return Problems.Result(StatusCodes.Status400BadRequest, "The body is not a Telegram update.");
        }

        if (update is null)
        {
            return Problems.Result(StatusCodes.Status400BadRequest, "The body is not a Telegram update.");
        }

        if (!await services.GetRequiredService<TelegramWork>().AcceptAsync(update, context.RequestAborted))
        {
            Log.Repeated(logger, update.Id);
        }

        return Results.Ok();
    }

    [UnconditionalSuppressMessage("Trimming", "IL2026", Justification = "Telegram.Bot serializes by reflection itself; the trimmed tool keeps its whole assembly (TrimmerRootAssembly) and reflection-based JSON.")]
    [UnconditionalSuppressMessage("AOT", "IL3050", Justification = "As above: the tool is trimmed, not compiled ahead of time, and Telegram.Bot needs reflection-based JSON.")]
    private static JsonTypeInfo<Update> CreateUpdateJson()
    {
        // The library's options carry its converters but no resolver (it serializes through the reflection-based API).
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web) { TypeInfoResolver = new DefaultJsonTypeInfoResolver() };
        JsonBotAPI.Configure(options);
        return (JsonTypeInfo<Update>)options.GetTypeInfo(typeof(Update));
    }

    private static partial class Log
    {
        [LoggerMessage(LogLevel.Warning, "Refused a Telegram webhook call with {What}")]
        public static partial void Refused(ILogger logger, string what);

        [LoggerMessage(LogLevel.Information, "Telegram sent update {UpdateId} again; it was handled already")]
        public static partial void Repeated(ILogger logger, int updateId);
    }
}
