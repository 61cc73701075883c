using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using ProCo.Data;
using ProCo.Data.Entities;
using ProCo.Training.Datasets;
using ProCo.Training.Engine;

namespace ProCo.Web.Runs;

/// <summary>A filtered, sorted page of runs as the API asks for it.</summary>
public sealed record RunListQuery(string? Status = null, string? Dataset = null, string? Method = null, string? Tag = null, string? Sort = null,
    int Page = 1, int PageSize = 50);

/// <summary>Which points of a run's series to read.</summary>
/// <param name="Series">Series names; null for all of the run's.</param>
/// <param name="MaxPoints">Spike-preserving downsampling above this many points per series.</param>
/// <param name="AfterStep">Only steps above this one.</param>
/// <param name="FromStep">Only steps at or above this one.</param>
/// <param name="ToStep">Only steps at or below this one.</param>
public sealed record MetricsQuery(IReadOnlyList<string>? Series = null, int MaxPoints = 2000, long? AfterStep = null, long? FromStep = null, long? ToStep = null);

/// <summary>
/// What the pages, the API and the CLI read about runs: one query each, shared. Missing runs come
/// back as null (the API answers 404, the pages say so).
/// </summary>
public sealed class RunQueries(IDbContextFactory<ProCoDbContext> factory, RunFolders folders, WaitReasons waits, DatasetCatalog catalog)
{
    /// <summary>Sort keys of <see cref="ListAsync"/>.</summary>
    public static readonly IReadOnlyList<string> Sorts = ["created", "-created", "name", "-name", "bestTop1", "-bestTop1", "status", "-status", "dataset", "-dataset"];

    /// <summary>Every run, newest first.</summary>
    public async Task<List<RunSummary>> AllAsync(CancellationToken ct = default)
    {
        await using var db = await factory.CreateDbContextAsync(ct);
        var rows = await db.Runs.AsNoTracking().OrderByDescending(r => r.CreatedAt).ThenByDescending(r => r.Id).ToListAsync(ct);
        return rows.Select(RunSummary.From).ToList();
    }

    /// <summary>Runs whose name contains the text (any case), newest first; the newest runs for no text.</summary>
    public async Task<List<RunSummary>> SearchAsync(string? text, int take, CancellationToken ct = default)
    {
        await using var db = await factory.CreateDbContextAsync(ct);
        var runs = db.Runs.AsNoTracking();
        if (!string.IsNullOrWhiteSpace(text))
        {
            var lower = text.Trim().ToLowerInvariant();
            // Translated to SQL by both engines; the StringComparison overload the analyser prefers is not.
#pragma warning disable CA1862
            runs = runs.Where(r => r.Name.ToLower().Contains(lower));
#pragma warning restore CA1862
        }
        var rows = await runs.OrderByDescending(r => r.CreatedAt).ThenByDescending(r => r.Id).Take(take).ToListAsync(ct);
        return rows.Select(RunSummary.From).ToList();
    }

    /// <summary>A page of runs, or the field errors of the query.</summary>
    public async Task<(Dictionary<string, string[]> Errors, RunPage? Page)> ListAsync(RunListQuery query, CancellationToken ct = default)
    {
        var errors = new Dictionary<string, string[]>();
        RunStatus? wanted = null;
        if (query.Status is not null)
        {
            // One status by its name: not a number, not a comma list (which enum parsing would read as flags).
            var name = Enum.GetNames<RunStatus>().FirstOrDefault(n => n.Equals(query.Status.Trim(), StringComparison.OrdinalIgnoreCase));
            if (name is not null) wanted = Enum.Parse<RunStatus>(name);
            else errors["status"] = [$"One of {string.Join(", ", Enum.GetNames<RunStatus>())}."];
        }
        if (query.Page < 1) errors["page"] = ["Pages start at 1."];
        if (query.PageSize is < 1 or > 500) errors["pageSize"] = ["Between 1 and 500."];
        var sortKey = (query.Sort ?? "-created").Trim();
        if (!Sorts.Contains(sortKey)) errors["sort"] = [$"One of {string.Join(", ", Sorts)}."];
        if (errors.Count > 0) return (errors, null);

        await using var db = await factory.CreateDbContextAsync(ct);
        var runs = db.Runs.AsNoTracking();
        if (wanted is { } s) runs = runs.Where(r => r.Status == s);
        if (query.Dataset is { } dataset) runs = runs.Where(r => r.Dataset == dataset);
        if (query.Method is { } method) runs = runs.Where(r => r.Method == method);
        if (query.Tag is { } tag) runs = runs.Where(r => ("," + r.Tags + ",").Contains("," + tag + ","));
        runs = sortKey switch
        {
            "created" => runs.OrderBy(r => r.CreatedAt).ThenBy(r => r.Id),
            "name" => runs.OrderBy(r => r.Name).ThenBy(r => r.Id),
            "-name" => runs.OrderByDescending(r => r.Name).ThenBy(r => r.Id),
            "bestTop1" => runs.OrderBy(r => r.BestTop1).ThenBy(r => r.Id),
            "-bestTop1" => runs.OrderByDescending(r => r.BestTop1).ThenBy(r => r.Id),
            "status" => runs.OrderBy(r => r.Status).ThenBy(r => r.Id),
            "-status" => runs.OrderByDescending(r => r.Status).ThenBy(r => r.Id),
            "dataset" => runs.OrderBy(r => r.Dataset).ThenBy(r => r.Id),
            "-dataset" => runs.OrderByDescending(r => r.Dataset).ThenBy(r => r.Id),
            _ => runs.OrderByDescending(r => r.CreatedAt).ThenByDescending(r => r.Id),
        };
        var total = await runs.CountAsync(ct);
        // A page past the last run is empty (computed in 64 bits: page 2147483647 must not wrap to page 1).
        var skip = (long)(query.Page - 1) * query.PageSize;
        var items = skip >= total ? [] : await runs.Skip((int)skip).Take(query.PageSize).ToListAsync(ct);
        return (errors, new RunPage(total, query.Page, query.PageSize, items.Select(RunSummary.From).ToList()));
    }

    /// <summary>True when the run exists.</summary>
    public async Task<bool> ExistsAsync(long id, CancellationToken ct = default)
    {
        await using var db = await factory.CreateDbContextAsync(ct);
        return await db.Runs.AnyAsync(r => r.Id == id, ct);
    }

    /// <summary>The names of a run's stored series.</summary>
    public async Task<IReadOnlyList<string>> SeriesNamesAsync(long id, CancellationToken ct = default)
    {
        await using var db = await factory.CreateDbContextAsync(ct);
        var names = await db.MetricSeries.AsNoTracking().Where(s => s.RunId == id).Select(s => s.Series).ToListAsync(ct);
        // Points stored without summaries (written around MetricStore) are still found, by a scan of the run's points.
        return names.Count > 0 ? names : await db.MetricPoints.AsNoTracking().Where(p => p.RunId == id).Select(p => p.Series).Distinct().ToListAsync(ct);
    }

    /// <summary>A run's notes (Markdown), or null for a run that does not exist.</summary>
    public async Task<string?> NotesAsync(long id, CancellationToken ct = default)
    {
        await using var db = await factory.CreateDbContextAsync(ct);
        return await db.Runs.AsNoTracking().Where(r => r.Id == id).Select(r => r.Notes).FirstOrDefaultAsync(ct);
    }

    // A built-in dataset's class names, or a registered one's as its last scan found them.
    private IReadOnlyList<string> ClassNames(string dataset) =>
        DatasetLoader.ClassNames(dataset) is { Count: > 0 } known ? known : catalog.Registered(dataset)?.Scan?.ClassNames ?? [];

    /// <summary>A run with its configuration and series summaries.</summary>
    public async Task<RunDetail?> DetailAsync(long id, CancellationToken ct = default)
    {
        await using var db = await factory.CreateDbContextAsync(ct);
        var run = await db.Runs.AsNoTracking().FirstOrDefaultAsync(r => r.Id == id, ct);
        if (run is null) return null;
        return new RunDetail(RunSummary.From(run), TryConfig(run.ConfigJson), run.ConfigJson, await SeriesSummariesAsync(db, id, ct),
            run.Worker, run.Attempts, run.StepsPerEpoch, ClassNames(run.Dataset), await waits.ForAsync(run, ct), run.Notes);
    }

    /// <summary>The live workers and the runs they train (the Workers page, <c>GET /api/workers</c>).</summary>
    public Task<IReadOnlyList<WorkerView>> WorkersAsync(CancellationToken ct = default) => waits.LiveWorkersAsync(ct);

    /// <summary>Runs training now and runs waiting, in the order workers take them (<see cref="WaitReasons.QueueAsync"/>).</summary>
    public Task<QueueView> QueueAsync(int take = 200, CancellationToken ct = default) => waits.QueueAsync(take, ct);

    /// <summary>Why a queued run has not started, or null (not queued, or no such run).</summary>
    public async Task<string?> WaitingAsync(long id, CancellationToken ct = default)
    {
        await using var db = await factory.CreateDbContextAsync(ct);
        return await db.Runs.AsNoTracking().FirstOrDefaultAsync(r => r.Id == id, ct) is { } run ? await waits.ForAsync(run, ct) : null;
    }

    /// <summary>A run and its training configuration (null for an imported run, which has none).</summary>
    public async Task<(RunSummary? Run, TrainingConfig? Config)> ConfigOfAsync(long id, CancellationToken ct = default)
    {
        await using var db = await factory.CreateDbContextAsync(ct);
        var run = await db.Runs.AsNoTracking().FirstOrDefaultAsync(r => r.Id == id, ct);
        return run is null ? (null, null) : (RunSummary.From(run), run.IsImported ? null : TryConfig(run.ConfigJson));
    }

    /// <summary>Runs by id in the order asked (missing ones left out), each with its stored configuration JSON.</summary>
    public async Task<List<(RunSummary Run, string ConfigJson)>> WithConfigsAsync(IReadOnlyList<long> ids, CancellationToken ct = default)
    {
        await using var db = await factory.CreateDbContextAsync(ct);
        var rows = await db.Runs.AsNoTracking().Where(r => ids.Contains(r.Id)).ToDictionaryAsync(r => r.Id, ct);
        return ids.Where(rows.ContainsKey).Select(id => (RunSummary.From(rows[id]), rows[id].ConfigJson)).ToList();
    }

    /// <summary>The runs given side by side (<see cref="RunComparison"/>): what the compare page and <c>GET /api/compare</c> show.</summary>
    public async Task<RunComparison> CompareAsync(IReadOnlyList<long> ids, CancellationToken ct = default) =>
        RunComparison.Of(await WithConfigsAsync(ids, ct));

    // The largest finite double, rounded down so that SQLite reads the literal back as finite.
    private const double Finite = 1.7e308;

    /// <summary>
    /// Best (<see cref="Series.HigherIsBetter"/>: max, else min, of the finite values; null when
    /// there is none) and last (NaN and ±∞ as they are) of every series of a run.
    /// </summary>
    public static async Task<IReadOnlyList<SeriesSummary>> SeriesSummariesAsync(ProCoDbContext db, long runId, CancellationToken ct)
    {
        // Kept with the points (one row per series); the scan below only for points stored without them.
        var kept = await db.MetricSeries.AsNoTracking().Where(s => s.RunId == runId).ToListAsync(ct);
        if (kept.Count > 0 && kept.All(s => s.TopLevel >= 0))
        {
            return kept.OrderBy(s => s.Series, StringComparer.Ordinal)
                .Select(s => new SeriesSummary(s.Series, s.Count, s.LastStep, s.LastValue ?? double.NaN, Series.HigherIsBetter(s.Series) ? s.FiniteMax : s.FiniteMin))
                .ToList();
        }
        var groups = await db.MetricPoints.AsNoTracking().Where(p => p.RunId == runId)
            .GroupBy(p => p.Series)
            // Best among finite values: NaN is stored as NULL (which MAX and MIN skip), ±∞ lie beyond ±Finite.
            .Select(g => new
            {
                Series = g.Key, Count = g.LongCount(), LastStep = g.Max(p => p.Step),
                Max = g.Max(p => p.Value <= Finite && p.Value >= -Finite ? p.Value : null),
                Min = g.Min(p => p.Value <= Finite && p.Value >= -Finite ? p.Value : null),
            })
            .ToListAsync(ct);
        var result = new List<SeriesSummary>();
        foreach (var g in groups.OrderBy(g => g.Series, StringComparer.Ordinal))
        {
            var last = await db.MetricPoints.AsNoTracking().Where(p => p.RunId == runId && p.Series == g.Series && p.Step == g.LastStep)
                .Select(p => p.Value).FirstOrDefaultAsync(ct) ?? double.NaN;
            result.Add(new SeriesSummary(g.Series, g.Count, g.LastStep, last, Series.HigherIsBetter(g.Series) ? g.Max : g.Min));
        }
        return result;
    }

    /// <summary>
    /// Points of a run's series, each downsampled to <see cref="MetricsQuery.MaxPoints"/> through its summary
    /// pyramid (<see cref="MetricSummaries.ReadAsync"/>): the cost follows the points returned, not the run's length.
    /// </summary>
    public async Task<IReadOnlyList<SeriesData>?> MetricsAsync(long id, MetricsQuery query, CancellationToken ct = default)
    {
        await using var db = await factory.CreateDbContextAsync(ct);
        if (!await db.Runs.AnyAsync(r => r.Id == id, ct)) return null;
        var from = Math.Max(query.FromStep ?? long.MinValue, query.AfterStep is { } after ? (after == long.MaxValue ? long.MaxValue : after + 1) : long.MinValue);
        var to = query.ToStep ?? long.MaxValue;
        if (query.AfterStep == long.MaxValue) to = long.MinValue; // nothing lies after the last step
        // Asked-for series without points come back empty, so a client can tell them from unknown ones.
        var wanted = query.Series is { Count: > 0 } names ? names.Distinct().ToList() : (await SeriesNamesAsync(id, ct)).ToList();
        await db.Database.OpenConnectionAsync(ct);
        try
        {
            var connection = db.Database.GetDbConnection();
            var result = new List<SeriesData>();
            foreach (var name in wanted.Order(StringComparer.Ordinal))
            {
                var read = await MetricSummaries.ReadAsync(connection, id, name, from, to, query.MaxPoints, ct)
                           ?? await ScanAsync(db, id, name, from, to, query.MaxPoints, ct);
                result.Add(new SeriesData(name, read.Count, read.Steps, read.Values));
            }
            return result;
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
    }

    // A series stored without summaries: every point in the range read, then reduced in memory.
    private static async Task<SeriesRead> ScanAsync(ProCoDbContext db, long id, string series, long from, long to, int maxPoints, CancellationToken ct)
    {
        var rows = await db.MetricPoints.AsNoTracking().Where(p => p.RunId == id && p.Series == series && p.Step >= from && p.Step <= to)
            .OrderBy(p => p.Step).Select(p => new { p.Step, p.Value }).ToListAsync(ct);
        var (steps, values) = Downsampling.MinMax(rows.Select(p => p.Step).ToList(), rows.Select(p => p.Value ?? double.NaN).ToList(), maxPoints);
        return new SeriesRead(series, rows.Count, steps, values);
    }

    /// <summary>
    /// Per-class vectors of one kind per epoch, after <paramref name="afterEpoch"/> when given, or only
    /// the newest with <paramref name="latest"/> (class counts); null when the run does not exist. With
    /// <paramref name="maxEpochs"/>, at most that many epochs, evenly spread from the first to the last
    /// (both kept): only their rows are read, so a long run's heatmap costs what it draws.
    /// </summary>
    public async Task<IReadOnlyList<EpochVectorData>?> VectorsAsync(long id, string kind, int? afterEpoch = null, bool latest = false, int? maxEpochs = null,
        CancellationToken ct = default)
    {
        await using var db = await factory.CreateDbContextAsync(ct);
        if (!await db.Runs.AnyAsync(r => r.Id == id, ct)) return null;
        var vectors = db.EpochVectors.AsNoTracking().Where(v => v.RunId == id && v.Kind == kind);
        if (afterEpoch is { } after) vectors = vectors.Where(v => v.Epoch > after);
        if (!latest && maxEpochs is { } most)
        {
            // The epochs alone come from the key's index; the values only of those kept.
            var epochs = await vectors.OrderBy(v => v.Epoch).Select(v => v.Epoch).ToListAsync(ct);
            if (epochs.Count > most)
            {
                var kept = Enumerable.Range(0, most).Select(i => epochs[(int)((long)i * (epochs.Count - 1) / (most - 1))]).Distinct().ToList();
                vectors = vectors.Where(v => kept.Contains(v.Epoch));
            }
        }
        var rows = latest
            ? await vectors.OrderByDescending(v => v.Epoch).Take(1).ToListAsync(ct)
            : await vectors.OrderBy(v => v.Epoch).ToListAsync(ct);
        return rows.Select(v => new EpochVectorData(v.Epoch, v.Values())).ToList();
    }

    /// <summary>The run's log, oldest first; with <paramref name="newest"/>, only that many of the newest, newest first.</summary>
    public async Task<IReadOnlyList<RunEvent>?> EventsAsync(long id, int? newest = null, CancellationToken ct = default)
    {
        await using var db = await factory.CreateDbContextAsync(ct);
        if (!await db.Runs.AnyAsync(r => r.Id == id, ct)) return null;
        var events = db.RunEvents.AsNoTracking().Where(e => e.RunId == id);
        return newest is { } n
            ? await events.OrderByDescending(e => e.At).ThenByDescending(e => e.Id).Take(n).ToListAsync(ct)
            : await events.OrderBy(e => e.At).ThenBy(e => e.Id).ToListAsync(ct);
    }

    /// <summary>A run's events after the one of <paramref name="afterId"/>, oldest first: a live page's catch-up (one query of what is new).</summary>
    public async Task<IReadOnlyList<RunEvent>> EventsAfterAsync(long id, long afterId, CancellationToken ct = default)
    {
        await using var db = await factory.CreateDbContextAsync(ct);
        return await db.RunEvents.AsNoTracking().Where(e => e.RunId == id && e.Id > afterId).OrderBy(e => e.Id).ToListAsync(ct);
    }

    /// <summary>
    /// Checkpoints of a run; null when the run does not exist (asked in one more read unless <paramref name="checkRun"/>
    /// is false, for a caller that holds the run: then a missing run has none).
    /// </summary>
    public async Task<IReadOnlyList<CheckpointData>?> CheckpointsAsync(long id, bool checkRun = true, CancellationToken ct = default)
    {
        await using var db = await factory.CreateDbContextAsync(ct);
        if (checkRun && !await db.Runs.AnyAsync(r => r.Id == id, ct)) return null;
        var rows = await db.Checkpoints.AsNoTracking().Where(c => c.RunId == id).OrderBy(c => c.Kind).ToListAsync(ct);
        return rows.Select(CheckpointData.From).ToList();
    }

    /// <summary>
    /// A checkpoint's row and file, resolved by id to a path the server stored inside the data
    /// folder (nothing a client sends names a path); null when either is missing.
    /// </summary>
    public async Task<(Checkpoint Row, string Path)?> CheckpointFileAsync(long checkpointId, CancellationToken ct = default)
    {
        await using var db = await factory.CreateDbContextAsync(ct);
        var checkpoint = await db.Checkpoints.AsNoTracking().FirstOrDefaultAsync(c => c.Id == checkpointId, ct);
        return checkpoint is not null && folders.ResolveInside(checkpoint.RelativePath) is { } path ? (checkpoint, path) : null;
    }

    /// <summary>
    /// Every run as CSV, one row each: its summary columns, then one column per configuration field
    /// (<c>config.</c> and the field's JSON name, as <see cref="ConfigSchema.Fields"/> lists them), empty where the
    /// run does not record the field (an imported log records a few).
    /// </summary>
    public async Task<string> CsvAsync(CancellationToken ct = default)
    {
        await using var db = await factory.CreateDbContextAsync(ct);
        var runs = await db.Runs.AsNoTracking().OrderBy(r => r.Id).ToListAsync(ct);
        var fields = ConfigSchema.Fields;
        var csv = new StringBuilder("id,name,status,method,dataset,imbalance_factor,epochs,completed_epochs,best_top1,last_top1,last_many,last_medium,last_few,tags,imported,created_at,finished_at,"
            + "test_top1,sweep_id,precision,device,started_at");
        foreach (var field in fields) csv.Append(",config.").Append(field.Name);
        csv.Append('\n');
        foreach (var r in runs)
        {
            csv.Append(string.Join(',',
                r.Id.ToString(CultureInfo.InvariantCulture), Csv(r.Name), r.Status, r.Method, r.Dataset, Num(r.ImbalanceFactor),
                r.Epochs.ToString(CultureInfo.InvariantCulture), r.CompletedEpochs.ToString(CultureInfo.InvariantCulture),
                Num(r.BestTop1), Num(r.LastTop1), Num(r.LastMany), Num(r.LastMedium), Num(r.LastFew), Csv(r.Tags),
                r.IsImported ? "true" : "false", r.CreatedAt.ToString("O", CultureInfo.InvariantCulture),
                r.FinishedAt?.ToString("O", CultureInfo.InvariantCulture) ?? "",
                Num(r.TestTop1), r.SweepId?.ToString(CultureInfo.InvariantCulture) ?? "", Csv(r.Precision ?? ""), Csv(r.Device ?? ""),
                r.StartedAt?.ToString("O", CultureInfo.InvariantCulture) ?? ""));
            var config = ConfigFields.Of(r.ConfigJson) ?? [];
            foreach (var field in fields) csv.Append(',').Append(config.TryGetValue(field.Name, out var value) ? ConfigCell(value) : "");
            csv.Append('\n');
        }
        return csv.ToString();
    }

    /// <summary>
    /// Every stored point of a run's series (all, or those named) as CSV rows of run_id, run, series,
    /// step and value (NaN, Infinity and -Infinity as such), ordered by series and step, written as read.
    /// </summary>
    public async Task MetricsCsvAsync(long id, IReadOnlyCollection<string>? series, Stream output, CancellationToken ct = default)
    {
        await using var db = await factory.CreateDbContextAsync(ct);
        var name = Csv(await db.Runs.AsNoTracking().Where(r => r.Id == id).Select(r => r.Name).SingleAsync(ct));
        var points = db.MetricPoints.AsNoTracking().Where(p => p.RunId == id);
        if (series is { Count: > 0 }) points = points.Where(p => series.Contains(p.Series));
        await using var writer = new StreamWriter(output, new UTF8Encoding(false), 1 << 16, leaveOpen: true);
        await writer.WriteAsync("run_id,run,series,step,value\n");
        var prefix = $"{id.ToString(CultureInfo.InvariantCulture)},{name},";
        await foreach (var p in points.OrderBy(p => p.Series).ThenBy(p => p.Step).AsAsyncEnumerable().WithCancellation(ct))
        {
            await writer.WriteAsync(prefix);
            await writer.WriteAsync(Csv(p.Series));
            await writer.WriteAsync(',');
            await writer.WriteAsync(p.Step.ToString(CultureInfo.InvariantCulture));
            await writer.WriteAsync(',');
            await writer.WriteAsync(p.Value is { } v ? v.ToString("R", CultureInfo.InvariantCulture) : "NaN");
            await writer.WriteAsync('\n');
        }
    }

    // A number as written (a negative one too: the formula guard is for text); anything else as text.
    private static string ConfigCell(string value) =>
        double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out _) ? value : Csv(value);

    private static string Num(double? value) => value?.ToString("R", CultureInfo.InvariantCulture) ?? "";

    // A text cell a spreadsheet would run as a formula (= + - @, or a leading tab or CR) gets a leading
    // apostrophe; quotes, commas and line breaks are quoted.
    private static string Csv(string text)
    {
        if (text.Length > 0 && text[0] is '=' or '+' or '-' or '@' or '\t' or '\r') text = "'" + text;
        return text.IndexOfAny([',', '"', '\n', '\r']) >= 0 ? "\"" + text.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : text;
    }

    private static TrainingConfig? TryConfig(string json)
    {
        try
        {
            return TrainingConfig.FromJson(json);
        }
        catch (Exception e) when (e is JsonException or ArgumentException)
        {
            return null;
        }
    }
}
