using System.ClientModel;
using System.Text.Json;
using Microsoft.Extensions.AI;
using OpenAI;
using Rein.Testing.FakeProviders;

namespace Rein.Providers.Tests;

/// <summary>
/// The OpenAI clients' request bodies, sent as exact arrays by <see cref="Http.SerializedBodyTransport"/>: the fake
/// server must receive the bytes and content headers the SDK's own transport sends, on every attempt.
/// </summary>
public sealed class SerializedBodyTransportTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static ChatMessage[] Messages() =>
    [
        new(ChatRole.System, "You are Rein. Ünïcödé and \"quotes\" survive."),
        new(ChatRole.User, "fix the build " + new string('x', 40_000)),
    ];

    private static ChatOptions Options() => new()
    {
        Tools =
        [
            AIFunctionFactory.CreateDeclaration(
                "read_file",
                "Reads a file.",
                JsonElement.Parse("""{"type":"object","properties":{"path":{"type":"string"}},"required":["path"]}""")),
        ],
        MaxOutputTokens = 100,
    };

    [Theory]
    [InlineData("openai", true)]
    [InlineData("openai", false)]
    [InlineData("openai-responses", true)]
    public async Task Create_OpenAIClients_SendTheBodyAndHeadersTheSdkTransportSends(string provider, bool streaming)
    {
        await using var server = await FakeOpenAIServer.StartAsync(Ct);
        server.OnRequest = _ => FakeReply.Text("ok");
        var options = new ProviderOptions { ApiKey = "k", BaseUrl = server.BaseUrl, GetEnvironmentVariable = _ => null };
        using var rein = ModelProviders.Create(new ModelSpec(provider, "gpt-test"), options);
        using var sdk = SdkClient(provider, server);

        foreach (var client in new[] { sdk, rein })
        {
            var text = streaming
                ? (await client.GetStreamingResponseAsync(Messages(), Options(), Ct).ToChatResponseAsync(Ct)).Text
                : (await client.GetResponseAsync(Messages(), Options(), Ct)).Text;
            Assert.Equal("ok", text);
        }

        Assert.Equal(2, server.Requests.Count);
        var (expected, actual) = (server.Requests[0], server.Requests[1]);
        Assert.Equal(expected.Body, actual.Body);
        Assert.Equal(expected.Header("Content-Type"), actual.Header("Content-Type"));
        Assert.Equal(expected.Header("Content-Length"), actual.Header("Content-Length"));
        Assert.Equal(System.Text.Encoding.UTF8.GetByteCount(actual.Body).ToString(System.Globalization.CultureInfo.InvariantCulture), actual.Header("Content-Length"));
        Assert.Contains("Ünïcödé", actual.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Create_OpenAIAttemptFailsWith500_TheRetrySendsTheSameBody()
    {
        await using var server = await FakeOpenAIServer.StartAsync(Ct);
        server.Enqueue(FakeReply.Error(500), FakeReply.RateLimited("0"), FakeReply.Text("ok"));
        var options = new ProviderOptions
        {
            ApiKey = "k",
            BaseUrl = server.BaseUrl,
            GetEnvironmentVariable = _ => null,
            InitialRetryDelay = TimeSpan.Zero,
            MaxRetryDelay = TimeSpan.Zero,
        };
        using var client = ModelProviders.Create(new ModelSpec("openai", "gpt-test"), options);

        var response = await client.GetStreamingResponseAsync(Messages(), Options(), Ct).ToChatResponseAsync(Ct);

        Assert.Equal("ok", response.Text);
        Assert.Equal(3, server.Requests.Count);
        Assert.All(server.Requests, r => Assert.Equal(server.Requests[0].Body, r.Body));
        Assert.All(server.Requests, r => Assert.Equal(server.Requests[0].Header("Content-Length"), r.Header("Content-Length")));
        Assert.Equal("read_file", server.Requests[2].Json.GetProperty("tools")[0].GetProperty("function").GetProperty("name").GetString());
    }

    private static IChatClient SdkClient(string provider, FakeOpenAIServer server)
    {
        var client = new OpenAIClient(new ApiKeyCredential("k"), new OpenAIClientOptions { Endpoint = new Uri(server.BaseUrl) });
#pragma warning disable OPENAI001 // The Responses API is marked experimental in the SDK.
        return provider == "openai" ? client.GetChatClient("gpt-test").AsIChatClient() : client.GetResponsesClient().AsIChatClient("gpt-test");
#pragma warning restore OPENAI001
    }
}
