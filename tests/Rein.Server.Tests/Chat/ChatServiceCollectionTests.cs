using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Rein.Server.Chat;
using Rein.Server.Chat.Telegram;

namespace Rein.Server.Tests.Chat;

public sealed class ChatServiceCollectionTests
{
    private static SlackOptions Slack => new() { SigningSecret = "s", BotToken = "xoxb-t" };

    private static TelegramOptions Telegram(bool polling = false) => new() { BotToken = "9000:t", Polling = polling };

    private static List<ServiceDescriptor> Surfaces(IServiceCollection services) => [.. services.Where(d => d.ServiceType == typeof(IChatSurface))];

    [Fact]
    public void AddReinChat_NoSurfaces_RegistersTheRelayOnly()
    {
        var services = new ServiceCollection().AddReinChat(new ChatOptions());

        Assert.Empty(Surfaces(services));
        Assert.Contains(services, d => d.ServiceType == typeof(ChatRelay));
        Assert.DoesNotContain(services, d => d.ImplementationType == typeof(TelegramPolling));
    }

    [Fact]
    public void AddReinChat_BothSurfaces_RegistersEachOnce_AndPollingOnlyWhenAsked()
    {
        var webhook = new ServiceCollection().AddReinChat(new ChatOptions { Slack = Slack, Telegram = Telegram() });
        var polling = new ServiceCollection().AddReinChat(new ChatOptions { Telegram = Telegram(polling: true) });

        Assert.Equal(2, Surfaces(webhook).Count);
        Assert.DoesNotContain(webhook, d => d.ImplementationType == typeof(TelegramPolling));
        Assert.Single(Surfaces(polling));
        Assert.Single(polling, d => d.ServiceType == typeof(IHostedService) && d.ImplementationType == typeof(TelegramPolling));
    }
}
