using System.Threading.Channels;
using Microsoft.EntityFrameworkCore;
using ProCo.Data;
using ProCo.Data.Entities;

namespace ProCo.Web.Runs;

/// <summary>
/// Collects metric points, vectors and events from trainers and writes them in batches (one
/// transaction each, every 100 ms, or at once when <see cref="MaxBatch"/> items wait), off the training thread. Nothing vanishes: a batch
/// the database refuses is tried <see cref="Attempts"/> times, then each of its runs is marked failed
/// with the reason (<see cref="FailureOf"/>), which the run's next flush and step raise
/// (<see cref="MetricWriteException"/>), so the run fails loudly with everything acknowledged before stored.
/// The queue holds at most <see cref="Capacity"/> items: a trainer that gets that far ahead of the
/// database waits for it.
/// </summary>
public sealed class MetricWriter : BackgroundService
{
    /// <summary>Items the queue holds at most before <c>Add</c> waits (back-pressure on the trainer).</summary>
    public const int Capacity = 100_000;

    /// <summary>
    /// Items of one batch at most. A batch pays per series for its summaries, so a backlog (many runs, or
    /// a trainer ahead of the store) is written in large batches; a quiet run's batch is what 100 ms gathered.
    /// </summary>
    public const int MaxBatch = 50_000;

    /// <summary>Tries of one batch before its runs are marked failed.</summary>
    public const int Attempts = 3;

    private readonly Channel<object> _queue = Channel.CreateBounded<object>(
        new BoundedChannelOptions(Capacity) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
    private readonly System.Collections.Concurrent.ConcurrentDictionary<long, string> _failures = new();
    private readonly IDbContextFactory<ProCoDbContext> _factory;
    private readonly ILogger<MetricWriter> _logger;
    private long _enqueued;
    private long _written;
    // Completed (and replaced) after every batch, so every waiter of FlushAsync wakes at once.
    private TaskCompletionSource _batchDone = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private readonly TimeSpan _retryDelay;

    public MetricWriter(IDbContextFactory<ProCoDbContext> factory, Microsoft.Extensions.Options.IOptions<JobsOptions> options, ILogger<MetricWriter> logger)
    {
        _factory = factory;
        _retryDelay = TimeSpan.FromSeconds(options.Value.WriteRetrySeconds);
        _logger = logger;
    }

    public void Add(MetricPoint point) => Enqueue(point);
    public void Add(EpochVector vector) => Enqueue(vector);
    public void Add(RunEvent runEvent) => Enqueue(runEvent);

    /// <summary>Items handed to the writer so far: a mark that <see cref="Written"/> passes once they are all processed.</summary>
    public long Enqueued => Interlocked.Read(ref _enqueued);

    /// <summary>Items processed so far, in the order they came (stored, or their run marked failed).</summary>
    public long Written => Interlocked.Read(ref _written);

    /// <summary>Why items of <paramref name="runId"/> could not be stored, or null while everything of it was.</summary>
    public string? FailureOf(long runId) => _failures.GetValueOrDefault(runId);

    /// <summary>Clears a run's failure: a new attempt at it starts from its last checkpoint, whose points were stored.</summary>
    public void Forget(long runId) => _failures.TryRemove(runId, out _);

    private void Enqueue(object item)
    {
        Interlocked.Increment(ref _enqueued);
        if (_queue.Writer.TryWrite(item)) return;
        try
        {
            // Full: the producer (a trainer's thread) waits until the database has caught up.
            _queue.Writer.WriteAsync(item).AsTask().GetAwaiter().GetResult();
        }
        catch (ChannelClosedException)
        {
            // The writer has stopped (the host is shutting down): the item's run cannot count it as stored.
            Failed([item], "the host stopped before it was stored");
        }
    }

    /// <summary>
    /// Waits until everything of <paramref name="runId"/> enqueued before the call is in the database; throws
    /// <see cref="MetricWriteException"/> when some of it could not be stored.
    /// </summary>
    public async Task FlushAsync(long runId, CancellationToken cancellationToken = default)
    {
        await FlushAsync(cancellationToken);
        if (FailureOf(runId) is { } failure) throw new MetricWriteException(runId, failure);
    }

    /// <summary>
    /// Waits until everything enqueued before the call is processed (the writer's watermark
    /// has passed it): woken by each committed batch, no polling.
    /// </summary>
    public async Task FlushAsync(CancellationToken cancellationToken = default)
    {
        var target = Interlocked.Read(ref _enqueued);
        while (true)
        {
            var batchDone = Volatile.Read(ref _batchDone).Task;
            if (Interlocked.Read(ref _written) >= target) return;
            await batchDone.WaitAsync(cancellationToken);
        }
    }

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var reader = _queue.Reader;
        var batch = new List<object>();
        while (true)
        {
            try
            {
                if (!await reader.WaitToReadAsync(stoppingToken)) break;
            }
            catch (OperationCanceledException)
            {
                break;
            }
            // Gather for up to 100 ms so a batch carries many points (and, over Redis, where a point is
            // sent only once stored, this is most of the step-to-browser latency).
            var deadline = DateTime.UtcNow.AddMilliseconds(100);
            while (batch.Count < MaxBatch)
            {
                while (batch.Count < MaxBatch && reader.TryRead(out var item)) batch.Add(item);
                var left = deadline - DateTime.UtcNow;
                if (batch.Count >= MaxBatch || left <= TimeSpan.Zero) break;
                try
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(25, left.TotalMilliseconds)), stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }
            await WriteAsync(batch);
            batch.Clear();
        }
        // Shutdown: write what is left; what comes later fails its run (see Enqueue).
        _queue.Writer.TryComplete();
        while (reader.TryRead(out var item)) batch.Add(item);
        await WriteAsync(batch);
    }

    private async Task WriteAsync(List<object> batch)
    {
        if (batch.Count == 0) return;
        // A run whose numbers could not be stored keeps failing: its later points are not written (nothing will count
        // them as stored), its console lines are, so the line that says why it failed reaches its page.
        var points = batch.OfType<MetricPoint>().Where(p => !_failures.ContainsKey(p.RunId)).ToList();
        var vectors = batch.OfType<EpochVector>().Where(v => !_failures.ContainsKey(v.RunId)).ToList();
        var events = batch.OfType<RunEvent>().ToList();
        try
        {
            for (var attempt = 1; ; attempt++)
            {
                try
                {
                    await using var db = await _factory.CreateDbContextAsync();
                    await MetricStore.WriteAsync(db, points, vectors, events);
                    return;
                }
                catch (Exception e) when (MetricStore.IsMissingRun(e)) // a run was deleted meanwhile
                {
                    await WriteExistingRunsOnlyAsync(points, vectors, events);
                    return;
                }
                catch (Exception e) when (attempt < Attempts)
                {
                    _logger.LogWarning(e, "Writing {Count} metric items failed (try {Attempt} of {Attempts}); trying again.", batch.Count, attempt, Attempts);
                    await Task.Delay(_retryDelay * attempt);
                }
                catch (Exception e)
                {
                    _logger.LogError(e, "Writing {Count} metric items failed {Attempts} times; their runs fail.", batch.Count, Attempts);
                    Failed(batch, e.Message);
                    if (events.Count > 0 && points.Count + vectors.Count > 0) await WriteEventsOnlyAsync(events);
                    return;
                }
            }
        }
        finally
        {
            Interlocked.Add(ref _written, batch.Count);
            Interlocked.Exchange(ref _batchDone, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
        }
    }

    // The console lines of a batch whose numbers the store refused: most often it takes them (a refusal of points, a
    // constraint), and the lines say what happened; when it refuses them too, the runs have failed already.
    private async Task WriteEventsOnlyAsync(List<RunEvent> events)
    {
        try
        {
            await using var db = await _factory.CreateDbContextAsync();
            await MetricStore.WriteAsync(db, [], [], events);
        }
        catch (Exception e)
        {
            _logger.LogError(e, "Writing {Count} console lines of failed runs failed too.", events.Count);
        }
    }

    // Marks the runs of items that could not be stored (the first reason of each run is kept).
    private void Failed(IEnumerable<object> items, string reason)
    {
        foreach (var runId in items.Select(RunOf).Distinct()) _failures.TryAdd(runId, reason);
    }

    private static long RunOf(object item) => item switch
    {
        MetricPoint point => point.RunId,
        EpochVector vector => vector.RunId,
        RunEvent runEvent => runEvent.RunId,
        _ => throw new ArgumentException($"The writer stores no {item.GetType().Name}.", nameof(item)),
    };

    private async Task WriteExistingRunsOnlyAsync(List<MetricPoint> points, List<EpochVector> vectors, List<RunEvent> events)
    {
        await using var db = await _factory.CreateDbContextAsync();
        var ids = points.Select(p => p.RunId).Concat(vectors.Select(v => v.RunId)).Concat(events.Select(e => e.RunId)).Distinct().ToList();
        var existing = (await db.Runs.Where(r => ids.Contains(r.Id)).Select(r => r.Id).ToListAsync()).ToHashSet();
        await MetricStore.WriteAsync(db, points.Where(p => existing.Contains(p.RunId)).ToList(),
            vectors.Where(v => existing.Contains(v.RunId)).ToList(), events.Where(e => existing.Contains(e.RunId)).ToList());
    }
}
