using System.Buffers.Binary;
using System.Globalization;
using Microsoft.EntityFrameworkCore;
using ProCo.Data.Entities;
using ProCo.Data.TensorBoard;

namespace ProCo.Data.Tests;

public sealed class TensorBoardTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    private async Task<ProCoDbContext> OpenAsync()
    {
        var db = new ProCoDbContext(new DbContextOptionsBuilder<ProCoDbContext>().UseRunDatabase(_folder.File("runs.db")).Options);
        await DatabaseMigrator.MigrateAsync(db);
        return db;
    }

    private static string ReferenceLogs() => ProCo.Tests.ReferenceFolders.ReferenceLogs;

    [Fact]
    public async Task ImportingThePapersLogs_GivesSevenRunsWithTheirSeries_Once()
    {
        await using var db = await OpenAsync();
        var folders = TensorBoardImporter.RunFolders(ReferenceLogs());
        Assert.Equal(7, folders.Count);
        var results = new List<ImportResult>();
        foreach (var folder in folders) results.Add(await TensorBoardImporter.ImportRunAsync(db, folder, tag: "paper"));

        // Their published best top-1 is the web app's summary of these series (ImportApiTests checks it).
        var runs = await db.Runs.AsNoTracking().OrderBy(r => r.Name).ToListAsync();
        Assert.Equal(7, runs.Count);
        var top1 = await db.MetricPoints.Where(p => p.Series == "acc/val_top1").GroupBy(p => p.RunId).Select(g => g.Max(p => p.Value)).ToListAsync();
        Assert.Equal(["52.84", "54.15", "57.13", "65.49", "85.93", "88.17", "91.85"],
            top1.Order().Select(v => v!.Value.ToString("F2", CultureInfo.InvariantCulture)));
        Assert.All(runs, r => Assert.True(r.IsImported && r.Status == RunStatus.Succeeded && r.Tags == "paper"));
        var c100 = runs.Single(r => r.Name == "ProCo_cifar100_imb0.01_epochs400");
        Assert.Equal(("cifar100", 0.01, 400, "proco"), (c100.Dataset, c100.ImbalanceFactor, c100.Epochs, c100.Method));
        foreach (var run in runs)
        {
            var perSeries = await db.MetricPoints.Where(p => p.RunId == run.Id).GroupBy(p => p.Series).Select(g => g.Count()).ToListAsync();
            Assert.Equal(5, perSeries.Count);
            Assert.All(perSeries, count => Assert.Equal(run.Epochs, count));
        }

        // Asked for, the events' wall times become a series of seconds since the first, one point per epoch.
        var timed = Path.Combine(_folder.Path, "timed", "ProCo_cifar10_imb0.1_epochs200");
        Directory.CreateDirectory(timed);
        foreach (var file in Directory.GetFiles(folders.Single(f => f.EndsWith("ProCo_cifar10_imb0.1_epochs200", StringComparison.Ordinal))))
            File.Copy(file, Path.Combine(timed, Path.GetFileName(file) + ".copy"));
        var withTime = await TensorBoardImporter.ImportRunAsync(db, timed, elapsedSeries: "sys/elapsed_s");
        var elapsed = await db.MetricPoints.Where(p => p.RunId == withTime.RunId && p.Series == "sys/elapsed_s").OrderBy(p => p.Step).ToListAsync();
        Assert.Equal(200, elapsed.Count);
        Assert.Equal(0, elapsed.Min(p => p.Value));
        Assert.True(elapsed.Zip(elapsed.Skip(1)).All(p => p.First.Value < p.Second.Value), "time increases with the epochs");
        Assert.InRange(elapsed[^1].Value!.Value, 600, 200 * 3600); // 200 CIFAR epochs on a GPU: more than 10 minutes, less than 200 hours
        db.Runs.Remove(await db.Runs.SingleAsync(r => r.Id == withTime.RunId));
        await db.SaveChangesAsync();

        // The same files again: nothing new.
        foreach (var folder in folders) Assert.True((await TensorBoardImporter.ImportRunAsync(db, folder)).AlreadyImported);
        Assert.Equal(7, await db.Runs.CountAsync());
    }

    private string CopyOfAReferenceRun()
    {
        var source = TensorBoardImporter.RunFolders(ReferenceLogs()).Single(f => f.EndsWith("ProCo_cifar10_imb0.1_epochs200", StringComparison.Ordinal));
        var target = Path.Combine(_folder.Path, "ProCo_cifar10_imb0.1_epochs200");
        Directory.CreateDirectory(target);
        foreach (var file in Directory.GetFiles(source)) File.Copy(file, Path.Combine(target, Path.GetFileName(file)));
        return target;
    }

    [Fact]
    public async Task CorruptRecord_StopsThatFileAtItsOffset_KeepingEveryWholeRecordBefore()
    {
        var folder = CopyOfAReferenceRun();
        var file = EventFiles.InFolder(folder).Single();
        var bytes = await File.ReadAllBytesAsync(file);
        // Walk to record 101 and flip one byte of its payload.
        var offset = 0;
        for (var i = 0; i < 101; i++) offset += 16 + (int)BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(offset));
        bytes[offset + 14] ^= 0xFF;
        await File.WriteAllBytesAsync(file, bytes);

        var content = EventFiles.Read(file);
        Assert.Equal(101, content.Records);
        Assert.Equal(100, content.Scalars.Count); // the first record is the file version
        Assert.Equal($"{file}: corrupt record data at byte {offset} (CRC mismatch); 101 records before it were kept.", content.Warning);

        await using var db = await OpenAsync();
        var result = await TensorBoardImporter.ImportRunAsync(db, folder);
        Assert.Equal(100, result.Points);
        Assert.Contains(await db.RunEvents.Select(e => e.Message).ToListAsync(), m => m.Contains($"at byte {offset}", StringComparison.Ordinal));
    }

    [Fact]
    public async Task TruncatedFile_KeepsTheWholeRecordsAndSaysWhere()
    {
        var folder = CopyOfAReferenceRun();
        var file = EventFiles.InFolder(folder).Single();
        var bytes = await File.ReadAllBytesAsync(file);
        await File.WriteAllBytesAsync(file, bytes[..(bytes.Length - 7)]);
        var records = 0;
        var lastRecord = 0;
        for (var offset = 0; offset < bytes.Length; offset += 16 + (int)BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(offset)), records++)
            lastRecord = offset;
        var content = EventFiles.Read(file);
        Assert.Equal(records - 1, content.Records);
        Assert.Equal(content.Records - 1, content.Scalars.Count);
        Assert.Equal($"{file}: truncated record at byte {lastRecord} ({bytes.Length - lastRecord - 16} bytes announced); {records - 1} records before it were kept.", content.Warning);
    }

    [Fact]
    public async Task FolderWithoutScalars_ImportsAsAnEmptyRunWithAWarning()
    {
        var folder = Path.Combine(_folder.Path, "empty_run");
        Directory.CreateDirectory(folder);
        await using (var file = File.Create(Path.Combine(folder, "events.out.tfevents.1.host"))) EventFiles.Write(file, []);
        await using var db = await OpenAsync();
        var result = await TensorBoardImporter.ImportRunAsync(db, folder);
        Assert.Equal(0, result.Points);
        Assert.Contains("no scalars", Assert.Single(result.Warnings), StringComparison.Ordinal);
        Assert.Equal("empty_run", (await db.Runs.SingleAsync()).Name);
    }

    [Fact]
    public void NewStyleTensorScalars_WithTheScalarsPlugin_AreRead()
    {
        // Event { step: 7, summary { value { tag: "acc/val_top1", metadata { plugin_data { plugin_name: "scalars" } },
        //   tensor { dtype: DT_FLOAT, tensor_shape {}, float_val: 42.5 } } } }
        byte[] plugin = [0x0A, 0x07, .. "scalars"u8];
        byte[] metadata = [0x0A, (byte)plugin.Length, .. plugin];
        byte[] tensor = [0x08, 0x01, 0x12, 0x00, 0x2A, 0x04, .. BitConverter.GetBytes(42.5f)];
        byte[] value = [0x0A, 0x0C, .. "acc/val_top1"u8, 0x4A, (byte)metadata.Length, .. metadata, 0x42, (byte)tensor.Length, .. tensor];
        byte[] summary = [0x0A, (byte)value.Length, .. value];
        byte[] e = [0x10, 0x07, 0x2A, (byte)summary.Length, .. summary];
        var path = _folder.File("events.out.tfevents.2.host");
        using (var file = File.Create(path))
        {
            Span<byte> header = stackalloc byte[12];
            BinaryPrimitives.WriteUInt64LittleEndian(header, (ulong)e.Length);
            BinaryPrimitives.WriteUInt32LittleEndian(header[8..], Crc32C.Masked(header[..8]));
            file.Write(header);
            file.Write(e);
            file.Write(BitConverter.GetBytes(Crc32C.Masked(e)));
        }
        var content = EventFiles.Read(path);
        Assert.Null(content.Warning);
        Assert.Equal(new ScalarEvent("acc/val_top1", 7, 42.5f, 0), Assert.Single(content.Scalars));
    }

    [Fact]
    public void Crc32C_MatchesTheStandardCheckValue() =>
        Assert.Equal(0xE3069283u, Crc32C.Compute("123456789"u8));

    [Fact]
    public async Task ExportThenImport_GivesTheSameSeriesValueForValue()
    {
        await using var db = await OpenAsync();
        var run = new Run { Name = "ours", Dataset = "cifar10", CreatedAt = DateTimeOffset.UtcNow, StepsPerEpoch = 3 };
        db.Runs.Add(run);
        await db.SaveChangesAsync();
        var random = new Random(5);
        var points = Enumerable.Range(1, 300).Select(i => new MetricPoint { RunId = run.Id, Series = "CE_loss/train", Step = i, Value = random.NextDouble() * 5 })
            .Concat(Enumerable.Range(1, 100).Select(i => new MetricPoint { RunId = run.Id, Series = "acc/val_top1", Step = i, Value = random.NextDouble() * 100 }))
            .ToList();
        await MetricStore.WriteAsync(db, points, [], []);

        var folder = Path.Combine(_folder.Path, "exported");
        Directory.CreateDirectory(folder);
        await using (var file = File.Create(Path.Combine(folder, EventFiles.FileName(DateTimeOffset.UtcNow, "proco"))))
            await TensorBoardImporter.ExportAsync(db, run.Id, file);
        var result = await TensorBoardImporter.ImportRunAsync(db, folder);

        var imported = await db.MetricPoints.Where(p => p.RunId == result.RunId).ToListAsync();
        Assert.Equal(points.Count, imported.Count);
        var byKey = imported.ToDictionary(p => (p.Series, p.Step), p => p.Value);
        Assert.All(points, p => Assert.Equal((float)p.Value!.Value, (float)byKey[(p.Series, p.Step)]!.Value));
        // The epoch length comes back as the run's, not as a series.
        Assert.Equal(3, (await db.Runs.SingleAsync(r => r.Id == result.RunId)).StepsPerEpoch);
        Assert.DoesNotContain(imported, p => p.Series == TensorBoardImporter.StepsPerEpochTag);
    }

    [Theory]
    [InlineData(0f)]
    [InlineData(-4f)]
    [InlineData(2.5f)]
    [InlineData(float.NaN)]
    public async Task AnEpochLengthThatIsNoWholePositiveNumber_IsLeftUnknown(float recorded)
    {
        await using var db = await OpenAsync();
        var folder = Path.Combine(_folder.Path, $"odd-{recorded}");
        Directory.CreateDirectory(folder);
        await using (var file = File.Create(Path.Combine(folder, EventFiles.FileName(DateTimeOffset.UtcNow, "elsewhere"))))
            EventFiles.Write(file, [new ScalarEvent(TensorBoardImporter.StepsPerEpochTag, 0, recorded, 1), new ScalarEvent("CE_loss/train", 1, 2.5f, 1)]);
        var result = await TensorBoardImporter.ImportRunAsync(db, folder);
        Assert.Equal(0, (await db.Runs.SingleAsync(r => r.Id == result.RunId)).StepsPerEpoch);
        Assert.Equal(["CE_loss/train"], await db.MetricPoints.Where(p => p.RunId == result.RunId).Select(p => p.Series).ToListAsync());
    }

    [Theory]
    [InlineData(1e300)]
    [InlineData(double.PositiveInfinity)]
    [InlineData(1e14)]
    [InlineData(double.NaN)]
    public async Task AWallTimeThatIsNoDate_IsLeftOut_WithAWarning_AndTheScalarsAreKept(double wallTime)
    {
        await using var db = await OpenAsync();
        var folder = Path.Combine(_folder.Path, $"time-{wallTime}");
        Directory.CreateDirectory(folder);
        await using (var file = File.Create(Path.Combine(folder, EventFiles.FileName(DateTimeOffset.UtcNow, "elsewhere"))))
            EventFiles.Write(file, [new ScalarEvent("CE_loss/train", 1, 2.5f, 1_700_000_000), new ScalarEvent("CE_loss/train", 2, 2.25f, wallTime),
                new ScalarEvent("acc/val_top1", 1, 40f, 1_700_000_100)]);
        var result = await TensorBoardImporter.ImportRunAsync(db, folder, elapsedSeries: "elapsed");
        var run = await db.Runs.SingleAsync(r => r.Id == result.RunId);
        // The good times date the run; the bad one dates nothing.
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1_700_000_000), run.StartedAt);
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1_700_000_100), run.FinishedAt);
        Assert.Equal(3, result.Points - (await db.MetricPoints.CountAsync(p => p.RunId == result.RunId && p.Series == "elapsed")));
        Assert.Contains(result.Warnings, w => w.Contains("1 scalar(s) carry a wall time that is no date", StringComparison.Ordinal));
    }

    [Fact]
    public async Task FilesOfOneRun_MergeByStep_TheLaterWriteWinning_AndTheFirstReadOnATie()
    {
        await using var db = await OpenAsync();
        var folder = Path.Combine(_folder.Path, "resumed");
        Directory.CreateDirectory(folder);
        // A run resumed once: the second file rewrites step 1 later, holds an older step 2, and ties at step 3.
        await using (var first = File.Create(Path.Combine(folder, "events.out.tfevents.1700000000.host")))
            EventFiles.Write(first, [new ScalarEvent("loss", 1, 1f, 100), new ScalarEvent("loss", 2, 2f, 100), new ScalarEvent("loss", 3, 10f, 300)]);
        await using (var second = File.Create(Path.Combine(folder, "events.out.tfevents.1700000500.host")))
            EventFiles.Write(second, [new ScalarEvent("loss", 1, 5f, 200), new ScalarEvent("loss", 2, 7f, 50), new ScalarEvent("loss", 3, 20f, 300),
                new ScalarEvent("acc", 1, 3f, 150)]);

        var result = await TensorBoardImporter.ImportRunAsync(db, folder);

        var stored = await db.MetricPoints.Where(p => p.RunId == result.RunId).OrderBy(p => p.Series).ThenBy(p => p.Step)
            .Select(p => new { p.Series, p.Step, p.Value }).ToListAsync();
        Assert.Equal(["acc@1=3", "loss@1=5", "loss@2=2", "loss@3=10"], stored.Select(p => FormattableString.Invariant($"{p.Series}@{p.Step}={p.Value}")));
        Assert.Equal((4, 2), (result.Points, result.Series));
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task ALongLog_IsStoredInBatches_WithItsSummaries(string engine)
    {
        using var store = new TestDatabase(engine);
        await using var db = store.Open();
        await DatabaseMigrator.MigrateAsync(db);
        var folder = Path.Combine(_folder.Path, $"long-{engine}");
        Directory.CreateDirectory(folder);
        // 250,000 scalars of two tags: three of the importer's batches, one of them across both series.
        await using (var file = File.Create(Path.Combine(folder, "events.out.tfevents.1700000000.host")))
            EventFiles.Write(file, Enumerable.Range(0, 125_000).SelectMany(s => new[]
            {
                new ScalarEvent("loss", s, s == 77_777 ? 50f : 2f - s / 125_000f, 1_700_000_000 + s),
                new ScalarEvent("acc", s, s / 1_250f, 1_700_000_000 + s),
            }));

        var result = await TensorBoardImporter.ImportRunAsync(db, folder, elapsedSeries: "elapsed");

        Assert.Equal((375_000, 3), (result.Points, result.Series));
        Assert.Equal(375_000, await db.MetricPoints.CountAsync(p => p.RunId == result.RunId));
        var series = await db.MetricSeries.Where(s => s.RunId == result.RunId).OrderBy(s => s.Series).ToListAsync();
        Assert.Equal(["acc", "elapsed", "loss"], series.Select(s => s.Series));
        Assert.All(series, s => Assert.Equal((125_000L, 0L, 124_999L), (s.Count, s.FirstStep, s.LastStep)));
        Assert.Equal(50, series[2].FiniteMax);
        // The summaries were kept batch by batch: a read through them keeps the spike.
        await db.Database.OpenConnectionAsync();
        var read = await MetricSummaries.ReadAsync(db.Database.GetDbConnection(), result.RunId, "loss", long.MinValue, long.MaxValue, 500);
        Assert.NotNull(read);
        Assert.Equal(50, read.Values[Array.IndexOf(read.Steps, 77_777L)]);
        Assert.Equal(124_999, await db.MetricPoints.Where(p => p.RunId == result.RunId && p.Series == "elapsed").MaxAsync(p => p.Value));
    }
}
