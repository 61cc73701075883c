using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting;
using System.Net.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using ProCo.Web.Live;

namespace ProCo.Web.Tests;

/// <summary>An unhandled error in an API request answers problem+json with its trace id and no stack, whatever the method.</summary>
[Collection(AppHost.Name)]
public sealed class ErrorHandlingTests : IClassFixture<ErrorHandlingTests.ThrowingFactory>
{
    /// <summary>The real app whose live publisher fails the way a bug would, in the middle of an edit or a create.</summary>
    public sealed class ThrowingFactory : StudioFactory
    {
        public const string Secret = "a detail only the server log may see";

        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            builder.ConfigureServices(services => services.AddSingleton<IRunPublisher, FailingPublisher>());
        }

        private sealed class FailingPublisher : IRunPublisher
        {
            public void Points(long runId, int stepsPerEpoch, IReadOnlyList<LivePoint> points) => throw new InvalidOperationException(Secret);
            public void Vector(VectorMessage message) => throw new InvalidOperationException(Secret);
            public void Run(RunMessage message) => throw new InvalidOperationException(Secret);
        }
    }

    private readonly ThrowingFactory _factory;

    public ErrorHandlingTests(ThrowingFactory factory) => _factory = factory;

    [Fact]
    public async Task AnUnhandledApiError_Is500ProblemJsonWithATraceId_AndNoStack_WhateverTheMethod()
    {
        using var http = _factory.CreateClient();
        async Task ExpectProblemAsync(HttpResponseMessage response)
        {
            Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            var body = await response.Content.ReadAsStringAsync();
            var problem = JsonDocument.Parse(body).RootElement;
            Assert.Equal(500, problem.GetProperty("status").GetInt32());
            Assert.False(string.IsNullOrEmpty(problem.GetProperty("traceId").GetString()));
            Assert.DoesNotContain(ThrowingFactory.Secret, body, StringComparison.Ordinal);
            Assert.DoesNotContain("   at ", body, StringComparison.Ordinal);
        }

        // POST: the run is stored, then announcing it fails.
        await ExpectProblemAsync(await http.PostAsJsonAsync(new Uri("/api/runs", UriKind.Relative), new { name = "fails", config = Api.TinyConfig(epochs: 1) }));
        var id = JsonDocument.Parse(await http.GetStringAsync(new Uri("/api/runs?sort=-created&pageSize=1", UriKind.Relative))).RootElement
            .GetProperty("items")[0].GetProperty("id").GetInt64();
        // PATCH: an edit fails the same way; before, the error page was re-executed as a PATCH and answered 405.
        await ExpectProblemAsync(await http.PatchAsJsonAsync(new Uri($"/api/runs/{id}", UriKind.Relative), new { name = "renamed" }));
        // The app keeps answering.
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(new Uri("/api/runs", UriKind.Relative))).StatusCode);
    }
}
