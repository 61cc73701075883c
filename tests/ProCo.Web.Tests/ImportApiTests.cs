using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting;

namespace ProCo.Web.Tests;

/// <summary>The paper's logs as reference runs on the real app: one-click import, upload, export, edits.</summary>
[Collection(AppHost.Name)]
public sealed class ImportApiTests(ImportApiTests.ReferenceFactory factory) : ImportApiTestsOn<ImportApiTests.ReferenceFactory>(factory)
{
    /// <summary>The app as it ships: the authors' logs beside the program (or, with PROCO_REFERENCE_LOGS, ProCo:ReferenceLogsDir pointing there).</summary>
    public class ReferenceFactory : StudioFactory
    {
        public static string ReferenceLogs => ProCo.Tests.ReferenceFolders.ReferenceLogs;

        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            if (ProCo.Tests.ReferenceFolders.ReferenceLogsOverridden) builder.UseSetting("ProCo:ReferenceLogsDir", ReferenceLogs);
        }
    }

}

/// <summary>The same imports into a real PostgreSQL database.</summary>
[Collection(AppHost.Name)]
public sealed class ImportApiOnPostgresTests(ImportApiOnPostgresTests.PostgresReferenceFactory factory)
    : ImportApiTestsOn<ImportApiOnPostgresTests.PostgresReferenceFactory>(factory)
{
    public sealed class PostgresReferenceFactory : ImportApiTests.ReferenceFactory
    {
        protected override string Engine => "postgres";
    }
}

/// <summary>The import tests, on the store <typeparamref name="TFactory"/> configures.</summary>
public abstract class ImportApiTestsOn<TFactory> : IClassFixture<TFactory> where TFactory : ImportApiTests.ReferenceFactory
{
    private readonly TFactory _factory;

    protected ImportApiTestsOn(TFactory factory) => _factory = factory;

    [Fact]
    public async Task AddThePapersRuns_ImportsSevenReadOnlyRunsOnce_WithTheirPublishedBestTop1()
    {
        using var http = _factory.CreateClient();
        var first = JsonDocument.Parse(await (await http.PostAsync(new Uri("/api/import/reference", UriKind.Relative), null)).Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(7, first.GetArrayLength());
        var again = JsonDocument.Parse(await (await http.PostAsync(new Uri("/api/import/reference", UriKind.Relative), null)).Content.ReadAsStringAsync()).RootElement;
        Assert.All(again.EnumerateArray(), r => Assert.True(r.GetProperty("alreadyImported").GetBoolean()));

        // Another test may have uploaded one of these folders first: that run is reused, not duplicated.
        var ids = first.EnumerateArray().Select(r => r.GetProperty("runId").GetInt64()).ToArray();
        Assert.Equal(ids, again.EnumerateArray().Select(r => r.GetProperty("runId").GetInt64()));
        var runs = new List<JsonElement>();
        foreach (var runId in ids) runs.Add(await Api.RunAsync(http, runId));
        Assert.Equal([52.84, 54.15, 57.13, 65.49, 85.93, 88.17, 91.85],
            runs.Select(r => Math.Round(r.GetProperty("bestTop1").GetDouble(), 2)).Order());
        Assert.All(runs, r => Assert.True(r.GetProperty("isImported").GetBoolean()));

        var id = runs.MinBy(r => r.GetProperty("bestTop1").GetDouble()).GetProperty("id").GetInt64();
        var cancel = await http.PostAsync(new Uri($"/api/runs/{id}/cancel", UriKind.Relative), null);
        Assert.Equal(HttpStatusCode.Conflict, cancel.StatusCode);
        Assert.Contains("read-only", await cancel.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        // Dataset, imbalance and epochs came from the folder name and stay editable.
        var patched = await http.PatchAsJsonAsync(new Uri($"/api/runs/{id}", UriKind.Relative), new { name = "authors 400ep", epochs = 400, imbalanceFactor = 0.01, dataset = "CIFAR-100" });
        Assert.Equal(HttpStatusCode.OK, patched.StatusCode);
        var run = await Api.RunAsync(http, id);
        Assert.Equal(("authors 400ep", "cifar100"), (run.GetProperty("name").GetString(), run.GetProperty("dataset").GetString()));
        var badPatch = await http.PatchAsJsonAsync(new Uri($"/api/runs/{id}", UriKind.Relative), new { dataset = "mnist-ish" });
        Assert.Equal(HttpStatusCode.BadRequest, badPatch.StatusCode);
    }

    [Fact]
    public async Task Upload_OfAFolderOfEventFiles_ImportsARun_AndExportReadsBackTheSameValues()
    {
        using var http = _factory.CreateClient();
        var source = Directory.GetDirectories(ImportApiTests.ReferenceFactory.ReferenceLogs).Single(d => d.EndsWith("ProCo_cifar10_imb0.02_epochs200", StringComparison.Ordinal));
        using var form = new MultipartFormDataContent();
        foreach (var file in Directory.GetFiles(source))
        {
            var content = new ByteArrayContent(await File.ReadAllBytesAsync(file));
            content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
            form.Add(content, "files", $"ProCo_cifar10_imb0.02_epochs200/{Path.GetFileName(file)}");
        }
        form.Add(new StringContent("uploads"), "tag");
        var response = await http.PostAsync(new Uri("/api/import", UriKind.Relative), form);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, body);
        var result = JsonDocument.Parse(body).RootElement[0];
        var id = result.GetProperty("runId").GetInt64();
        // 200 epochs of 5 series, and the wall time of each epoch from the events' times.
        Assert.Equal(1200, result.GetProperty("points").GetInt32());
        var run = await Api.RunAsync(http, id);
        Assert.Equal(("cifar10", 0.02, 200), (run.GetProperty("dataset").GetString(), run.GetProperty("imbalanceFactor").GetDouble(), run.GetProperty("epochs").GetInt32()));

        // Notes: Markdown kept as written, too long refused with the limit, nothing else changed.
        var notes = "# Authors' run\n\nCompare with **our** α = 1 run.";
        var patched = await http.PatchAsJsonAsync(new Uri($"/api/runs/{id}", UriKind.Relative), new { notes });
        Assert.Equal(HttpStatusCode.OK, patched.StatusCode);
        var detail = JsonDocument.Parse(await http.GetStringAsync(new Uri($"/api/runs/{id}", UriKind.Relative))).RootElement;
        Assert.Equal(notes, detail.GetProperty("notes").GetString());
        Assert.Equal("ProCo_cifar10_imb0.02_epochs200", detail.GetProperty("run").GetProperty("name").GetString());
        var tooLong = await http.PatchAsJsonAsync(new Uri($"/api/runs/{id}", UriKind.Relative), new { notes = new string('x', 20_001) });
        Assert.Equal(HttpStatusCode.BadRequest, tooLong.StatusCode);
        Assert.Contains("Notes of at most 20,000 characters (20,001 given).", await tooLong.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(notes, JsonDocument.Parse(await http.GetStringAsync(new Uri($"/api/runs/{id}", UriKind.Relative))).RootElement.GetProperty("notes").GetString());

        // Export, then upload the exported file: the same series, value for value.
        var exported = await http.GetAsync(new Uri($"/api/runs/{id}/export/tensorboard", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, exported.StatusCode);
        var fileName = exported.Content.Headers.ContentDisposition!.FileNameStar ?? exported.Content.Headers.ContentDisposition.FileName!.Trim('"');
        Assert.StartsWith("events.out.tfevents.", fileName, StringComparison.Ordinal);
        using var back = new MultipartFormDataContent { { new ByteArrayContent(await exported.Content.ReadAsByteArrayAsync()), "files", fileName }, { new StringContent("round trip"), "name" } };
        var reimport = JsonDocument.Parse(await (await http.PostAsync(new Uri("/api/import", UriKind.Relative), back)).Content.ReadAsStringAsync()).RootElement[0];
        var copyId = reimport.GetProperty("runId").GetInt64();
        Assert.Equal("round trip", reimport.GetProperty("name").GetString());

        async Task<Dictionary<string, (long[] Steps, double[] Values)>> SeriesAsync(long run) =>
            JsonDocument.Parse(await http.GetStringAsync(new Uri($"/api/runs/{run}/metrics?maxPoints=100000", UriKind.Relative))).RootElement
                .EnumerateArray().ToDictionary(s => s.GetProperty("series").GetString()!,
                    s => (s.GetProperty("steps").EnumerateArray().Select(x => x.GetInt64()).ToArray(), s.GetProperty("values").EnumerateArray().Select(x => x.GetDouble()).ToArray()));
        var original = await SeriesAsync(id);
        var copy = await SeriesAsync(copyId);
        Assert.Equal(original.Keys.Order(), copy.Keys.Order());
        foreach (var (series, data) in original)
        {
            Assert.Equal(data.Steps, copy[series].Steps);
            Assert.Equal(data.Values.Select(v => (float)v), copy[series].Values.Select(v => (float)v));
        }
    }

    [Fact]
    public async Task Upload_OfSomethingElse_Is400AndImportsNothing()
    {
        using var http = _factory.CreateClient();
        using var form = new MultipartFormDataContent { { new StringContent("not an event file"), "files", "notes.txt" } };
        var response = await http.PostAsync(new Uri("/api/import", UriKind.Relative), form);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("Not TensorBoard event files: notes.txt", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Upload_OfAFileTooShortForOneEvent_Is400NamingItsSize()
    {
        using var http = _factory.CreateClient();
        using var form = new MultipartFormDataContent { { new ByteArrayContent([1, 2, 3, 4, 5, 6]), "files", "short/events.out.tfevents.1.host" } };
        var response = await http.PostAsync(new Uri("/api/import", UriKind.Relative), form);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("Too short to hold an event: short/events.out.tfevents.1.host (6 bytes).", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task CorruptUpload_ImportsTheWholeRecords_AndTheServerStaysUp()
    {
        using var http = _factory.CreateClient();
        var file = Directory.GetFiles(Directory.GetDirectories(ImportApiTests.ReferenceFactory.ReferenceLogs).First(d => d.EndsWith("ProCo_cifar100_imb0.1_epochs200", StringComparison.Ordinal))).Single();
        var bytes = await File.ReadAllBytesAsync(file);
        using var form = new MultipartFormDataContent { { new ByteArrayContent(bytes[..20000]), "files", "cut/events.out.tfevents.1.cut" } };
        var result = JsonDocument.Parse(await (await http.PostAsync(new Uri("/api/import", UriKind.Relative), form)).Content.ReadAsStringAsync()).RootElement[0];
        Assert.True(result.GetProperty("points").GetInt32() > 300);
        var warning = result.GetProperty("warnings")[0].GetString()!;
        Assert.Contains("truncated record", warning, StringComparison.Ordinal);
        Assert.Contains("events.out.tfevents.1.cut: ", warning, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(new Uri("/api/runs", UriKind.Relative))).StatusCode);
    }

    // One TFRecord: length, masked CRC of the length, payload, masked CRC of the payload.
    private static byte[] Record(byte[] payload)
    {
        var record = new byte[16 + payload.Length];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(record, (ulong)payload.Length);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(record.AsSpan(8), ProCo.Data.TensorBoard.Crc32C.Masked(record.AsSpan(0, 8)));
        payload.CopyTo(record, 12);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(record.AsSpan(12 + payload.Length), ProCo.Data.TensorBoard.Crc32C.Masked(payload));
        return record;
    }


    [Fact]
    public async Task MalformedEventFilesAndFolderNames_AreImportedAsFarAsTheyGo_WithAReason_AndTheListKeepsAnswering()
    {
        using var http = _factory.CreateClient();
        // A step-7 event, then 12 to 15 bytes of a record header that announces more than is left.
        byte[] e = [0x10, 0x07];
        foreach (var extra in new[] { 12, 13, 15 })
        {
            var tail = new byte[extra];
            System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(tail, 3);
            System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(tail.AsSpan(8), ProCo.Data.TensorBoard.Crc32C.Masked(tail.AsSpan(0, 8)));
            var (status, body) = await Api.UploadAsync(http, $"tail{extra}/events.out.tfevents.{extra}.x", [.. Record(e), .. tail]);
            Assert.True(status == HttpStatusCode.OK, body);
            Assert.Contains("truncated record at byte 18", body, StringComparison.Ordinal);
        }
        // An event whose summary announces 2^31 - 1 bytes.
        byte[] huge = [0x10, 0x07, 0x2A, 0xFF, 0xFF, 0xFF, 0xFF, 0x07];
        var (hugeStatus, hugeBody) = await Api.UploadAsync(http, "huge/events.out.tfevents.1.x", Record(huge));
        Assert.True(hugeStatus == HttpStatusCode.OK, hugeBody);
        Assert.Contains("unreadable event at byte 0", hugeBody, StringComparison.Ordinal);
        Assert.DoesNotContain("/tmp", hugeBody, StringComparison.Ordinal); // no server paths in answers

        // Absurd numbers in a folder name are left empty, with the reason.
        var (nameStatus, nameBody) = await Api.UploadAsync(http, "ProCo_cifar100_imb1e999_epochs99999999999/events.out.tfevents.1.x", Record(e));
        Assert.True(nameStatus == HttpStatusCode.OK, nameBody);
        var imported = JsonDocument.Parse(nameBody).RootElement[0];
        Assert.Contains("imbalance factor '1e999' is not in (0, 1]", nameBody, StringComparison.Ordinal);
        Assert.Contains("epochs '99999999999' is not between 1 and 10000", nameBody, StringComparison.Ordinal);
        var run = await Api.RunAsync(http, imported.GetProperty("runId").GetInt64());
        Assert.Equal(("cifar100", 0.0, 0), (run.GetProperty("dataset").GetString(), run.GetProperty("imbalanceFactor").GetDouble(), run.GetProperty("epochs").GetInt32()));

        // A NUL in the folder name and a 300-character one are staged under safe names; a name over 200 characters is refused.
        Assert.Equal("bad_name", ProCo.Web.Runs.ImportService.Sanitize("bad\0name"));
        Assert.Equal(120, ProCo.Web.Runs.ImportService.Sanitize(new string('f', 300)).Length);
        Assert.Equal(HttpStatusCode.OK, (await Api.UploadAsync(http, new string('f', 300) + "/events.out.tfevents.3.x", Record([0x10, 0x09]))).Status);
        var (longStatus, longBody) = await Api.UploadAsync(http, "events.out.tfevents.4.x", Record([0x10, 0x0A]), name: new string('n', 201));
        Assert.Equal(HttpStatusCode.BadRequest, longStatus);
        Assert.Contains("At most 200 characters", longBody, StringComparison.Ordinal);

        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(new Uri("/api/runs", UriKind.Relative))).StatusCode);
    }

    [Fact]
    public async Task NonFiniteValues_AreStoredAndServedAsWhatTheyAre_AndTheSummaryKeepsToFiniteOnes()
    {
        using var http = _factory.CreateClient();
        var scalars = new List<ProCo.Data.TensorBoard.ScalarEvent>
        {
            new("acc/val_top1", 0, 10f, 1), new("acc/val_top1", 1, 30f, 2), new("acc/val_top1", 2, float.PositiveInfinity, 3), new("acc/val_top1", 3, float.NaN, 4),
            new("CE_loss/train", 0, 2f, 1), new("CE_loss/train", 1, float.NegativeInfinity, 2), new("CE_loss/train", 2, float.NaN, 3),
        };
        var buffer = new MemoryStream();
        ProCo.Data.TensorBoard.EventFiles.Write(buffer, scalars);
        var (status, body) = await Api.UploadAsync(http, "diverged/events.out.tfevents.9.x", buffer.ToArray());
        Assert.True(status == HttpStatusCode.OK, body);
        var id = JsonDocument.Parse(body).RootElement[0].GetProperty("runId").GetInt64();

        // The list and the run answer; the run's columns hold the finite best and no last (it was NaN).
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(new Uri("/api/runs", UriKind.Relative))).StatusCode);
        var run = await Api.RunAsync(http, id);
        Assert.Equal(30, run.GetProperty("bestTop1").GetDouble());
        Assert.Equal(JsonValueKind.Null, run.GetProperty("lastTop1").ValueKind);
        var detail = JsonDocument.Parse(await http.GetStringAsync(new Uri($"/api/runs/{id}", UriKind.Relative))).RootElement;
        var top1 = detail.GetProperty("series").EnumerateArray().Single(s => s.GetProperty("series").GetString() == "acc/val_top1");
        Assert.Equal(("NaN", 30.0), (top1.GetProperty("last").GetString(), top1.GetProperty("best").GetDouble()));

        var metrics = JsonDocument.Parse(await http.GetStringAsync(new Uri($"/api/runs/{id}/metrics", UriKind.Relative))).RootElement
            .EnumerateArray().ToDictionary(s => s.GetProperty("series").GetString()!, s => s.GetProperty("values").EnumerateArray().Select(v => v.ToString()).ToArray());
        Assert.Equal(["10", "30", "Infinity", "NaN"], metrics["acc/val_top1"]);
        Assert.Equal(["2", "-Infinity", "NaN"], metrics["CE_loss/train"]);

        // Exported and read back: the same values.
        var exported = await http.GetByteArrayAsync(new Uri($"/api/runs/{id}/export/tensorboard", UriKind.Relative));
        var path = Path.Combine(_factory.DataDir, "diverged-export.tfevents");
        await File.WriteAllBytesAsync(path, exported);
        var back = ProCo.Data.TensorBoard.EventFiles.Read(path).Scalars.Where(e => e.Tag == "acc/val_top1").OrderBy(e => e.Step).Select(e => e.Value).ToArray();
        Assert.Equal([10f, 30f, float.PositiveInfinity, float.NaN], back);
    }
}
