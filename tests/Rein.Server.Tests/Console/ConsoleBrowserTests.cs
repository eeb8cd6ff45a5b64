using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Rein.Server.Tests.Console;

/// <summary>The web console in a real browser against a real <c>rein serve</c>.</summary>
[Trait("Category", "e2e")]
public sealed class ConsoleBrowserTests(ConsoleBrowserFixture server) : IClassFixture<ConsoleBrowserFixture>
{
    private sealed record Seen(string Url, string? Authorization);

    private async Task<(IBrowserContext Context, IPage Page, List<Seen> Requests)> OpenAsync()
    {
        var context = await server.Browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = server.BaseAddress.ToString() });
        context.SetDefaultTimeout(30_000);
        var requests = new List<Seen>();
        context.Request += (_, request) =>
        {
            request.Headers.TryGetValue("authorization", out var authorization);
            lock (requests)
            {
                requests.Add(new Seen(request.Url, authorization));
            }
        };
        var page = await context.NewPageAsync();
        return (context, page, requests);
    }

    private async Task SignInAsync(IPage page, string token)
    {
        await page.GotoAsync("/");
        await page.GetByLabel("API token", new() { Exact = true }).FillAsync(token);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in", Exact = true }).ClickAsync();
    }

    private void AssertOnlyOwnOriginAndTokenOnlyInHeader(List<Seen> requests)
    {
        List<Seen> all;
        lock (requests)
        {
            all = [.. requests];
        }

        Assert.NotEmpty(all);
        var origin = server.BaseAddress.GetLeftPart(UriPartial.Authority);
        Assert.All(all, r => Assert.Equal(origin, new Uri(r.Url).GetLeftPart(UriPartial.Authority)));
        Assert.All(all, r => Assert.DoesNotContain(server.Token, Uri.UnescapeDataString(r.Url), StringComparison.Ordinal));
        var api = all.Where(r => new Uri(r.Url).AbsolutePath.StartsWith("/v1/", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(api);
        Assert.All(api, r => Assert.Equal("Bearer " + server.Token, r.Authorization));
    }

    [Fact]
    public async Task Console_StartSessionAndApproveShellCommand_SessionCompletes()
    {
        var (context, page, requests) = await OpenAsync();
        await using var _ = context;

        var sessionUrl = "";
        await ExpectOrExplainAsync(page, async () =>
        {
            await SignInAsync(page, server.Token);
            await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Sessions", Exact = true })).ToBeVisibleAsync();
            await page.GetByLabel("Message", new() { Exact = true }).FillAsync("Run the greeting command.");
            await page.GetByLabel("Workspace", new() { Exact = true }).FillAsync(server.Workspace);
            await page.GetByRole(AriaRole.Button, new() { Name = "Start session", Exact = true }).ClickAsync();

            // The live view streams the journal: the proposed command, the policy's "ask" and the pause.
            await Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/sessions/[^/]+$"));
            sessionUrl = page.Url;
            var log = page.GetByRole(AriaRole.List, new() { Name = "Session events" });
            await Expect(log.GetByText(ConsoleBrowserFixture.Command).First).ToBeVisibleAsync();
            await Expect(log.GetByText("policy: ask").First).ToBeVisibleAsync();
            await Expect(log.GetByText("Paused: waiting for approval.").First).ToBeVisibleAsync();

            await page.GetByRole(AriaRole.Navigation, new() { Name = "Main" }).GetByRole(AriaRole.Link, new() { Name = "Approvals", Exact = true }).ClickAsync();
            var card = page.GetByRole(AriaRole.Article).Filter(new() { HasText = ConsoleBrowserFixture.Command });
            await Expect(card.GetByText("shell", new() { Exact = true })).ToBeVisibleAsync();
            await card.GetByRole(AriaRole.Button, new() { Name = "Approve", Exact = true }).ClickAsync();
            await Expect(page.GetByRole(AriaRole.Status).Filter(new() { HasText = "Approved shell" })).ToBeVisibleAsync();

            await page.GotoAsync(sessionUrl);
            await SignedInAsync(page);
            log = page.GetByRole(AriaRole.List, new() { Name = "Session events" });
            await Expect(log.GetByText(ConsoleBrowserFixture.FinalAnswer).First).ToBeVisibleAsync();
            await Expect(log.GetByText("Ended: completed.").First).ToBeVisibleAsync();
            await Expect(log.GetByText("success", new() { Exact = true }).First).ToBeVisibleAsync();
            await Expect(page.Locator(".session-head").GetByText("completed", new() { Exact = true })).ToBeVisibleAsync();
        });
        AssertOnlyOwnOriginAndTokenOnlyInHeader(requests);
    }

    /// <summary>Runs an expectation; when it fails, the message also shows the page's text and rein serve's stderr.</summary>
    private async Task ExpectOrExplainAsync(IPage page, Func<Task> expectation)
    {
        try
        {
            await expectation();
        }
        catch (Exception e) when (e is PlaywrightException or TimeoutException)
        {
            throw new InvalidOperationException($"{e.Message}\n--- page\n{await page.Locator("main").InnerTextAsync()}\n--- rein serve stderr\n{server.ServerErrors}", e);
        }
    }

    private static async Task SignedInAsync(IPage page) =>
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Sign out", Exact = true })).ToBeVisibleAsync();

    [Fact]
    public async Task SignIn_WrongToken_ShowsErrorAndStaysSignedOut()
    {
        var (context, page, _) = await OpenAsync();
        await using var __ = context;

        await SignInAsync(page, "rein_not-a-real-token");

        await Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("Sign-in failed");
        await Expect(page.GetByLabel("API token", new() { Exact = true })).ToBeVisibleAsync();
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Sign out" })).ToBeHiddenAsync();
        await Expect(page.GetByRole(AriaRole.Navigation, new() { Name = "Main" })).ToBeHiddenAsync();
        Assert.Null(await page.EvaluateAsync<string?>("() => sessionStorage.getItem('rein.token')"));
    }

    [Fact]
    public async Task Pages_SignedIn_RequestOnlyTheirOwnOriginAndSendTheTokenOnlyAsBearer()
    {
        var (context, page, requests) = await OpenAsync();
        await using var _ = context;

        await SignInAsync(page, server.Token);
        await SignedInAsync(page);
        var nav = page.GetByRole(AriaRole.Navigation, new() { Name = "Main" });
        await nav.GetByRole(AriaRole.Link, new() { Name = "Cost", Exact = true }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Cost", Exact = true })).ToBeVisibleAsync();
        await nav.GetByRole(AriaRole.Link, new() { Name = "Approvals", Exact = true }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Approvals", Exact = true })).ToBeVisibleAsync();
        await nav.GetByRole(AriaRole.Link, new() { Name = "Sessions", Exact = true }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Recent sessions" })).ToBeVisibleAsync();
        Assert.Equal(server.Token, await page.EvaluateAsync<string?>("() => sessionStorage.getItem('rein.token')"));

        await page.GetByRole(AriaRole.Button, new() { Name = "Sign out", Exact = true }).ClickAsync();

        await Expect(page.GetByLabel("API token", new() { Exact = true })).ToBeVisibleAsync();
        Assert.Null(await page.EvaluateAsync<string?>("() => sessionStorage.getItem('rein.token')"));
        AssertOnlyOwnOriginAndTokenOnlyInHeader(requests);
    }
}
