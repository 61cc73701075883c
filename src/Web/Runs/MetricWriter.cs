using System.Threading.Channels;
using Microsoft.EntityFrameworkCore;
using ProCo.Data;
using ProCo.Data.Entities;

namespace ProCo.Web.Runs;

/// <summary>
/// Collects metric points, vectors and events from trainers and writes them in batches (one
/// transaction each, every 100 ms or 2,000 items), off the training thread.
/// </summary>
public sealed class MetricWriter : BackgroundService
{
    private readonly Channel<object> _queue = Channel.CreateUnbounded<object>(new UnboundedChannelOptions { SingleReader = true });
    private readonly IDbContextFactory<ProCoDbContext> _factory;
    private readonly ILogger<MetricWriter> _logger;
    private long _enqueued;
    private long _written;
    // Completed (and replaced) after every batch, so every waiter of FlushAsync wakes at once.
    private TaskCompletionSource _batchDone = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public MetricWriter(IDbContextFactory<ProCoDbContext> factory, ILogger<MetricWriter> logger)
    {
        _factory = factory;
        _logger = logger;
    }

    public void Add(MetricPoint point) => Enqueue(point);
    public void Add(EpochVector vector) => Enqueue(vector);
    public void Add(RunEvent runEvent) => Enqueue(runEvent);

    /// <summary>Items handed to the writer so far: a mark that <see cref="Written"/> passes once they are all processed.</summary>
    public long Enqueued => Interlocked.Read(ref _enqueued);

    /// <summary>Items processed so far, in the order they came (stored, or logged as lost).</summary>
    public long Written => Interlocked.Read(ref _written);

    private void Enqueue(object item)
    {
        Interlocked.Increment(ref _enqueued);
        _queue.Writer.TryWrite(item);
    }

    /// <summary>
    /// Waits until everything enqueued before the call is in the database (the writer's watermark
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
            while (batch.Count < 2000)
            {
                while (batch.Count < 2000 && reader.TryRead(out var item)) batch.Add(item);
                var left = deadline - DateTime.UtcNow;
                if (batch.Count >= 2000 || left <= TimeSpan.Zero) break;
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
        // Shutdown: write what is left.
        while (reader.TryRead(out var item)) batch.Add(item);
        await WriteAsync(batch);
    }

    private async Task WriteAsync(List<object> batch)
    {
        if (batch.Count == 0) return;
        var points = batch.OfType<MetricPoint>().ToList();
        var vectors = batch.OfType<EpochVector>().ToList();
        var events = batch.OfType<RunEvent>().ToList();
        try
        {
            await using var db = await _factory.CreateDbContextAsync();
            await MetricStore.WriteAsync(db, points, vectors, events);
        }
        catch (Exception e) when (MetricStore.IsMissingRun(e)) // a run was deleted meanwhile
        {
            await WriteExistingRunsOnlyAsync(points, vectors, events);
        }
        catch (Exception e)
        {
            _logger.LogError(e, "Writing {Count} metric items failed; they are lost.", batch.Count);
        }
        finally
        {
            Interlocked.Add(ref _written, batch.Count);
            Interlocked.Exchange(ref _batchDone, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
        }
    }

    private async Task WriteExistingRunsOnlyAsync(List<MetricPoint> points, List<EpochVector> vectors, List<RunEvent> events)
    {
        await using var db = await _factory.CreateDbContextAsync();
        var ids = points.Select(p => p.RunId).Concat(vectors.Select(v => v.RunId)).Concat(events.Select(e => e.RunId)).Distinct().ToList();
        var existing = (await db.Runs.Where(r => ids.Contains(r.Id)).Select(r => r.Id).ToListAsync()).ToHashSet();
        await MetricStore.WriteAsync(db, points.Where(p => existing.Contains(p.RunId)).ToList(),
            vectors.Where(v => existing.Contains(v.RunId)).ToList(), events.Where(e => existing.Contains(e.RunId)).ToList());
    }
}
