using System.ClientModel;
using System.Text.Json;
using Microsoft.Extensions.AI;
using OpenAI;
using Rein.Testing.FakeProviders;
using ChatCompletionOptions = OpenAI.Chat.ChatCompletionOptions;
using ChatTool = OpenAI.Chat.ChatTool;
using ChatToolChoice = OpenAI.Chat.ChatToolChoice;

namespace Rein.Providers.Tests;

/// <summary>
/// Tool definitions converted once and reused, checked against the real chat-completions adapter: the body the fake
/// OpenAI server receives with the cache must be the body it receives without it.
/// </summary>
public sealed class OpenAIToolDefinitionCachingTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static AIFunctionDeclaration[] Declarations() =>
    [
        AIFunctionFactory.CreateDeclaration(
            "read_file",
            "Reads a file.",
            Schema("""{"type":"object","properties":{"path":{"type":"string","description":"The file."},"limit":{"type":["integer","null"]}},"required":["path"],"additionalProperties":false}""")),
        AIFunctionFactory.CreateDeclaration(
            "shell",
            "Runs a command.",
            Schema("""{"type":"object","properties":{"command":{"type":"string"},"env":{"type":"object","additionalProperties":{"type":"string"}}},"required":["command"]}""")),
        AIFunctionFactory.CreateDeclaration("list_sessions", "Lists sessions.", Schema("""{"type":"object"}""")),
    ];

    private static JsonElement Schema(string json)
    {
        using var document = JsonDocument.Parse(json);
        return document.RootElement.Clone();
    }

    private static ChatMessage[] Messages() => [new(ChatRole.System, "You are Rein."), new(ChatRole.User, "fix the build")];

    [Theory]
    [InlineData(null, null)]
    [InlineData("auto", true)]
    [InlineData("none", true)]
    [InlineData("required", false)]
    [InlineData("required:shell", null)]
    [InlineData("auto", false)]
    public async Task GetStreamingResponseAsync_ToolModeAndParallelCalls_SendsTheBodyTheAdapterSendsAlone(string? mode, bool? allowMultipleToolCalls)
    {
        ChatOptions Options() => new()
        {
            Tools = [.. Declarations()],
            ToolMode = mode switch
            {
                null => null,
                "auto" => ChatToolMode.Auto,
                "none" => ChatToolMode.None,
                "required" => ChatToolMode.RequireAny,
                _ => ChatToolMode.RequireSpecific(mode["required:".Length..]),
            },
            AllowMultipleToolCalls = allowMultipleToolCalls,
            MaxOutputTokens = 200,
        };

        var (plain, cached) = await SendBothAsync(Options, streaming: true);

        Assert.Equal(plain, cached);
        using var body = JsonDocument.Parse(cached);
        Assert.Equal(3, body.RootElement.GetProperty("tools").GetArrayLength());
        Assert.True(body.RootElement.TryGetProperty("tool_choice", out _));
        Assert.Equal(allowMultipleToolCalls is null, !body.RootElement.TryGetProperty("parallel_tool_calls", out _));
    }

    [Fact]
    public async Task GetResponseAsync_NotStreaming_SendsTheBodyTheAdapterSendsAlone()
    {
        var (plain, cached) = await SendBothAsync(() => new ChatOptions { Tools = [.. Declarations()], ToolMode = ChatToolMode.Auto, AllowMultipleToolCalls = true }, streaming: false);

        Assert.Equal(plain, cached);
    }

    [Fact]
    public async Task GetStreamingResponseAsync_SecondRequestAndSecondSession_ConvertsEachToolOnce()
    {
        await using var server = await StartAsync();
        var cache = new OpenAIChatToolCache();
        using var first = new OpenAIToolDefinitionCaching(Adapter(server), cache);
        using var second = new OpenAIToolDefinitionCaching(Adapter(server), cache);
        var declarations = Declarations();

        await StreamAsync(first, new ChatOptions { Tools = [.. declarations] });
        await StreamAsync(first, new ChatOptions { Tools = [.. declarations] });
        // A second session builds its own, equal declarations.
        await StreamAsync(second, new ChatOptions { Tools = [.. Declarations()] });

        Assert.Equal(3, cache.Conversions);
        Assert.Equal(3, server.Requests.Count);
        Assert.All(server.Requests, r => Assert.Equal(server.Requests[0].Body, r.Body));
    }

    [Fact]
    public async Task GetStreamingResponseAsync_ChangedDescription_ConvertsTheChangedToolAgain()
    {
        await using var server = await StartAsync();
        var cache = new OpenAIChatToolCache();
        using var client = new OpenAIToolDefinitionCaching(Adapter(server), cache);
        var changed = Declarations();
        changed[1] = AIFunctionFactory.CreateDeclaration("shell", "Runs a command in the sandbox.", changed[1].JsonSchema);

        await StreamAsync(client, new ChatOptions { Tools = [.. Declarations()] });
        await StreamAsync(client, new ChatOptions { Tools = [.. changed] });

        Assert.Equal(4, cache.Conversions);
        using var body = JsonDocument.Parse(server.Requests[1].Body);
        Assert.Equal("Runs a command in the sandbox.", body.RootElement.GetProperty("tools")[1].GetProperty("function").GetProperty("description").GetString());
    }

    [Fact]
    public async Task GetStreamingResponseAsync_CallerRawRepresentationFactory_KeepsTheCallersValues()
    {
        ChatOptions Options() => new()
        {
            Tools = [.. Declarations()],
            ToolMode = ChatToolMode.Auto,
            AllowMultipleToolCalls = true,
            RawRepresentationFactory = _ =>
            {
                var options = new ChatCompletionOptions
                {
                    ToolChoice = ChatToolChoice.CreateRequiredChoice(),
                    AllowParallelToolCalls = false,
                };
                options.Metadata["tenant"] = "acme";
                options.Tools.Add(ChatTool.CreateFunctionTool("caller_tool", "The caller's own tool."));
                return options;
            },
        };

        var (plain, cached) = await SendBothAsync(Options, streaming: true);

        Assert.Equal(plain, cached);
        using var body = JsonDocument.Parse(cached);
        var root = body.RootElement;
        Assert.Equal("required", root.GetProperty("tool_choice").GetString());
        Assert.False(root.GetProperty("parallel_tool_calls").GetBoolean());
        Assert.Equal("acme", root.GetProperty("metadata").GetProperty("tenant").GetString());
        var names = root.GetProperty("tools").EnumerateArray().Select(t => t.GetProperty("function").GetProperty("name").GetString());
        Assert.Equal(["caller_tool", "read_file", "shell", "list_sessions"], names);
    }

    [Fact]
    public async Task GetStreamingResponseAsync_StrictRequest_PassesTheOptionsThroughUnchanged()
    {
        ChatOptions Options() => new()
        {
            Tools = [.. Declarations()],
            AdditionalProperties = new AdditionalPropertiesDictionary { ["strict"] = true },
        };
        var cache = new OpenAIChatToolCache();
        using var client = new OpenAIToolDefinitionCaching(new EmptyChatClient(), cache);
        var options = Options();

        Assert.Same(options, client.WithConvertedTools(options));
        var (plain, cached) = await SendBothAsync(Options, streaming: true);
        Assert.Equal(plain, cached);
        using var body = JsonDocument.Parse(cached);
        Assert.True(body.RootElement.GetProperty("tools")[0].GetProperty("function").GetProperty("strict").GetBoolean());
        Assert.Equal(0, cache.Conversions);
    }

    [Fact]
    public async Task GetStreamingResponseAsync_DeclarationMarkedStrict_IsConvertedAsStrictAndApartFromTheSameToolUnmarked()
    {
        var cache = new OpenAIChatToolCache();
        ChatOptions Options() => new() { Tools = [Declarations()[0], new StrictDeclaration(Declarations()[0])] };

        var (plain, cached) = await SendBothAsync(Options, streaming: true, cache);

        Assert.Equal(plain, cached);
        Assert.Equal(2, cache.Conversions);
        using var body = JsonDocument.Parse(cached);
        var tools = body.RootElement.GetProperty("tools");
        Assert.False(tools[0].GetProperty("function").TryGetProperty("strict", out _));
        Assert.True(tools[1].GetProperty("function").GetProperty("strict").GetBoolean());
    }

    [Fact]
    public void WithConvertedTools_HostedToolAmongTheTools_PassesTheOptionsThroughUnchanged()
    {
        var cache = new OpenAIChatToolCache();
        using var client = new OpenAIToolDefinitionCaching(new EmptyChatClient(), cache);
        var options = new ChatOptions { Tools = [.. Declarations(), new HostedWebSearchTool()] };

        Assert.Same(options, client.WithConvertedTools(options));
        Assert.Equal(0, cache.Conversions);
    }

    [Fact]
    public void WithConvertedTools_NoTools_PassesTheOptionsThroughUnchanged()
    {
        using var client = new OpenAIToolDefinitionCaching(new EmptyChatClient(), new OpenAIChatToolCache());
        var options = new ChatOptions { Tools = [] };

        Assert.Same(options, client.WithConvertedTools(options));
        Assert.Null(client.WithConvertedTools(null));
    }

    [Fact]
    public void WithConvertedTools_FunctionTools_LeavesTheCallersOptionsAlone()
    {
        using var client = new OpenAIToolDefinitionCaching(new EmptyChatClient(), new OpenAIChatToolCache());
        var tools = Declarations();
        var options = new ChatOptions { Tools = [.. tools] };

        var sent = client.WithConvertedTools(options);

        Assert.NotSame(options, sent);
        Assert.Null(sent!.Tools);
        Assert.Equal(tools, options.Tools);
        Assert.Null(options.RawRepresentationFactory);
    }

    [Fact]
    public async Task GetStreamingResponseAsync_ConcurrentRequestsSharingTools_SendTheSameBodies()
    {
        await using var server = await StartAsync();
        using var client = new OpenAIToolDefinitionCaching(Adapter(server), new OpenAIChatToolCache());
        var declarations = Declarations();
        await StreamAsync(client, new ChatOptions { Tools = [.. declarations] });

        await Task.WhenAll(Enumerable.Range(0, 16).Select(_ => Task.Run(() => StreamAsync(client, new ChatOptions { Tools = [.. declarations] }), Ct)));

        Assert.Equal(17, server.Requests.Count);
        Assert.All(server.Requests, r => Assert.Equal(server.Requests[0].Body, r.Body));
    }

    [Fact]
    public void Get_MoreDistinctToolsThanTheLimit_StartsOverInsteadOfGrowing()
    {
        var cache = new OpenAIChatToolCache();
        var schema = Schema("""{"type":"object"}""");
        AIFunctionDeclaration Tool(int i) => AIFunctionFactory.CreateDeclaration($"tool_{i}", "A tool.", schema);
        for (var i = 0; i <= OpenAIChatToolCache.MaxEntries; i++)
        {
            cache.Get(Tool(i));
        }

        cache.Get(Tool(OpenAIChatToolCache.MaxEntries));
        Assert.Equal(OpenAIChatToolCache.MaxEntries + 1, cache.Conversions);
        cache.Get(Tool(0));
        Assert.Equal(OpenAIChatToolCache.MaxEntries + 2, cache.Conversions);
    }

    [Fact]
    public void Create_OpenAIChatCompletions_CachesToolDefinitionsAndResponsesDoesNot()
    {
        var options = new ProviderOptions { ApiKey = "k", GetEnvironmentVariable = _ => null };
        using var chat = ModelProviders.Create(ModelSpec.Parse("openai:gpt-test"), options);
        using var compatible = ModelProviders.Create(ModelSpec.Parse("openai-compatible:local"), new ProviderOptions { BaseUrl = "http://127.0.0.1:9/v1", GetEnvironmentVariable = _ => null });
        using var responses = ModelProviders.Create(ModelSpec.Parse("openai-responses:gpt-test"), options);

        Assert.NotNull(chat.GetService<OpenAIToolDefinitionCaching>());
        Assert.NotNull(compatible.GetService<OpenAIToolDefinitionCaching>());
        Assert.Null(responses.GetService<OpenAIToolDefinitionCaching>());
    }

    /// <summary>Sends the same request through the adapter alone, then through the cache, and returns both bodies.</summary>
    private static async Task<(string Plain, string Cached)> SendBothAsync(Func<ChatOptions> options, bool streaming, OpenAIChatToolCache? cache = null)
    {
        await using var server = await StartAsync();
        using var plain = Adapter(server);
        using var cached = new OpenAIToolDefinitionCaching(Adapter(server), cache ?? new OpenAIChatToolCache());
        foreach (var client in new[] { plain, cached })
        {
            if (streaming)
            {
                await StreamAsync(client, options());
            }
            else
            {
                await client.GetResponseAsync(Messages(), options(), Ct);
            }
        }

        Assert.Equal(2, server.Requests.Count);
        return (server.Requests[0].Body, server.Requests[1].Body);
    }

    private static async Task<FakeOpenAIServer> StartAsync()
    {
        var server = await FakeOpenAIServer.StartAsync(Ct);
        server.OnRequest = _ => FakeReply.Text("ok");
        return server;
    }

    private static IChatClient Adapter(FakeOpenAIServer server) =>
        new OpenAIClient(new ApiKeyCredential("k"), new OpenAIClientOptions { Endpoint = new Uri(server.BaseUrl) })
            .GetChatClient("gpt-test")
            .AsIChatClient();

    private static async Task StreamAsync(IChatClient client, ChatOptions options)
    {
        var updates = await client.GetStreamingResponseAsync(Messages(), options, Ct).ToChatResponseAsync(Ct);
        Assert.Equal("ok", updates.Text);
    }

    /// <summary>A declaration that sets its own <c>strict</c> flag, as a caller may to ask for strict schema handling of one tool.</summary>
    private sealed class StrictDeclaration(AIFunctionDeclaration inner) : AIFunctionDeclaration
    {
        public override string Name => inner.Name;

        public override string Description => inner.Description;

        public override JsonElement JsonSchema => inner.JsonSchema;

        public override IReadOnlyDictionary<string, object?> AdditionalProperties { get; } = new Dictionary<string, object?> { ["strict"] = true };
    }

    private sealed class EmptyChatClient : IChatClient
    {
        public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
            Task.FromResult(new ChatResponse());

        public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
            AsyncEnumerable.Empty<ChatResponseUpdate>();

        public object? GetService(Type serviceType, object? serviceKey = null) => null;

        public void Dispose()
        {
        }
    }
}
