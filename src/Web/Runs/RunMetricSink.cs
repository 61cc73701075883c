using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using ProCo.Data;
using ProCo.Data.Entities;
using ProCo.Training.Engine;
using ProCo.Web.Live;

namespace ProCo.Web.Runs;

/// <summary>
/// The trainer's sink for a run in the database: points (the system metrics of <see cref="SystemSampler"/> among them), vectors and events go to the batched
/// writer first (so anything published is on its way to the database) and then to the browsers
/// watching; epoch ends and checkpoints update the run's rows.
/// </summary>
public sealed class RunMetricSink(long runId, MetricWriter writer, IRunPublisher publisher,
    IDbContextFactory<ProCoDbContext> factory, RunFolders folders, SystemSampler? system = null) : IMetricSink
{
    // The run's progress row is written at most every 2 s within an epoch, a console line every 10 s.
    private static readonly TimeSpan ProgressEvery = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan ConsoleEvery = TimeSpan.FromSeconds(10);
    private readonly System.Diagnostics.Stopwatch _progressClock = System.Diagnostics.Stopwatch.StartNew();
    private readonly System.Diagnostics.Stopwatch _consoleClock = System.Diagnostics.Stopwatch.StartNew();
    private int _stepsPerEpoch;
    private int _epochs;
    private bool _stepped;

    // What the run trains with goes on its row before the first step: steps per epoch map steps to
    // epochs, the precision is what the run page and the compare table show.
    public void Started(TrainingStart start)
    {
        _stepsPerEpoch = start.StepsPerEpoch;
        var run = UpdateRun(r =>
        {
            r.StepsPerEpoch = start.StepsPerEpoch;
            r.Precision = start.Precision;
            r.Device = start.Device;
        });
        _epochs = run.Epochs;
        publisher.Run(RunMessages.From(run) with { Status = RunStatus.Running, Live = true });
    }

    public void Step(StepReport report)
    {
        // A batch of this run the database refused stops training at once, with the reason.
        if (writer.FailureOf(runId) is { } failure) throw new MetricWriteException(runId, failure);
        if (!_stepped)
        {
            // A resumed run starts again from its checkpoint: the system samples the lost part of an
            // epoch left after it would sit among the new ones (wall time going backwards), so they go.
            _stepped = true;
            using var db = factory.CreateDbContext();
            MetricStore.DeleteFromAsync(db, runId, Series.SystemPrefix, report.GlobalStep).GetAwaiter().GetResult();
        }
        _stepsPerEpoch = report.StepsPerEpoch;
        Points(report.GlobalStep, report.Values);
        var lastOfEpoch = report.StepInEpoch == report.StepsPerEpoch;
        var sample = system?.Sample(report.GlobalStep, always: lastOfEpoch);
        if (sample is not null) Points(report.GlobalStep, sample);
        ProgressLine(report, sample);
        // Within an epoch the run's progress moves with its steps (a row write, and a reload by the pages showing it).
        if (_progressClock.Elapsed < ProgressEvery || lastOfEpoch) return;
        _progressClock.Restart();
        publisher.Run(RunMessages.From(UpdateRun(run =>
        {
            if (run.Epochs > 0 && report.StepsPerEpoch > 0)
                run.Progress = Math.Min(1, (double)report.GlobalStep / ((long)report.StepsPerEpoch * run.Epochs));
        })));
    }

    // The console's progress line, every 10 s: where training is and its latest numbers.
    private void ProgressLine(StepReport report, IReadOnlyDictionary<string, double>? sample)
    {
        if (_consoleClock.Elapsed < ConsoleEvery && report.GlobalStep > 1) return;
        _consoleClock.Restart();
        var parts = new List<string> { $"epoch {report.Epoch}{(_epochs > 0 ? $"/{_epochs}" : "")} · step {report.StepInEpoch}/{report.StepsPerEpoch}" };
        parts.AddRange(report.Values.Select(Said));
        if (sample?.GetValueOrDefault(Series.SysImagesPerSecond) is > 0 and var rate)
            parts.Add(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{rate:F0} images/s"));
        Log(RunEventLevel.Progress.Word(), string.Join(" · ", parts));
    }

    // A series' value as the console says it: "test top-1 35.25".
    private static string Said(KeyValuePair<string, double> value) =>
        string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{SeriesDisplay.LabelOf(value.Key)} {value.Value:G4}");

    public void Epoch(EpochReport report)
    {
        _epochs = report.Epochs;
        system?.Rebase();
        Log(RunEventLevel.Progress.Word(), string.Create(System.Globalization.CultureInfo.InvariantCulture, $"epoch {report.Epoch}/{report.Epochs} done in {report.Elapsed.TotalSeconds:F1} s · ")
                        + string.Join(" · ", report.Values.Where(v => !double.IsNaN(v.Value)).Select(Said)));
        Points(report.Epoch, report.Values);
        foreach (var (kind, values) in report.Vectors)
        {
            writer.Add(EpochVector.Of(runId, report.Epoch, kind, values));
            publisher.Vector(new VectorMessage(runId, report.Epoch, kind, values));
        }

        publisher.Run(RunMessages.From(UpdateRun(run =>
        {
            run.CompletedEpochs = report.Epoch;
            run.Progress = (double)report.Epoch / report.Epochs;
            RunSummaries.ApplyEpoch(run, report.Values);
        })));
    }

    public void Tested(TestReport report)
    {
        Points(report.Epochs, report.Values);
        publisher.Run(RunMessages.From(UpdateRun(run => RunSummaries.ApplyTest(run, report.Values))));
    }

    // Changes the run's row and stores it; the row as stored.
    private Run UpdateRun(Action<Run> change)
    {
        using var db = factory.CreateDbContext();
        var run = db.Runs.Single(r => r.Id == runId);
        change(run);
        db.SaveChanges();
        return run;
    }

    private void Points(long step, IReadOnlyDictionary<string, double> values)
    {
        var live = new List<LivePoint>(values.Count);
        foreach (var (series, value) in values)
        {
            writer.Add(new MetricPoint { RunId = runId, Series = series, Step = step, Value = value });
            live.Add(new LivePoint(series, step, value));
        }
        publisher.Points(runId, _stepsPerEpoch, live);
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
        writer.Add(new RunEvent { RunId = runId, At = DateTimeOffset.UtcNow, Level = RunEventLevel.Checkpoint.Word(),
            Message = $"Checkpoint '{report.Kind}' written at epoch {report.Epoch} ({report.SizeBytes:N0} bytes, SHA-256 {report.Sha256})." });
    }

    public void Log(string level, string message) =>
        writer.Add(new RunEvent { RunId = runId, At = DateTimeOffset.UtcNow, Level = RunEventLevels.Parse(level).Word(), Message = message });

    // The training thread waits for the batched writer (a few hundred ms per epoch at most); a checkpoint follows only
    // when everything before it is stored (else the run fails with the reason, its points up to the last checkpoint kept).
    public void Flush() => writer.FlushAsync(runId, CancellationToken.None).GetAwaiter().GetResult();
}
