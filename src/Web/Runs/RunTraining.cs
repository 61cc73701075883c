using Microsoft.EntityFrameworkCore;
using ProCo.Data;
using ProCo.Data.Entities;
using ProCo.Training.Datasets;
using ProCo.Training.Engine;
using ProCo.Web.Live;
using TorchSharp;

namespace ProCo.Web.Runs;

/// <summary>
/// Trains the run of an attempt: its configuration and last checkpoint from the database, a device of this worker,
/// its data, the trainer with the run's sink; resumes from the checkpoint when there is one.
/// </summary>
public sealed class RunTraining(
    IDbContextFactory<ProCoDbContext> factory,
    MetricWriter writer,
    IRunPublisher publisher,
    RunFolders folders,
    DatasetCatalog catalog,
    WeightsLibrary weights,
    DevicePool devices,
    WorkerIdentity identity,
    ProCoOptions settings)
{
    /// <summary>Trains until the run's last epoch or until the attempt stops it; runs on the calling thread, which libtorch's threads then serve.</summary>
    public TrainingOutcome Train(RunAttempt attempt)
    {
        var runId = attempt.RunId;
        Run run;
        string? resumeFrom = null;
        using (var db = factory.CreateDbContext())
        {
            run = db.Runs.AsNoTracking().Single(r => r.Id == runId);
            var last = db.Checkpoints.AsNoTracking().FirstOrDefault(c => c.RunId == runId && c.Kind == CheckpointKinds.Last);
            if (last is not null) resumeFrom = folders.ResolveInside(last.RelativePath);
        }
        var config = TrainingConfig.FromJson(run.ConfigJson).Validated();
        // One training per device: a CUDA run trains on the device lent to it (its queue brought it
        // only to a worker with CUDA devices), whichever index it named; an auto run on the device lent
        // to it, CUDA where this worker has it.
        var kind = JobQueues.KindOf(config.Device);
        using var device = devices.Acquire(kind, attempt.Stopping);
        if (kind != JobQueues.Cpu) config = config with { Device = device.Device };
        // libtorch's thread count is per thread: this job's thread trains with its share of the cores.
        var threads = WorkerDevices.TrainingThreads(settings);
        if (torch.get_num_threads() != threads) torch.set_num_threads(threads);
        attempt.Log(RunEventLevel.Info, $"Started by {identity.Name} on {config.Device} (attempt {run.Attempts}, {threads} CPU thread{(threads == 1 ? "" : "s")})" +
                                        (resumeFrom is null ? "." : $", resuming from {folders.Relative(resumeFrom)}."));
        var data = TrainingData.Load(config, catalog);
        using var trainer = new Trainer(config, data)
        {
            InitialWeightsPath = config.InitFrom is { } initial
                ? weights.PathOf(initial) ?? throw new InvalidDataException($"The initial weights '{initial}' are no longer in the weights library.")
                : null,
        };
        using var system = new SystemSampler(config.BatchSize, config.Device, run.StartedAt ?? DateTimeOffset.UtcNow);
        var sink = new RunMetricSink(runId, writer, publisher, factory, folders, system);
        return trainer.Run(sink, folders.For(runId), resumeFrom, attempt.Stopping).Outcome;
    }
}
