using Microsoft.Playwright;
using Xunit.Abstractions;

namespace ProCo.Browser.Tests;

/// <summary>Signing in, queueing and watching as an operator; what a viewer sees of the same run.</summary>
[Collection(BrowserTestGroup.Name)]
public sealed class AccountsBrowserTests(StudioServer server, ITestOutputHelper output) : BrowserTest(server, output)
{
    [Fact]
    public async Task OperatorSignsIn_QueuesARun_SeesItLive_AndAViewerCannotCancelIt()
    {
        await Server.CreateAccountAsync("olga", "operator");
        var viewerToken = await Server.CreateAccountAsync("vince", "viewer");

        // Not signed in: any page leads to the sign-in form, and back to it afterwards.
        var page = await NewPageAsync(signedIn: false);
        await page.GotoAsync("/runs/new");
        await page.WaitForURLAsync("**/account/login?**");
        await page.ScreenshotAsync(new() { Path = Shot("sign-in.png") });
        await page.FillAsync("#username", "olga");
        await page.FillAsync("#password", "not her password");
        await page.ClickAsync("button[type=submit]");
        await page.Locator("[data-test=login-error]").WaitForAsync();
        await page.FillAsync("#username", "olga");
        await page.FillAsync("#password", StudioServer.Password);
        await page.ClickAsync("button[type=submit]");
        await WaitForLocationAsync(page, "^/runs/new$");
        await page.GetByText("Queue a grid").WaitForAsync();
        await StudioServer.WaitForInteractiveAsync(page);
        Assert.Contains("olga", await page.Locator("[data-test=signed-in-as]").InnerTextAsync(), StringComparison.Ordinal);

        var epochs = page.Locator("input[data-test=epochs]");
        await epochs.FillAsync("30");
        await epochs.PressAsync("Tab");
        await page.Locator("input[data-test=name]").FillAsync("olga's run");
        await page.Locator("input[data-test=name]").PressAsync("Tab");
        var cap = page.GetByLabel("Images per class (cap)", new() { Exact = true });
        await cap.FillAsync("150");
        await cap.PressAsync("Tab");
        await page.Locator("[data-test=queue]").ClickAsync();
        await WaitForLocationAsync(page, @"^/runs/\d+$");
        var id = long.Parse((await page.EvaluateAsync<string>("() => location.pathname")).Split('/')[^1], System.Globalization.CultureInfo.InvariantCulture);

        // Live: the loss chart gains points while it trains, over the signed-in hub connection.
        await page.Locator("[data-studio-ready=true]").WaitForAsync(new() { Timeout = 30_000 });
        await page.Locator("[data-test=run-status] [data-status=Running]").WaitForAsync(new() { Timeout = 120_000 });
        var first = await page.EvaluateAsync<int>("() => studioTest.chartPoints('loss')");
        await page.WaitForFunctionAsync($"() => studioTest.chartPoints('loss') > {first + 2}", null, new() { Timeout = 60_000 });
        Assert.True(await page.Locator("[data-test=cancel-run]").IsVisibleAsync(), "the operator is offered Cancel");
        await page.ScreenshotAsync(new() { Path = Shot("operator-run-live.png"), FullPage = true });

        // A viewer watching the same run is offered no Cancel, Edit or Clone, and the API refuses the cancel.
        var viewer = await NewPageAsync(signedIn: false);
        await StudioServer.SignInAsync(viewer, "vince");
        await viewer.GotoAsync($"/runs/{id}");
        await viewer.Locator("[data-studio-ready=true]").WaitForAsync(new() { Timeout = 30_000 });
        await StudioServer.WaitForInteractiveAsync(viewer);
        await viewer.Locator("[data-test=run-status] [data-status=Running]").WaitForAsync(new() { Timeout = 30_000 });
        var seen = await viewer.EvaluateAsync<int>("() => studioTest.chartPoints('loss')");
        await viewer.WaitForFunctionAsync($"() => studioTest.chartPoints('loss') > {seen}", null, new() { Timeout = 60_000 });
        Assert.Equal(0, await viewer.Locator("[data-test=cancel-run]").CountAsync());
        Assert.Equal(0, await viewer.Locator("[data-test=edit-run]").CountAsync());
        Assert.Equal(0, await viewer.GetByRole(AriaRole.Button, new() { Name = "Clone" }).CountAsync());
        await viewer.ScreenshotAsync(new() { Path = Shot("viewer-run-live.png"), FullPage = true });
        using (var viewerApi = Server.Http(viewerToken))
        {
            var refused = await viewerApi.PostAsync(new Uri($"/api/runs/{id}/cancel", UriKind.Relative), null);
            Assert.Equal(System.Net.HttpStatusCode.Forbidden, refused.StatusCode);
        }
        await viewer.GotoAsync("/runs");
        await viewer.Locator($"tr.run-{id}").WaitForAsync();
        Assert.Equal(0, await viewer.Locator($"tr.run-{id} [data-test=cancel]").CountAsync());
        Assert.Equal(0, await viewer.Locator("a[href='/runs/new']").CountAsync());

        // The operator cancels; the run's log says who did.
        await page.Locator("[data-test=cancel-run]").ClickAsync();
        // Asked first; kept training, nothing happens; confirmed, it stops.
        await page.GetByRole(AriaRole.Button, new() { Name = "Keep training" }).ClickAsync();
        await Assertions.Expect(page.Locator(".mud-dialog")).ToHaveCountAsync(0);
        Assert.Equal(0, await page.Locator("[data-test=run-status] [data-status=Cancelled]").CountAsync());
        await page.Locator("[data-test=cancel-run]").ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = ProCo.Web.Components.Shared.CancelConfirmation.Yes }).ClickAsync();
        await page.Locator("[data-test=run-status] [data-status=Cancelled]").WaitForAsync(new() { Timeout = 60_000 });
        await page.GetByText("Cancel requested.").First.WaitForAsync(new() { Timeout = 10_000 });
        Assert.Contains("olga", await page.Locator("[data-test=console]").InnerTextAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnAdminCreatesAnApiTokenOnTheAccountPage_AndItWorks()
    {
        var page = await NewPageAsync();
        await page.GotoAsync("/account");
        await page.Locator("[data-test=whoami]").WaitForAsync();
        await StudioServer.WaitForInteractiveAsync(page);
        await page.Locator("input[data-test=token-name]").FillAsync("notebook");
        await page.Locator("input[data-test=token-name]").PressAsync("Tab");
        await page.Locator("[data-test=create-token]").ClickAsync();
        var shown = await page.Locator("[data-test=new-token] .studio-mono").InnerTextAsync();
        var token = shown.Trim();
        Assert.StartsWith("proco_", token, StringComparison.Ordinal);
        Assert.True(await page.GetByText("notebook").CountAsync() >= 1);
        Assert.True(await page.Locator("[data-test=account-row]").CountAsync() >= 1, "an admin sees the accounts");
        await page.ScreenshotAsync(new() { Path = Shot("account-page.png"), FullPage = true });

        using var http = Server.Http(token);
        var me = System.Text.Json.JsonDocument.Parse(await http.GetStringAsync(new Uri("/api/me", UriKind.Relative))).RootElement;
        Assert.Equal("admin", me.GetProperty("name").GetString());
    }
}
