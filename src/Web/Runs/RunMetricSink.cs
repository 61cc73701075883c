using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using ProCo.Data;
using ProCo.Data.Entities;
using ProCo.Training.Engine;
using ProCo.Web.Live;

namespace ProCo.Web.Runs;

/// <summary>
/// The trainer's sink for a run in the database: points, vectors and events go to the batched
/// writer and to the browsers watching; epoch ends and checkpoints update the run's rows.
/// </summary>
public sealed class RunMetricSink(long runId, MetricWriter writer, RunBroadcaster broadcaster,
    IDbContextFactory<ProCoDbContext> factory, RunFolders folders) : IMetricSink
{
    public void Step(StepReport report)
    {
        var live = new List<LivePoint>(report.Values.Count);
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        foreach (var (series, value) in report.Values)
        {
            writer.Add(new MetricPoint { RunId = runId, Series = series, Step = report.GlobalStep, Value = value });
            live.Add(new LivePoint(series, report.GlobalStep, value, now));
        }
        broadcaster.Points(runId, live);
    }

    public void Epoch(EpochReport report)
    {
        var live = new List<LivePoint>();
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        foreach (var (series, value) in report.Values)
        {
            writer.Add(new MetricPoint { RunId = runId, Series = series, Step = report.Epoch, Value = value });
            live.Add(new LivePoint(series, report.Epoch, value, now));
        }
        broadcaster.Points(runId, live);
        foreach (var (kind, values) in report.Vectors)
        {
            writer.Add(new EpochVector { RunId = runId, Epoch = report.Epoch, Kind = kind, ValuesJson = JsonSerializer.Serialize(values) });
            broadcaster.Vector(new VectorMessage(runId, report.Epoch, kind, values));
        }

        var v = report.Values;
        double? Finite(string series) => v.TryGetValue(series, out var x) && double.IsFinite(x) ? x : null;
        var top1 = Finite(Series.ValTop1);
        using var db = factory.CreateDbContext();
        var run = db.Runs.Single(r => r.Id == runId);
        run.CompletedEpochs = report.Epoch;
        run.Progress = (double)report.Epoch / report.Epochs;
        run.LastTop1 = top1;
        run.BestTop1 = top1 is null ? run.BestTop1 : Math.Max(run.BestTop1 ?? double.MinValue, top1.Value);
        run.LastMany = Finite(Series.ValMany);
        run.LastMedium = Finite(Series.ValMedium);
        run.LastFew = Finite(Series.ValFew);
        db.SaveChanges();
        broadcaster.Run(RunMessages.From(run));
    }

    public void Checkpoint(CheckpointReport report)
    {
        using var db = factory.CreateDbContext();
        var row = db.Checkpoints.FirstOrDefault(c => c.RunId == runId && c.Kind == report.Kind);
        if (row is null)
        {
            row = new Checkpoint { RunId = runId, Kind = report.Kind };
            db.Checkpoints.Add(row);
        }
        row.Epoch = report.Epoch;
        row.SizeBytes = report.SizeBytes;
        row.Sha256 = report.Sha256;
        row.RelativePath = folders.Relative(report.Path);
        row.CreatedAt = DateTimeOffset.UtcNow;
        db.SaveChanges();
        writer.Add(new RunEvent { RunId = runId, At = DateTimeOffset.UtcNow, Level = "info",
            Message = $"Checkpoint '{report.Kind}' written at epoch {report.Epoch} ({report.SizeBytes:N0} bytes, SHA-256 {report.Sha256})." });
    }

    public void Log(string level, string message) =>
        writer.Add(new RunEvent { RunId = runId, At = DateTimeOffset.UtcNow, Level = level, Message = message });

    // The training thread waits for the batched writer (a few hundred ms per epoch at most).
    public void Flush() => writer.FlushAsync(CancellationToken.None).GetAwaiter().GetResult();
}

/// <summary>Builds live run messages from rows.</summary>
public static class RunMessages
{
    public static RunMessage From(Run run) => new(run.Id, run.Status.ToString(), run.Progress, run.CompletedEpochs, run.Epochs,
        run.BestTop1, run.LastTop1, run.LastMany, run.LastMedium, run.LastFew, run.Error);
}
