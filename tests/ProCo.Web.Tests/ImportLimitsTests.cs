using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting;
using ProCo.Data.TensorBoard;

namespace ProCo.Web.Tests;

/// <summary>Import limits that apply, set small here: bytes per upload and scalars per run; staged uploads are removed.</summary>
[Collection(AppHost.Name)]
public sealed class ImportLimitsTests : IClassFixture<ImportLimitsTests.SmallLimitsFactory>
{
    public sealed class SmallLimitsFactory : StudioFactory
    {
        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            builder.UseSetting("ProCo:Import:MaxUploadBytes", "4096");
            builder.UseSetting("ProCo:Import:MaxPoints", "3");
            builder.UseSetting("ProCo:Import:MaxSeries", "2");
        }
    }

    private readonly SmallLimitsFactory _factory;

    public ImportLimitsTests(SmallLimitsFactory factory) => _factory = factory;

    private static byte[] EventFile(int scalars)
    {
        var buffer = new MemoryStream();
        EventFiles.Write(buffer, Enumerable.Range(0, scalars).Select(i => new ScalarEvent("acc/val_top1", i, i, 1)));
        return buffer.ToArray();
    }

    [Fact]
    public async Task AnUploadOverEitherLimit_Is400NamingTheSetting_StoresNothing_AndNoStagedFileStays()
    {
        using var http = _factory.CreateClient();
        var (tooMany, manyBody) = await Api.UploadAsync(http, "many/events.out.tfevents.1.x", EventFile(4));
        Assert.Equal(HttpStatusCode.BadRequest, tooMany);
        Assert.Contains("4 scalars, more than the 3 an import may hold (ProCo:Import:MaxPoints)", manyBody, StringComparison.Ordinal);
        var buffer = new MemoryStream();
        EventFiles.Write(buffer, new[] { "a", "b", "c" }.Select(t => new ScalarEvent(t, 1, 1, 1)));
        var (tooWide, wideBody) = await Api.UploadAsync(http, "wide/events.out.tfevents.1.x", buffer.ToArray());
        Assert.Equal(HttpStatusCode.BadRequest, tooWide);
        Assert.Contains("3 series, more than the 2 an import may hold (ProCo:Import:MaxSeries)", wideBody, StringComparison.Ordinal);
        var (tooBig, bigBody) = await Api.UploadAsync(http, "big/events.out.tfevents.1.x", new byte[5000]);
        Assert.Equal(HttpStatusCode.BadRequest, tooBig);
        Assert.Contains("At most 4,096 bytes per upload (ProCo:Import:MaxUploadBytes)", bigBody, StringComparison.Ordinal);
        var none = JsonDocument.Parse(await http.GetStringAsync(new Uri("/api/runs", UriKind.Relative))).RootElement;
        Assert.Equal(0, none.GetProperty("total").GetInt32());

        var (ok, okBody) = await Api.UploadAsync(http, "few/events.out.tfevents.1.x", EventFile(3));
        Assert.True(ok == HttpStatusCode.OK, okBody);
        Assert.Equal(3, JsonDocument.Parse(okBody).RootElement[0].GetProperty("points").GetInt32());
        var imports = Path.Combine(_factory.DataDir, "imports");
        Assert.Empty(Directory.Exists(imports) ? Directory.GetFileSystemEntries(imports) : []);
    }
}
