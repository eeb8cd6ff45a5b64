using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Rein.Server.Tests.Api;

/// <summary>The HTTP API of a real <c>rein serve</c> over real HTTP: refusals at every trust boundary (nothing changed), and the read routes.</summary>
[Trait("Category", "e2e")]
public sealed class ServeApiTests(ServeProcess serve) : IClassFixture<ServeProcess>
{
    private static Uri U(string path) => new(path, UriKind.Relative);

    private static async Task AssertProblemAsync(HttpResponseMessage response, HttpStatusCode status, string? detailContains = null)
    {
        var body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.True(status == response.StatusCode, $"{(int)response.StatusCode}: {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonDocument.Parse(body).RootElement;
        Assert.Equal((int)status, problem.GetProperty("status").GetInt32());
        Assert.False(string.IsNullOrEmpty(problem.GetProperty("title").GetString()));
        if (detailContains is not null)
        {
            Assert.Contains(detailContains, problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        }
    }

    private StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    [Theory]
    [InlineData(null)]
    [InlineData("rein_0123456789ab_notatokenofanyone")]
    [InlineData("garbage")]
    public async Task Request_MissingOrUnknownToken_Is401WithBearerChallenge(string? token)
    {
        var ct = TestContext.Current.CancellationToken;
        var before = await serve.SnapshotAsync();
        using var client = serve.Client();
        if (token is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        using var response = await client.PostAsync(U("/v1/sessions"), Json($$"""{"message":"hi","workspace":"{{serve.Workspace}}"}"""), ct);

        await AssertProblemAsync(response, HttpStatusCode.Unauthorized);
        Assert.Equal("Bearer", response.Headers.WwwAuthenticate.Single().Scheme);
        Assert.Equal(before, await serve.SnapshotAsync());
    }

    [Fact]
    public async Task Request_RevokedToken_Is401()
    {
        var ct = TestContext.Current.CancellationToken;
        using var client = serve.Client("rex");

        using var response = await client.GetAsync(U("/v1/me"), ct);

        await AssertProblemAsync(response, HttpStatusCode.Unauthorized, "revoked");
    }

    [Fact]
    public async Task AnswerApproval_AsViewer_Is403AndNothingAnswered()
    {
        var ct = TestContext.Current.CancellationToken;
        var before = await serve.SnapshotAsync();
        using var owner = serve.Client("boss");
        var pending = JsonDocument.Parse(await owner.GetStringAsync(U("/v1/approvals"), ct)).RootElement;
        var reference = pending.EnumerateArray().Single().GetProperty("ref").GetString()!;
        using var viewer = serve.Client("vic");

        using var response = await viewer.PostAsync(U($"/v1/approvals/{Uri.EscapeDataString(reference)}"), Json("""{"decision":"approve","scope":"once"}"""), ct);

        await AssertProblemAsync(response, HttpStatusCode.Forbidden, "viewer");
        Assert.Equal(before, await serve.SnapshotAsync());
    }

    [Theory]
    [InlineData("")]
    [InlineData("/events")]
    [InlineData("/trace")]
    public async Task ReadSession_OfAnotherPrincipal_Is404ForOperator(string suffix)
    {
        var ct = TestContext.Current.CancellationToken;
        using var operatorClient = serve.Client("alice");

        using var response = await operatorClient.GetAsync(U($"/v1/sessions/{serve.SessionId}{suffix}"), ct);

        await AssertProblemAsync(response, HttpStatusCode.NotFound);
        Assert.Equal("[]", await operatorClient.GetStringAsync(U("/v1/sessions"), ct));
        Assert.Equal("[]", await operatorClient.GetStringAsync(U("/v1/approvals"), ct));
    }

    [Theory]
    [InlineData("outside")]
    [InlineData("dotdot")]
    [InlineData("symlink")]
    public async Task StartSession_WorkspaceOutsideRoots_Is403NamingRoots(string how)
    {
        var ct = TestContext.Current.CancellationToken;
        var workspace = how switch
        {
            "outside" => serve.Outside,
            "dotdot" => serve.Workspace + "/../outside",
            _ => Path.Combine(serve.Workspace, "escape"),
        };
        if (how == "symlink" && !Path.Exists(workspace))
        {
            Directory.CreateSymbolicLink(workspace, serve.Outside);
        }

        var before = await serve.SnapshotAsync();
        using var client = serve.Client("alice");

        using var response = await client.PostAsync(U("/v1/sessions"), Json(JsonSerializer.Serialize(new { message = "hi", workspace })), ct);

        await AssertProblemAsync(response, HttpStatusCode.Forbidden, serve.Workspace);
        Assert.Equal(before, await serve.SnapshotAsync());
    }

    [Theory]
    [InlineData("""{"message":""")]
    [InlineData("""["not","an","object"]""")]
    [InlineData("""{"workspace":"/tmp"}""")]
    [InlineData("""{"message":42,"workspace":"/tmp"}""")]
    public async Task StartSession_MalformedBody_Is400(string body)
    {
        var ct = TestContext.Current.CancellationToken;
        var before = await serve.SnapshotAsync();
        using var client = serve.Client("alice");

        using var response = await client.PostAsync(U("/v1/sessions"), Json(body), ct);

        await AssertProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.Equal(before, await serve.SnapshotAsync());
    }

    [Fact]
    public async Task StartSession_BodyOverOneMegabyte_Is413()
    {
        var ct = TestContext.Current.CancellationToken;
        var before = await serve.SnapshotAsync();
        using var client = serve.Client("alice");
        var body = JsonSerializer.Serialize(new { message = new string('x', 1024 * 1024 + 10), workspace = serve.Workspace });
        // As a client sending a large body should: the server refuses it by its length and closes the connection, and a client
        // still writing the body then sees the connection cut instead of the answer.
        using var request = new HttpRequestMessage(HttpMethod.Post, U("/v1/sessions")) { Content = Json(body) };
        request.Headers.ExpectContinue = true;

        using var response = await client.SendAsync(request, ct);

        await AssertProblemAsync(response, HttpStatusCode.RequestEntityTooLarge);
        Assert.Equal(before, await serve.SnapshotAsync());
    }

    [Fact]
    public async Task ReadRoutes_AsOwner_ShowTheScriptedRunAsTheCliDoes()
    {
        var ct = TestContext.Current.CancellationToken;
        using var owner = serve.Client("boss");

        Assert.Equal("""{"name":"boss","role":"owner"}""", await owner.GetStringAsync(U("/v1/me"), ct));
        var session = JsonDocument.Parse(await owner.GetStringAsync(U($"/v1/sessions/{serve.SessionId}"), ct)).RootElement;
        Assert.Equal("awaiting_approval", session.GetProperty("status").GetString());
        var approval = session.GetProperty("pending_approvals").EnumerateArray().Single();
        Assert.Equal("write_file", approval.GetProperty("tool").GetString());
        Assert.Contains("notes.txt", approval.GetProperty("preview").GetString(), StringComparison.Ordinal);
        Assert.True(session.TryGetProperty("usage", out _) && session.TryGetProperty("cost_usd", out _) && session.TryGetProperty("principal", out _));

        using var events = await owner.GetAsync(U($"/v1/sessions/{serve.SessionId}/events"), ct);
        Assert.Equal("application/x-ndjson", events.Content.Headers.ContentType?.MediaType);
        var cli = await serve.RunAsync("sessions", "show", serve.SessionId, "--json");
        Assert.Equal(cli.TrimEnd('\n'), (await events.Content.ReadAsStringAsync(ct)).TrimEnd('\n'));
        var after2 = (await owner.GetStringAsync(U($"/v1/sessions/{serve.SessionId}/events?after=2"), ct)).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(3, JsonDocument.Parse(after2[0]).RootElement.GetProperty("seq").GetInt64());

        var cliTrace = await serve.RunAsync("trace", serve.SessionId, "--json");
        Assert.Equal(cliTrace.Trim(), await owner.GetStringAsync(U($"/v1/sessions/{serve.SessionId}/trace"), ct));
        var cliCost = await serve.RunAsync("cost", "--by", "model", "--json");
        Assert.Equal(cliCost.Trim(), await owner.GetStringAsync(U("/v1/cost?by=model"), ct));
        var list = JsonDocument.Parse(await owner.GetStringAsync(U("/v1/sessions?limit=5"), ct)).RootElement;
        Assert.Equal(serve.SessionId, list.EnumerateArray().Single().GetProperty("id").GetString());
    }

    [Fact]
    public async Task PublicRoutes_HealthAndOpenApi_NeedNoToken()
    {
        var ct = TestContext.Current.CancellationToken;
        using var client = serve.Client();

        Assert.Equal("""{"status":"ok"}""", await client.GetStringAsync(U("/healthz"), ct));
        var openApi = JsonDocument.Parse(await client.GetStringAsync(U("/openapi/v1.json"), ct)).RootElement;
        Assert.True(openApi.GetProperty("paths").TryGetProperty("/v1/sessions/{id}/events", out _));
    }

    [Fact]
    public async Task OpenApi_Document_DescribesBodiesResponsesAndBearerSecurity()
    {
        var ct = TestContext.Current.CancellationToken;
        using var client = serve.Client();

        var document = JsonDocument.Parse(await client.GetStringAsync(U("/openapi/v1.json"), ct)).RootElement;

        AssertBody(document, "/v1/sessions", ["message", "workspace"], ("message", "string"), ("workspace", "string"), ("agent", "string"), ("model", "string"), ("mode", "string"));
        AssertBody(document, "/v1/sessions/{id}/messages", ["message"], ("message", "string"));
        AssertBody(document, "/v1/sessions/{id}/rewind", [], ("to_step", "integer"));
        var answer = AssertBody(document, "/v1/approvals/{callId}", ["decision"], ("decision", "string"), ("scope", "string"), ("reason", "string"), ("session_id", "string"));
        Assert.Equal(["approve", "deny"], Resolve(document, answer.GetProperty("decision")).GetProperty("enum").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(["once", "session"], Resolve(document, answer.GetProperty("scope")).GetProperty("enum").EnumerateArray().Select(e => e.GetString()));

        var bearer = document.GetProperty("components").GetProperty("securitySchemes").GetProperty("bearer");
        Assert.Equal("http", bearer.GetProperty("type").GetString());
        Assert.Equal("bearer", bearer.GetProperty("scheme").GetString());
        var start = Operation(document, "/v1/sessions", "post");
        Assert.True(start.GetProperty("security").EnumerateArray().Single().TryGetProperty("bearer", out _));
        Assert.Equal(["201", "400", "401", "403", "413", "429"], start.GetProperty("responses").EnumerateObject().Select(r => r.Name).Where(r => r != "503").Order());
        var ticket = Resolve(document, start.GetProperty("responses").GetProperty("201").GetProperty("content").GetProperty("application/json").GetProperty("schema"));
        Assert.Equal(["id", "status"], ticket.GetProperty("properties").EnumerateObject().Select(p => p.Name).Order());
        Assert.Equal("application/problem+json", Operation(document, "/v1/sessions/{id}", "get").GetProperty("responses").GetProperty("401").GetProperty("content").EnumerateObject().Single().Name);
        var approvals = Resolve(document, Operation(document, "/v1/approvals", "get").GetProperty("responses").GetProperty("200").GetProperty("content").GetProperty("application/json").GetProperty("schema"));
        var approval = Resolve(document, approvals.GetProperty("items")).GetProperty("properties");
        foreach (var name in new[] { "call_id", "session_id", "tool", "arguments", "reason", "requested_at", "expires_at" })
        {
            Assert.True(approval.TryGetProperty(name, out _), name);
        }

        foreach (var path in document.GetProperty("paths").EnumerateObject().Where(p => p.Name.StartsWith("/v1/", StringComparison.Ordinal)))
        {
            foreach (var operation in path.Value.EnumerateObject())
            {
                Assert.True(operation.Value.TryGetProperty("security", out var security) && security.GetArrayLength() == 1, $"{operation.Name} {path.Name} has no security requirement");
                Assert.True(operation.Value.GetProperty("responses").TryGetProperty("401", out _), $"{operation.Name} {path.Name} has no 401");
            }
        }

        var health = Operation(document, "/healthz", "get");
        Assert.False(health.TryGetProperty("security", out var healthSecurity) && healthSecurity.GetArrayLength() > 0);
        Assert.False(document.TryGetProperty("security", out _));
    }

    private static JsonElement Operation(JsonElement document, string path, string method) =>
        document.GetProperty("paths").GetProperty(path).GetProperty(method);

    /// <summary>Follows a schema's <c>$ref</c> within the document.</summary>
    private static JsonElement Resolve(JsonElement document, JsonElement schema)
    {
        if (!schema.TryGetProperty("$ref", out var reference))
        {
            return schema;
        }

        var target = document;
        foreach (var segment in reference.GetString()!.TrimStart('#', '/').Split('/'))
        {
            target = target.GetProperty(segment);
        }

        return target;
    }

    /// <summary>Asserts a route's JSON request body: its required properties (exactly) and each property's type; returns the properties.</summary>
    private static JsonElement AssertBody(JsonElement document, string path, string[] required, params (string Name, string Type)[] properties)
    {
        var schema = Resolve(document, Operation(document, path, "post").GetProperty("requestBody").GetProperty("content").GetProperty("application/json").GetProperty("schema"));
        Assert.Equal(required.Order(), schema.TryGetProperty("required", out var names) ? names.EnumerateArray().Select(n => n.GetString()!).Order() : []);
        var described = schema.GetProperty("properties");
        Assert.Equal(properties.Select(p => p.Name).Order(), described.EnumerateObject().Select(p => p.Name).Order());
        foreach (var (name, type) in properties)
        {
            var property = Resolve(document, described.GetProperty(name));
            var types = property.TryGetProperty("type", out var t)
                ? t.ValueKind == JsonValueKind.Array ? t.EnumerateArray().Select(e => e.GetString()).ToList() : [t.GetString()]
                : [];
            Assert.True(types.Contains(type), $"{path} {name}: {property}");
        }

        return described;
    }

    [Fact]
    public async Task Cost_BadGrouping_Is400()
    {
        using var client = serve.Client("vic");

        using var response = await client.GetAsync(U("/v1/cost?by=planet"), TestContext.Current.CancellationToken);

        await AssertProblemAsync(response, HttpStatusCode.BadRequest, "planet");
    }
}

/// <summary>The per-principal rate limit of a real <c>rein serve</c> started with <c>--rate-limit 2</c>.</summary>
[Trait("Category", "e2e")]
public sealed class ServeRateLimitTests(TinyRateLimitServeProcess serve) : IClassFixture<TinyRateLimitServeProcess>
{
    [Fact]
    public async Task Requests_OverTheLimit_Are429WithRetryAfter_OtherPrincipalsUnaffected()
    {
        var ct = TestContext.Current.CancellationToken;
        using var alice = serve.Client("alice");
        for (var i = 0; i < 2; i++)
        {
            using var ok = await alice.GetAsync(new Uri("/v1/me", UriKind.Relative), ct);
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        }

        using var limited = await alice.GetAsync(new Uri("/v1/me", UriKind.Relative), ct);

        Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
        Assert.Equal("application/problem+json", limited.Content.Headers.ContentType?.MediaType);
        Assert.True(limited.Headers.RetryAfter?.Delta > TimeSpan.Zero, limited.Headers.RetryAfter?.ToString());
        using var vic = serve.Client("vic");
        using var other = await vic.GetAsync(new Uri("/v1/me", UriKind.Relative), ct);
        Assert.Equal(HttpStatusCode.OK, other.StatusCode);
    }
}
