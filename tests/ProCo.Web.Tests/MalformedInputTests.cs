using System.Net;
using System.Text;
using Microsoft.AspNetCore.Hosting;

namespace ProCo.Web.Tests;

/// <summary>
/// Malformed values through every entry point that takes input — query strings, route values, JSON bodies of the
/// wrong shape or with absurd numbers, uploads that are not what they say, page addresses: each answers 4xx (or
/// a page) with its reason, never a server error.
/// </summary>
[Collection(AppHost.Name)]
public sealed class MalformedInputTests(WebOnlyStudioFactory factory) : IClassFixture<WebOnlyStudioFactory>
{
    private static StringContent Json(string text) => new(text, Encoding.UTF8, "application/json");

    public static TheoryData<string, string, string?> Requests => new()
    {
        { "GET", "/api/runs/{run}/metrics?maxPoints=abc", null },
        { "GET", "/api/runs/{run}/metrics?maxPoints=99999999999999999999", null },
        { "GET", "/api/runs/{run}/metrics?fromStep=-9223372036854775808&toStep=9223372036854775807&afterStep=1e400", null },
        { "GET", "/api/runs/{run}/metrics?series=%00%01,,,%E2%80%AE", null },
        { "GET", "/api/runs/99999999999999999999", null },
        { "GET", "/api/runs/-1/vectors", null },
        { "GET", "/api/runs/{run}/metrics.csv?series=" + "x,x,x,x,x,x,x,x,x,x", null },
        { "GET", "/api/runs?status=nonsense&tag=%E2%80%AE&sort=%00", null },
        { "GET", "/api/compare?ids=abc,1e9,-3,,99999999999999999999", null },
        { "GET", "/api/compare?ids=" + "1," + new string('9', 5000), null },
        { "GET", "/api/checkpoints/0/download", null },
        { "GET", "/api/checkpoints/-5/pytorch", null },
        { "GET", "/api/datasets/..%2F..%2Fetc", null },
        { "GET", "/api/sweeps/0", null },
        { "POST", "/api/runs", "{" },
        { "POST", "/api/runs", "[]" },
        { "POST", "/api/runs", "{\"config\": 5}" },
        { "POST", "/api/runs", "{\"config\": {\"epochs\": 1e400, \"learningRate\": \"fast\"}}" },
        { "POST", "/api/runs", "{\"config\": {\"epochs\": -1, \"batchSize\": 99999999999, \"dataset\": \"../../etc/passwd\"}}" },
        { "POST", "/api/runs", "{\"name\": " + new string('[', 2000) + "}" },
        { "POST", "/api/runs", "{\"tags\": [1, 2, {\"a\": null}], \"config\": {}}" },
        { "PATCH", "/api/runs/{run}", "{\"name\": 7}" },
        { "PATCH", "/api/runs/99999", "{\"notes\": \"x\"}" },
        { "POST", "/api/runs/99999/cancel", null },
        { "POST", "/api/runs/99999/resume", null },
        { "POST", "/api/sweeps", "{\"config\": {}, \"sweep\": {\"kind\": \"grid\", \"lists\": {\"learningRate\": \"1..\"}}}" },
        { "POST", "/api/sweeps", "{\"config\": {}, \"sweep\": {\"kind\": \"random\", \"samples\": 99999999999, \"lists\": {\"seed\": \"0..1e300 log\"}}}" },
        { "POST", "/api/sweeps", "{\"sweep\": {\"kind\": \"spiral\"}}" },
        { "POST", "/api/datasets", "{\"name\": \"x\", \"root\": \"/proc/self\", \"kind\": \"folder\", \"valFraction\": 1e308}" },
        { "POST", "/api/datasets", "{\"name\": \"" + new string('y', 5000) + "\", \"root\": \"\\u0000\"}" },
        { "POST", "/api/datasets/nothing-here/verify", null },
        { "DELETE", "/api/datasets/%2E%2E", null },
        { "POST", "/api/tokens", "{\"name\": \"t\", \"days\": 99999999999}" },
        { "GET", "/runs/new?clone=abc&preset=%00", null },
        { "GET", "/runs/abc", null },
        { "GET", "/compare?ids=%E2%80%AE,abc,-1", null },
        { "GET", "/datasets/..%2F..", null },
    };

    [Theory]
    [MemberData(nameof(Requests))]
    public async Task AMalformedRequest_AnswersBelow500(string method, string path, string? body)
    {
        using var http = factory.CreateClient();
        // Paths naming {run} reach a run that exists, so the handler itself meets the values.
        if (path.Contains("{run}", StringComparison.Ordinal))
            path = path.Replace("{run}", (await Api.CreateRunAsync(http, Api.TinyConfig(), "target")).ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);
        using var request = new HttpRequestMessage(new HttpMethod(method), new Uri(path, UriKind.Relative)) { Content = body is null ? null : Json(body) };
        var response = await http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True((int)response.StatusCode < 500, $"{method} {path}: {(int)response.StatusCode} {text[..Math.Min(text.Length, 400)]}");
        Assert.DoesNotContain("   at ", text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("weights.pt", "PK\u0003\u0004 not really a zip")]
    [InlineData("events.out.tfevents.1.host", "\u0000\u0000\u0000\u0000\u00ff\u00ff\u00ff\u00ff garbage")]
    public async Task AnUploadThatIsNotWhatItSays_AnswersBelow500(string name, string content)
    {
        using var http = factory.CreateClient();
        foreach (var (path, field) in new[] { ("/api/weights", "file"), ("/api/import", "files") })
        {
            using var form = new MultipartFormDataContent { { new ByteArrayContent(Encoding.Latin1.GetBytes(content)), field, "run/" + name } };
            var response = await http.PostAsync(new Uri(path, UriKind.Relative), form);
            Assert.True((int)response.StatusCode < 500, $"{path} with {name}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }
    }
}
