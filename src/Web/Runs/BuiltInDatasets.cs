using System.Collections.Concurrent;
using System.Security.Claims;
using ProCo.Training.Datasets;
using ProCo.Web.Accounts;

namespace ProCo.Web.Runs;

/// <summary>Where a download of a built-in dataset stands: the file and bytes so far, or why it stopped.</summary>
public sealed record DatasetDownload(string Key, bool Running, string? File, long Done, long? Total, string? Error, DateTimeOffset StartedAt);

/// <summary>A built-in dataset's images per class in each split, as its files hold them.</summary>
public sealed record BuiltInCounts(string Key, IReadOnlyList<string> ClassNames, long[] Train, long[] Test);

/// <summary>
/// The built-in datasets (CIFAR-10/100, Fashion-MNIST) beyond whether they are on disk: downloading
/// one from its official source in the background (what <c>proco download</c> does, checksums
/// verified, from the Datasets page or <c>POST /api/datasets/{key}/download</c>), and counting its
/// images per class (read once per location and kept).
/// </summary>
public sealed class BuiltInDatasets(DatasetCatalog catalog, ProCoOptions options, ILogger<BuiltInDatasets> logger)
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromMinutes(30) };
    private readonly Dictionary<string, DatasetDownload> _downloads = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Task> _running = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Lazy<Task<BuiltInCounts?>>> _counts = new(StringComparer.Ordinal);

    /// <summary>The last download of <paramref name="key"/> started here (running, failed or done), or null.</summary>
    public DatasetDownload? Download(string key)
    {
        lock (_downloads) return _downloads.GetValueOrDefault(key);
    }

    /// <summary>
    /// Where the files come from: the publisher's addresses, or the same file names under
    /// <c>ProCo:DownloadMirror</c> (a lab's own copy). Checksums are the published ones either way.
    /// </summary>
    public IReadOnlyList<DownloadSource> Sources(string key) => DatasetDownloader.Sources(key, options.DownloadMirror);

    /// <summary>
    /// Starts downloading a missing built-in dataset; the refusal when it cannot (unknown, already
    /// present, no published source, already downloading). <paramref name="changed"/> is called on
    /// progress and at the end.
    /// </summary>
    public string? StartDownload(string name, ClaimsPrincipal by, Action<string>? changed = null)
    {
        if (!Permissions.Allows(by, StudioAction.ManageDatasets)) throw new UnauthorizedAccessException(Permissions.Refusal(by, StudioAction.ManageDatasets));
        if (KnownDatasets.Find(name) is not { } info) return $"'{name}' is not a built-in dataset ({string.Join(", ", DatasetCatalog.Keys)}).";
        var key = info.Key;
        var status = catalog.Probe(key);
        if (status.Present) return $"{key} is already on disk in {status.Location}.";
        if (info.Downloads.Count == 0) return $"{key} has no published download: {status.Advice}";
        IReadOnlyList<DownloadSource> sources;
        try
        {
            sources = Sources(key);
        }
        catch (ArgumentException e)
        {
            return e.Message; // a mistyped ProCo:DownloadMirror: said to the admin, nothing started
        }
        lock (_downloads)
        {
            if (_running.ContainsKey(key)) return $"{key} is being downloaded already.";
            _downloads[key] = new DatasetDownload(key, true, null, 0, null, null, DateTimeOffset.UtcNow);
            _running[key] = Task.Run(async () =>
            {
                var lastReport = DateTime.MinValue;
                var progress = new SyncProgress(p =>
                {
                    lock (_downloads) _downloads[key] = _downloads[key] with { File = p.File, Done = p.Done, Total = p.Total };
                    // At most a few updates a second reach the pages.
                    if (DateTime.UtcNow - lastReport < TimeSpan.FromMilliseconds(300)) return;
                    lastReport = DateTime.UtcNow;
                    changed?.Invoke(key);
                });
                string? error = null;
                try
                {
                    await new DatasetDownloader(Http).DownloadAsync(sources, catalog.DatasetsDir, progress, CancellationToken.None);
                    if (catalog.Probe(key) is { Present: false } after) error = $"Downloaded, but {key} is still incomplete: {after.Advice}";
                    else logger.LogInformation("{User} downloaded {Dataset} into {Folder}", Permissions.NameOf(by), key, catalog.DatasetsDir);
                }
                catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException or TaskCanceledException)
                {
                    error = e.Message;
                    logger.LogWarning("Downloading {Dataset} failed: {Error}", key, e.Message);
                }
                finally
                {
                    lock (_downloads)
                    {
                        _downloads[key] = _downloads[key] with { Running = false, Error = error };
                        _running.Remove(key);
                    }
                    changed?.Invoke(key);
                }
            });
        }
        return null;
    }

    /// <summary>Waits for a running download of <paramref name="key"/> (tests, shutdown).</summary>
    public Task WhenDownloaded(string key)
    {
        lock (_downloads) return _running.TryGetValue(key, out var task) ? task : Task.CompletedTask;
    }

    /// <summary>
    /// Images per class of a built-in dataset on disk, read from its label files once per location
    /// (off the caller's thread); null when it is not on disk or cannot be read.
    /// </summary>
    public Task<BuiltInCounts?> CountsAsync(string key)
    {
        if (catalog.Probe(key) is not { Present: true, Location: { } location }) return Task.FromResult<BuiltInCounts?>(null);
        return _counts.GetOrAdd($"{key}\n{location}", _ => new Lazy<Task<BuiltInCounts?>>(() => Task.Run(() => Count(key)))).Value;
    }

    private BuiltInCounts? Count(string key)
    {
        try
        {
            var splits = DatasetLoader.Load(catalog, key);
            var classes = splits.Train.ClassNames.Count;
            return new BuiltInCounts(key, splits.Train.ClassNames, PerClass(splits.Train.Labels, classes), PerClass(splits.Test.Labels, classes));
        }
        catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException)
        {
            logger.LogWarning("Counting the images of {Dataset} failed: {Error}", key, e.Message);
            return null;
        }
    }

    private static long[] PerClass(long[] labels, int classes)
    {
        var counts = new long[classes];
        foreach (var label in labels) counts[label]++;
        return counts;
    }

    // Progress<T> would post to a synchronization context; the download has none, and the state is locked anyway.
    private sealed class SyncProgress(Action<(string File, long Done, long? Total)> report) : IProgress<(string File, long Done, long? Total)>
    {
        public void Report((string File, long Done, long? Total) value) => report(value);
    }
}
