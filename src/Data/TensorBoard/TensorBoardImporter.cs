using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using ProCo.Data.Entities;

namespace ProCo.Data.TensorBoard;

/// <summary>What importing one run folder did.</summary>
/// <param name="Folder">The run folder's name (no server path).</param>
/// <param name="RunId">The run created, or the one imported earlier from the same files.</param>
/// <param name="Name">Its name.</param>
/// <param name="AlreadyImported">True when the same files had been imported before (nothing was added).</param>
/// <param name="Series">Series imported.</param>
/// <param name="Points">Points imported.</param>
/// <param name="Warnings">Files that stopped early, or a folder without scalars.</param>
public sealed record ImportResult(string Folder, long RunId, string Name, bool AlreadyImported, int Series, int Points, IReadOnlyList<string> Warnings);

/// <summary>Imports TensorBoard run folders as read-only runs and exports runs as event files.</summary>
public static partial class TensorBoardImporter
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    [GeneratedRegex(@"^(?<method>[A-Za-z]+)_(?<dataset>cifar100|cifar10|fashion-mnist|fashionmnist)_imb(?<imb>[0-9.eE-]+)_epochs(?<epochs>\d+)", RegexOptions.IgnoreCase)]
    private static partial Regex RunFolderName();

    /// <summary>The run folders under <paramref name="path"/>: itself if it holds event files, else every folder below that does.</summary>
    public static IReadOnlyList<string> RunFolders(string path)
    {
        if (!Directory.Exists(path)) throw new DirectoryNotFoundException($"{path} is not a folder.");
        if (EventFiles.InFolder(path).Length > 0) return [Path.GetFullPath(path)];
        return Directory.GetDirectories(path, "*", SearchOption.AllDirectories)
            .Where(d => EventFiles.InFolder(d).Length > 0)
            .Select(Path.GetFullPath).Order(StringComparer.Ordinal).ToList();
    }

    /// <summary>Most epochs a folder name may claim (the training form allows as many).</summary>
    public const int MaxEpochs = 10000;

    /// <summary>
    /// Dataset, imbalance factor, epochs and method read from a name like
    /// ProCo_cifar100_imb0.01_epochs200. A number out of range (imb1e999, epochs99999999999) is
    /// left empty and said in <c>Problem</c>; the run can be edited afterwards.
    /// </summary>
    public static (string? Method, string? Dataset, double? Imbalance, int? Epochs, string? Problem) ParseName(string folderName)
    {
        var match = RunFolderName().Match(folderName);
        if (!match.Success) return (null, null, null, null, null);
        var dataset = match.Groups["dataset"].Value.ToLowerInvariant() is "fashionmnist" ? "fashion-mnist" : match.Groups["dataset"].Value.ToLowerInvariant();
        var problems = new List<string>();
        double? imbalance = double.TryParse(match.Groups["imb"].Value, NumberStyles.Float, CultureInfo.InvariantCulture, out var f) && f > 0 && f <= 1 ? f : null;
        if (imbalance is null) problems.Add($"imbalance factor '{match.Groups["imb"].Value}' is not in (0, 1]");
        int? epochs = int.TryParse(match.Groups["epochs"].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var e) && e is >= 1 and <= MaxEpochs ? e : null;
        if (epochs is null) problems.Add($"epochs '{match.Groups["epochs"].Value}' is not between 1 and {MaxEpochs}");
        var problem = problems.Count == 0 ? null
            : $"The folder name {folderName}: {string.Join("; ", problems)}. Left empty: set it with Edit on the run page.";
        return (match.Groups["method"].Value.ToLowerInvariant(), dataset, imbalance, epochs, problem);
    }

    // The last second a DateTimeOffset holds (9999-12-31T23:59:59Z), in Unix seconds.
    private const double LastUnixSecond = 253_402_300_799;

    // A wall time that names a moment: after 1970 and before the year 10000 (infinities and NaN are not).
    private static bool IsDate(double unixSeconds) => unixSeconds is > 0 and <= LastUnixSecond;

    /// <summary>
    /// Imports one run folder (its event files merged by step); the same files imported again return
    /// the existing run. What the series mean (best top-1 and the like) is for the caller to fill in:
    /// this project knows the files, not the series table.
    /// </summary>
    /// <param name="db">The run database.</param>
    /// <param name="folder">A run folder with event files.</param>
    /// <param name="name">The run's name (default: the folder's).</param>
    /// <param name="tag">A tag for the run.</param>
    /// <param name="maxPoints">More scalars than this are refused (InvalidDataException) before anything is stored.</param>
    /// <param name="maxSeries">More distinct tags than this are refused the same way.</param>
    /// <param name="cancellationToken">Cancels the import.</param>
    /// <param name="elapsedSeries">
    /// When named, the series of seconds since the log's first event at each step of its finest tag,
    /// from the events' wall times (the charts' wall-time axis); not written when the file has that
    /// series already, all its events carry one time, or time runs backwards along those steps.
    /// </param>
    public static async Task<ImportResult> ImportRunAsync(ProCoDbContext db, string folder, string? name = null, string? tag = null,
        int maxPoints = int.MaxValue, int maxSeries = int.MaxValue, string? elapsedSeries = null, CancellationToken cancellationToken = default)
    {
        var files = EventFiles.InFolder(folder);
        if (files.Length == 0) throw new InvalidDataException($"{folder} holds no TensorBoard event file (events.out.tfevents.*).");
        var key = Fingerprint(files);
        var existing = await db.Runs.AsNoTracking().Where(r => r.ImportKey == key).Select(r => new { r.Id, r.Name }).FirstOrDefaultAsync(cancellationToken);
        if (existing is not null) return new ImportResult(Path.GetFileName(Path.TrimEndingDirectorySeparator(folder)), existing.Id, existing.Name, true, 0, 0, []);

        // Messages name files by their run folder, never by where this server keeps them.
        var folderName = Path.GetFileName(Path.TrimEndingDirectorySeparator(folder));
        var contents = files.Select(f => EventFiles.Read(f, $"{folderName}/{Path.GetFileName(f)}")).ToList();
        var warnings = contents.Where(c => c.Warning is not null).Select(c => c.Warning!).ToList();
        var merged = Merge(contents);
        contents.Clear(); // what was read is merged: let it go before the points are made
        if (merged.Count > maxPoints)
            throw new InvalidDataException($"{Path.GetFileName(Path.TrimEndingDirectorySeparator(folder))}: {merged.Count:N0} scalars, more than the {maxPoints:N0} an import may hold (ProCo:Import:MaxPoints).");
        var seriesCount = merged.Select(s => s.Tag).Distinct().Count();
        if (seriesCount > maxSeries)
            throw new InvalidDataException($"{folderName}: {seriesCount:N0} series, more than the {maxSeries:N0} an import may hold (ProCo:Import:MaxSeries).");
        if (merged.Count == 0) warnings.Add($"{folderName}: no scalars in {files.Length} event file(s); imported as an empty run.");

        var (method, dataset, imbalance, epochs, nameProblem) = ParseName(folderName);
        if (nameProblem is not null) warnings.Add(nameProblem);
        var wallTimes = merged.Select(s => s.WallTime).Where(IsDate).ToList();
        // 0 (or less) means no time was recorded; these were recorded, but name no moment.
        var undated = merged.Count(s => double.IsNaN(s.WallTime) || s.WallTime > LastUnixSecond);
        if (undated > 0)
            warnings.Add($"{folderName}: {undated:N0} scalar(s) carry a wall time that is no date (past the year 9999, infinite or not a number); their times are left out.");

        // A file this program exported says how many steps an epoch has (a whole, positive number).
        var epochLength = merged.Where(s => s.Tag == StepsPerEpochTag).Select(s => (double)s.Value).FirstOrDefault();
        var stepsPerEpoch = epochLength is >= 1 and <= int.MaxValue && epochLength == Math.Floor(epochLength) ? (int)epochLength : 0;
        var run = new Run
        {
            StepsPerEpoch = stepsPerEpoch,
            Name = string.IsNullOrWhiteSpace(name) ? folderName : name.Trim(),
            Method = method ?? "imported",
            Dataset = dataset ?? "",
            ImbalanceFactor = imbalance ?? 0,
            // 0 when the folder name does not say: the importer's caller counts the epochs the log holds.
            Epochs = epochs ?? 0,
            Tags = tag?.Trim() ?? "",
            Status = RunStatus.Succeeded,
            IsImported = true,
            ImportKey = key,
            Progress = 1,
            CreatedAt = DateTimeOffset.UtcNow,
            StartedAt = wallTimes.Count > 0 ? DateTimeOffset.FromUnixTimeMilliseconds((long)(wallTimes.Min() * 1000)) : null,
            FinishedAt = wallTimes.Count > 0 ? DateTimeOffset.FromUnixTimeMilliseconds((long)(wallTimes.Max() * 1000)) : null,
            ConfigJson = JsonSerializer.Serialize(new Dictionary<string, object?>
            {
                ["source"] = "tensorboard",
                ["folder"] = folderName,
                ["method"] = method,
                ["dataset"] = dataset,
                ["imbalanceFactor"] = imbalance,
                ["epochs"] = epochs,
            }.Where(p => p.Value is not null).ToDictionary(), Indented),
        };
        db.Runs.Add(run);
        await db.SaveChangesAsync(cancellationToken);

        // The points go in batches, as a trainer's writer sends them (summaries kept per batch), so that an
        // import holds its scalars once, not a second time as points.
        var stored = merged.Where(s => s.Tag != StepsPerEpochTag)
            .Select(s => new MetricPoint { RunId = run.Id, Series = s.Tag, Step = s.Step, Value = s.Value });
        if (elapsedSeries is not null && wallTimes.Count > 0 && merged.All(s => s.Tag != elapsedSeries) && wallTimes.Max() > wallTimes.Min())
        {
            // Timed by the tag with the most points (the finest steps), so that its steps are one kind
            // (epochs or global steps, not both); kept only when time does not run backwards along them.
            var start = wallTimes.Min();
            var finest = merged.Where(s => IsDate(s.WallTime) && s.Tag != StepsPerEpochTag).GroupBy(s => s.Tag).MaxBy(g => g.Count())!
                .OrderBy(s => s.Step).Select(s => new MetricPoint { RunId = run.Id, Series = elapsedSeries, Step = s.Step, Value = s.WallTime - start }).ToList();
            if (finest.Zip(finest.Skip(1)).All(p => p.First.Value <= p.Second.Value)) stored = stored.Concat(finest);
        }
        // Whole or absent: in the caller's transaction when one is open, else in one of its own.
        await using var own = db.Database.CurrentTransaction is null ? await db.Database.BeginTransactionAsync(cancellationToken) : null;
        var (count, series) = (0, new HashSet<string>(StringComparer.Ordinal));
        foreach (var batch in stored.Chunk(ImportBatch))
        {
            await MetricStore.WriteAsync(db, batch, [], [], cancellationToken);
            count += batch.Length;
            foreach (var point in batch) series.Add(point.Series);
        }
        var events = warnings.Select(w => new RunEvent { RunId = run.Id, At = DateTimeOffset.UtcNow, Level = RunEventLevel.Warning.Word(), Message = w }).ToList();
        events.Add(new RunEvent
        {
            RunId = run.Id, At = DateTimeOffset.UtcNow, Level = RunEventLevel.Info.Word(),
            Message = $"Imported {count} points of {series.Count} series from {files.Length} event file(s) in {folderName}.",
        });
        await MetricStore.WriteAsync(db, [], [], events, cancellationToken);
        if (own is not null) await own.CommitAsync(cancellationToken);
        return new ImportResult(folderName, run.Id, run.Name, false, series.Count, count, warnings);
    }

    // Points per write: a batch as large as the store benchmark's.
    private const int ImportBatch = 100_000;

    // Several files of one run merge by step; where two carry the same tag and step, the later write
    // (by wall time) wins, the one read first on a tie. One sort of the scalars by tag, step and that
    // order, and the first of each (tag, step): no grouping objects, the scalars held once.
    private static List<ScalarEvent> Merge(List<EventFileContent> contents)
    {
        var all = new (ScalarEvent Scalar, int Order)[contents.Sum(c => c.Scalars.Count)];
        var at = 0;
        foreach (var scalar in contents.SelectMany(c => c.Scalars)) all[at] = (scalar, at++);
        Array.Sort(all, static (a, b) =>
        {
            var order = string.CompareOrdinal(a.Scalar.Tag, b.Scalar.Tag);
            if (order == 0) order = a.Scalar.Step.CompareTo(b.Scalar.Step);
            if (order == 0) order = b.Scalar.WallTime.CompareTo(a.Scalar.WallTime); // later first (NaN last, as MaxBy ranks it)
            return order != 0 ? order : a.Order.CompareTo(b.Order);
        });
        var merged = new List<ScalarEvent>(all.Length);
        for (var i = 0; i < all.Length; i++)
            if (i == 0 || all[i].Scalar.Step != all[i - 1].Scalar.Step || all[i].Scalar.Tag != all[i - 1].Scalar.Tag)
                merged.Add(all[i].Scalar);
        return merged;
    }

    /// <summary>
    /// Tag of the scalar (at step 0) in which an exported file records the run's steps per epoch;
    /// an import reads it back as the run's epoch length, not as a series.
    /// </summary>
    public const string StepsPerEpochTag = "proco/steps_per_epoch";

    /// <summary>Writes a run's series as one TensorBoard event file (with its epoch length when known).</summary>
    public static async Task ExportAsync(ProCoDbContext db, long runId, Stream output, CancellationToken cancellationToken = default)
    {
        var run = await db.Runs.AsNoTracking().FirstAsync(r => r.Id == runId, cancellationToken);
        var wallTime = (run.StartedAt ?? run.CreatedAt).ToUnixTimeMilliseconds() / 1000.0;
        var points = await db.MetricPoints.AsNoTracking().Where(p => p.RunId == runId)
            .OrderBy(p => p.Step).ThenBy(p => p.Series).ToListAsync(cancellationToken);
        // The epoch length goes with the series, so that an import places per-step series on the epoch axis.
        IEnumerable<ScalarEvent> epochLength = run.StepsPerEpoch > 0 ? [new ScalarEvent(StepsPerEpochTag, 0, run.StepsPerEpoch, wallTime)] : [];
        EventFiles.Write(output, epochLength.Concat(points.Select(p => new ScalarEvent(p.Series, p.Step, (float)(p.Value ?? double.NaN), wallTime))));
    }

    private static string Fingerprint(IEnumerable<string> files)
    {
        var text = new StringBuilder();
        foreach (var file in files.Order(StringComparer.Ordinal))
        {
            using var stream = File.OpenRead(file);
            text.Append(Path.GetFileName(file)).Append('\0').Append(Convert.ToHexStringLower(SHA256.HashData(stream))).Append('\n');
        }
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())));
    }
}
