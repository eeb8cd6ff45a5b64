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

        using var response = await client.PostAsync(U("/v1/sessions"), Json(body), ct);

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
