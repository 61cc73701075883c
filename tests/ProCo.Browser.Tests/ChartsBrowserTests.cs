using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.Playwright;
using ProCo.Data.TensorBoard;
using Xunit.Abstractions;

namespace ProCo.Browser.Tests;

/// <summary>Honest charts in Chromium: smoothing beside the measured values, legends, axes of imported runs.</summary>
[Collection(BrowserTestGroup.Name)]
public sealed class ChartsBrowserTests(StudioServer server, ITestOutputHelper output) : BrowserTest(server, output)
{
    private sealed record Line(string Label, bool Smoothed, double X, double? Raw, double? Drawn, double FirstX);
    private sealed record ChartState(string Title, string X, bool LogY, string[] Labels, string Note, Line[] Lines);

    private static async Task<ChartState> StateAsync(IPage page, string key) =>
        JsonSerializer.Deserialize<ChartState>(await page.EvaluateAsync<JsonElement>("k => studioTest.chartState(k)", key), JsonSerializerOptions.Web)!;

    [Fact]
    public async Task CompareSmoothing_KeepsTheMeasuredLine_ShortSeriesStayUnsmoothedUnlessAsked_AndLegendsNameWhatIsDrawn()
    {
        using var http = Server.Http();
        var proco = await Runs.CreateAsync(http, Runs.Tiny(epochs: 6, seed: 1), "smooth ProCo");
        var ce = await Runs.CreateAsync(http, Runs.Tiny(epochs: 6, seed: 2, method: "ce"), "smooth CE");
        await Runs.WaitForStatusAsync(http, proco, "Succeeded", TimeSpan.FromSeconds(300));
        await Runs.WaitForStatusAsync(http, ce, "Succeeded", TimeSpan.FromSeconds(300));
        var imported = await ExportAndImportAsync(http, proco, "smooth ProCo, imported back", withEpochLength: true);

        var page = await NewPageAsync();
        await page.GotoAsync($"/compare?ids={proco},{ce},{imported}");
        await page.Locator("[data-studio-ready=true]").WaitForAsync(new() { Timeout = 20_000 });

        // Fields an imported log does not record are not differences: only method and seed are.
        var fields = await page.Locator("[data-test=diff] tr[data-field]").EvaluateAllAsync<string[]>("rows => rows.map(r => r.dataset.field)");
        Assert.Equal(["method", "seed"], fields.Order());

        // Smoothing at its maximum, with the keyboard.
        await page.Locator("[data-test=smoothing] input, input[data-test=smoothing]").FocusAsync();
        await page.Keyboard.PressAsync("End");
        await page.WaitForFunctionAsync("() => studioTest.chartState('loss').lines.some(l => l.smoothed)");

        // The six-epoch accuracy is drawn as measured; its legend names runs and series in words.
        var acc = await StateAsync(page, "acc");
        var valTop1 = acc.Lines.Single(l => l.Label == $"#{proco} smooth ProCo · test top-1");
        Assert.False(valTop1.Smoothed);
        Assert.Equal(valTop1.Raw, valTop1.Drawn);
        Assert.Equal(6, valTop1.X);
        Assert.Equal(1, valTop1.FirstX);
        Assert.DoesNotContain(acc.Labels, l => l.Contains("acc/", StringComparison.Ordinal));

        // The per-step loss is smoothed, its measured line stays drawn (faintly) behind it.
        var loss = await StateAsync(page, "loss");
        Assert.Equal("epoch", loss.X);
        Assert.All(loss.Lines, l => Assert.True(l.Smoothed));
        Assert.Contains(loss.Lines, l => l.Raw != l.Drawn);
        // The plain-CE run has no ProCo loss line; the imported copy's per-step loss ends at epoch 6.
        Assert.Equal(
            new[] { $"#{ce} smooth CE · classification loss (train)", $"#{proco} smooth ProCo · ProCo loss (train)", $"#{proco} smooth ProCo · classification loss (train)",
             $"#{imported} smooth ProCo, imported back · ProCo loss (train)", $"#{imported} smooth ProCo, imported back · classification loss (train)" }
            .Order(StringComparer.Ordinal),
            loss.Labels.Order(StringComparer.Ordinal));
        Assert.All(loss.Lines, l => Assert.Equal(6.0, l.X, 3));
        var rawStyle = await page.Locator("[data-chart=loss] .u-legend tr.studio-raw").First.EvaluateAsync<string>("r => getComputedStyle(r).display");
        Assert.Equal("none", rawStyle);

        // Hovering gives both values, with sensible formats; swatches carry the line's pattern.
        var over = page.Locator("[data-chart=acc] .u-over");
        await over.ScrollIntoViewIfNeededAsync();
        var box = (await over.BoundingBoxAsync())!;
        // (The legend follows the cursor on the next animation frame: read with retrying assertions.)
        await page.Mouse.MoveAsync(box.X + box.Width * 0.9f, box.Y + box.Height / 2, new() { Steps = 3 });
        await Assertions.Expect(page.Locator("[data-chart=acc] .u-legend")).ToContainTextAsync(new System.Text.RegularExpressions.Regex(@"\d+\.\d\d %"));
        Assert.DoesNotMatch(@"\d+\.\d{4}\b", await page.Locator("[data-chart=acc] .u-legend").InnerTextAsync());
        await page.Locator("[data-chart=loss] .u-over").ScrollIntoViewIfNeededAsync();
        var lossOver = (await page.Locator("[data-chart=loss] .u-over").BoundingBoxAsync())!;
        await page.Mouse.MoveAsync(lossOver.X + lossOver.Width * 0.5f, lossOver.Y + lossOver.Height / 2, new() { Steps = 3 });
        await Assertions.Expect(page.Locator("[data-chart=loss] .u-legend")).ToContainTextAsync("· smoothed ");
        var styles = await page.Locator("[data-chart=acc] .u-legend tr:not(.studio-raw) .u-marker").EvaluateAllAsync<string[]>("ms => ms.map(m => getComputedStyle(m).borderBottomStyle)");
        Assert.Contains("solid", styles);
        Assert.Contains("dashed", styles);
        await page.ScreenshotAsync(new() { Path = Shot("compare-smoothed.png"), FullPage = true });

        // Asked for, short series are smoothed too.
        await page.Locator("[data-test=smooth-short] input, input[data-test=smooth-short]").CheckAsync();
        await page.WaitForFunctionAsync("() => studioTest.chartState('acc').lines.every(l => l.smoothed)");
        valTop1 = (await StateAsync(page, "acc")).Lines.Single(l => l.Label == $"#{proco} smooth ProCo · test top-1");
        Assert.NotEqual(valTop1.Raw, valTop1.Drawn);
    }

    [Fact]
    public async Task AnImportedRun_PlacesPerStepSeriesOnTheEpochAxis_WhenItsFileSaysHowLongAnEpochIs_AndOnAStepAxisOtherwise()
    {
        using var http = Server.Http();
        var id = await Runs.CreateAsync(http, Runs.Tiny(epochs: 3), "to export");
        await Runs.WaitForStatusAsync(http, id, "Succeeded", TimeSpan.FromSeconds(300));
        var spe = JsonDocument.Parse(await http.GetStringAsync(new Uri($"/api/runs/{id}", UriKind.Relative))).RootElement.GetProperty("stepsPerEpoch").GetInt32();
        Assert.True(spe > 1);
        var known = await ExportAndImportAsync(http, id, "exported with its epoch length", withEpochLength: true);
        var unknown = await ExportAndImportAsync(http, id, "exported by an older version", withEpochLength: false);

        var page = await NewPageAsync();
        await page.GotoAsync($"/runs/{known}");
        await page.Locator("[data-studio-ready=true]").WaitForAsync(new() { Timeout = 20_000 });
        var loss = await StateAsync(page, "loss");
        Assert.Equal(("epoch", "Training loss (per step)"), (loss.X, loss.Title));
        Assert.All(loss.Lines, l => Assert.Equal(3.0, l.X, 3));
        // Its shot groups are drawn as the trained run's are (ten classes of at most 60 images have no many-shot group).
        Assert.Equal(["few-shot", "medium-shot"], (await StateAsync(page, "shots")).Labels.Order(StringComparer.Ordinal));
        await page.GotoAsync($"/runs/{id}");
        await page.Locator("[data-studio-ready=true]").WaitForAsync(new() { Timeout = 20_000 });
        Assert.Equal(["few-shot", "medium-shot"], (await StateAsync(page, "shots")).Labels.Order(StringComparer.Ordinal));

        // The κ heatmap names its rows (every class, head first) and its columns (epochs), and its
        // tooltip stays inside the chart at the right and bottom edges.
        await page.WaitForFunctionAsync("() => studioTest.heatmapLabels()?.epochs.length === 3");
        var labels = await page.EvaluateAsync<JsonElement>("() => studioTest.heatmapLabels()");
        Assert.Equal([1, 2, 3], labels.GetProperty("epochs").EnumerateArray().Select(e => e.GetInt32()));
        var classes = labels.GetProperty("classes").EnumerateArray().Select(e => e.GetString()).ToArray();
        Assert.Equal(10, classes.Length);
        Assert.Equal("T-shirt/top", classes[0]); // the head class of the natural order
        var canvas = page.Locator("[data-chart=kappa] canvas");
        await canvas.ScrollIntoViewIfNeededAsync();
        var cells = (await canvas.BoundingBoxAsync())!;
        await page.Mouse.MoveAsync(cells.X + cells.Width - 3, cells.Y + cells.Height - 40);
        var tip = page.Locator("[data-chart=kappa] .studio-tip");
        await Assertions.Expect(tip).ToContainTextAsync("epoch 3 · κ");
        var (tipBox, chartBox) = ((await tip.BoundingBoxAsync())!, (await page.Locator("[data-chart=kappa]").BoundingBoxAsync())!);
        Assert.True(tipBox.X + tipBox.Width <= chartBox.X + chartBox.Width + 0.5, $"tooltip right {tipBox.X + tipBox.Width}, chart right {chartBox.X + chartBox.Width}");
        Assert.True(tipBox.X >= chartBox.X);
        await page.ScreenshotAsync(new() { Path = Shot("heatmap-labelled.png"), FullPage = true });
        await page.ScreenshotAsync(new() { Path = Shot("imported-with-epoch-length.png"), FullPage = true });

        await page.GotoAsync($"/runs/{unknown}");
        await page.Locator("[data-studio-ready=true]").WaitForAsync(new() { Timeout = 20_000 });
        loss = await StateAsync(page, "loss");
        Assert.Equal("step", loss.X);
        Assert.Contains("by step", loss.Title, StringComparison.Ordinal);
        Assert.All(loss.Lines, l => Assert.Equal(3 * spe, l.X));
        // Its memory line, the only line of its chart with points (no GPU), is drawn by step in the chart's own place.
        var memory = await StateAsync(page, "memory");
        Assert.Equal("step", memory.X);
        Assert.Equal(["process memory (resident)"], memory.Labels);
        Assert.Equal(0, await page.Locator("[data-chart=memory-by-step]").CountAsync());
        await page.ScreenshotAsync(new() { Path = Shot("imported-by-step.png"), FullPage = true });

        // In Compare, beside a trained run, those series get a step chart of their own below the epoch chart.
        await page.GotoAsync($"/compare?ids={id},{unknown}");
        await page.Locator("[data-studio-ready=true]").WaitForAsync(new() { Timeout = 20_000 });
        var epochChart = await StateAsync(page, "loss");
        var stepChart = await StateAsync(page, "loss-by-step");
        Assert.Equal(("epoch", "step"), (epochChart.X, stepChart.X));
        Assert.All(epochChart.Labels, l => Assert.StartsWith($"#{id} to export ·", l, StringComparison.Ordinal));
        Assert.All(stepChart.Labels, l => Assert.StartsWith($"#{unknown} exported by an older version ·", l, StringComparison.Ordinal));
        await page.ScreenshotAsync(new() { Path = Shot("compare-with-step-chart.png"), FullPage = true });
    }

    [Fact]
    public async Task ChartControls_SwitchTheXAxisAndLogScale_ChooseSeries_AndExportAPngAndEveryRawPointAsCsv()
    {
        using var http = Server.Http();
        // Epochs of a few seconds, so that images/s and CPU are measured within them (over a second or more).
        var id = await Runs.CreateAsync(http, Runs.Tiny(epochs: 3, maxPerClass: 400), "chart controls");
        await Runs.WaitForStatusAsync(http, id, "Succeeded", TimeSpan.FromSeconds(300));
        var spe = JsonDocument.Parse(await http.GetStringAsync(new Uri($"/api/runs/{id}", UriKind.Relative))).RootElement.GetProperty("stepsPerEpoch").GetInt32();

        var page = await NewPageAsync();
        await page.GotoAsync($"/runs/{id}");
        await page.Locator("[data-studio-ready=true]").WaitForAsync(new() { Timeout = 20_000 });
        var tools = page.Locator("[data-chart=loss] [data-test=chart-tools]");

        // System metrics are series like the others: throughput, process CPU and memory (no GPU here).
        Assert.Equal(["images/s"], (await StateAsync(page, "throughput")).Labels);
        Assert.Equal(["process CPU (% of all cores)"], (await StateAsync(page, "utilisation")).Labels);
        var memory = await StateAsync(page, "memory");
        Assert.Equal(["process memory (resident)"], memory.Labels);
        Assert.InRange(memory.Lines[0].Raw!.Value, 50, 20_000); // MiB of a process that trains

        // x by step: the last step of the run; by wall time: seconds since the run started.
        await tools.Locator("[data-test=x-axis]").SelectOptionAsync("step");
        var loss = await StateAsync(page, "loss");
        Assert.Equal("step", loss.X);
        Assert.All(loss.Lines, l => Assert.Equal(3 * spe, l.X));
        await tools.Locator("[data-test=x-axis]").SelectOptionAsync("time");
        loss = await StateAsync(page, "loss");
        Assert.Equal("wall time (s)", loss.X);
        Assert.All(loss.Lines, l => Assert.InRange(l.X, 0.01, 300));
        // Per-epoch accuracy against time too: its last point is the run's end.
        await page.Locator("[data-chart=acc] [data-test=x-axis]").SelectOptionAsync("time");
        var acc = await StateAsync(page, "acc");
        Assert.All(acc.Lines, l => Assert.InRange(l.X, loss.Lines[0].X - 0.001, 300));

        // Log y, and the ProCo loss left out.
        await tools.Locator("[data-test=log-y]").CheckAsync();
        Assert.True((await StateAsync(page, "loss")).LogY);
        await tools.Locator("[data-test=series-pick] summary").ClickAsync();
        await tools.Locator("[data-series='SCL_loss/train']").UncheckAsync();
        Assert.Equal(["classification loss (train)"], (await StateAsync(page, "loss")).Labels);
        await page.ScreenshotAsync(new() { Path = Shot("chart-controls.png"), FullPage = true });
        await tools.Locator("[data-test=series-pick] summary").ClickAsync();

        // PNG: the chart as drawn, title and legend included.
        var png = await page.RunAndWaitForDownloadAsync(() => tools.Locator("[data-test=export-png]").ClickAsync());
        Assert.Equal("training-loss-per-step.png", png.SuggestedFilename);
        var pngPath = Shot("exported-loss.png");
        await png.SaveAsAsync(pngPath);
        var bytes = await File.ReadAllBytesAsync(pngPath);
        Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], bytes[..4]);
        var width = System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(16, 4));
        var canvasWidth = await page.Locator("[data-chart=loss] canvas").EvaluateAsync<int>("c => c.width");
        Assert.Equal(canvasWidth, width);

        // CSV: every stored point of the series shown, not the points drawn.
        var csv = await page.RunAndWaitForDownloadAsync(() => tools.Locator("[data-test=export-csv]").ClickAsync());
        var rows = (await File.ReadAllTextAsync(await csv.PathAsync())).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("run_id,run,series,step,value", rows[0]);
        Assert.All(rows.Skip(1), r => Assert.StartsWith($"{id},chart controls,CE_loss/train,", r, StringComparison.Ordinal));
        Assert.Equal((await Runs.StepsAsync(http, id, "CE_loss/train")).Length, rows.Length - 1);
    }

    // Exports a run's TensorBoard file and uploads it as a new run; without its epoch length, the
    // file is written again without that scalar, as versions before it was recorded wrote it.
    private static async Task<long> ExportAndImportAsync(HttpClient http, long id, string name, bool withEpochLength)
    {
        var bytes = await http.GetByteArrayAsync(new Uri($"/api/runs/{id}/export/tensorboard", UriKind.Relative));
        var folder = Directory.CreateTempSubdirectory("proco-export-");
        try
        {
            var path = Path.Combine(folder.FullName, EventFiles.FileName(DateTimeOffset.UtcNow, "test"));
            await File.WriteAllBytesAsync(path, bytes);
            var scalars = EventFiles.Read(path).Scalars;
            Assert.Contains(scalars, s => s.Tag == TensorBoardImporter.StepsPerEpochTag);
            if (!withEpochLength)
            {
                await using var file = File.Create(path);
                EventFiles.Write(file, scalars.Where(s => s.Tag != TensorBoardImporter.StepsPerEpochTag));
            }
            var content = new ByteArrayContent(await File.ReadAllBytesAsync(path));
            content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
            using var form = new MultipartFormDataContent { { content, "files", $"{name.Replace(' ', '_').Replace(',', '_')}/{Path.GetFileName(path)}" }, { new StringContent(name), "name" } };
            var response = await http.PostAsync(new Uri("/api/import", UriKind.Relative), form);
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(response.IsSuccessStatusCode, body);
            return JsonDocument.Parse(body).RootElement[0].GetProperty("runId").GetInt64();
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }
}
