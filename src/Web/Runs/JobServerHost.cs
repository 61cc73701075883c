using Hangfire;
using Hangfire.Client;
using Hangfire.Common;
using Hangfire.Server;
using Hangfire.States;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using ProCo.Data;
using ProCo.Data.Entities;
using ProCo.Training.Datasets;

namespace ProCo.Web.Runs;

/// <summary>
/// The Hangfire job server of a process that trains, and its advertisement: every few seconds it
/// writes its <see cref="WorkerRecord"/> (host, devices, device kinds, datasets present here,
/// queues, heartbeat), which the Workers page lists and <see cref="WaitReasons"/> reads. Its server
/// fetches from the queues of its kinds and present datasets (<see cref="JobQueues"/>); when a
/// dataset appears or disappears on this host it starts a server on the new queues once no run
/// trains here. On shutdown its row is removed.
/// </summary>
public sealed class JobServerHost(
    IServiceProvider services,
    JobStorage storage,
    WorkerIdentity identity,
    WorkerDevices devices,
    DatasetCatalog catalog,
    ActiveRuns active,
    IDbContextFactory<ProCoDbContext> factory,
    IOptions<JobsOptions> options,
    ILogger<JobServerHost> logger) : BackgroundService
{
    private BackgroundJobServer? _server;
    private string[] _queues = [];

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var started = DateTimeOffset.UtcNow;
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(options.Value.HeartbeatSeconds));
        try
        {
            do
            {
                try
                {
                    var datasets = catalog.Available().Where(d => d.Present).Select(d => d.Key).Order(StringComparer.Ordinal).ToArray();
                    var queues = JobQueues.Served(devices.Kinds, datasets);
                    if (!queues.SequenceEqual(_queues) && (_server is null || active.Count == 0)) Restart(queues);
                    await BeatAsync(started, datasets, stoppingToken);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    logger.LogWarning(e, "The worker's heartbeat failed; it beats again shortly.");
                }
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException)
        {
        }
    }

    private void Restart(string[] queues)
    {
        var previous = _server;
        previous?.SendStop();
        // The services Hangfire.AspNetCore's own hosted server is built with: this host's activator
        // and filters rather than the process-wide ones (several hosts share a test process).
        var filters = services.GetRequiredService<IJobFilterProvider>();
        var activator = services.GetRequiredService<JobActivator>();
#pragma warning disable CS0618
        _server = queues.Length == 0 ? null : new BackgroundJobServer(new BackgroundJobServerOptions
        {
            Queues = queues,
            WorkerCount = devices.Slots,
            ServerName = identity.Name,
            // Deleting a job (a cancel) reaches its token within half a second.
            CancellationCheckInterval = TimeSpan.FromMilliseconds(500),
        }, storage, [], filters, activator,
            services.GetService<IBackgroundJobFactory>() ?? new BackgroundJobFactory(filters),
            services.GetService<IBackgroundJobPerformer>() ?? new BackgroundJobPerformer(filters, activator, TaskScheduler.Default),
            services.GetService<IBackgroundJobStateChanger>() ?? new BackgroundJobStateChanger(filters));
#pragma warning restore CS0618
        _queues = queues;
        // The previous server fetches nothing more; it is let go in the background (it waits for a job it still runs).
        if (previous is not null) _ = Task.Run(() => Release(previous));
        logger.LogInformation("Worker {Worker} fetches runs from {Queues}.", identity.Name, queues.Length == 0 ? "no queue (no dataset here)" : string.Join(", ", queues));
    }

    // Disposes a stopped server, waiting at most 15 s: its jobs have ended or been handed back by
    // then, and a server whose disposal waits longer (seen once in a test process) holds nothing
    // worth keeping the process for.
    private void Release(BackgroundJobServer server)
    {
        var disposal = Task.Run(server.Dispose);
        if (!disposal.Wait(TimeSpan.FromSeconds(15))) logger.LogWarning("A stopped job server did not finish disposing within 15 s; left behind.");
    }

    private async Task BeatAsync(DateTimeOffset started, string[] datasets, CancellationToken cancellationToken)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var row = await db.Workers.FirstOrDefaultAsync(w => w.Name == identity.Name, cancellationToken);
        if (row is null)
        {
            row = new WorkerRecord { Name = identity.Name, Host = Environment.MachineName, StartedAt = started };
            db.Workers.Add(row);
        }
        row.Devices = string.Join(',', devices.Devices);
        row.Kinds = string.Join(',', devices.Kinds);
        row.Slots = devices.Slots;
        row.Datasets = string.Join(',', datasets);
        row.Queues = string.Join(',', _queues);
        row.HeartbeatAt = DateTimeOffset.UtcNow;
        await db.SaveChangesAsync(cancellationToken);
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        // Training jobs hear the host stop (ApplicationStopping) and end with their checkpoint; the
        // server is given until the host's shutdown timeout to see them end.
        if (_server is { } server)
        {
            server.SendStop();
            try
            {
                await server.WaitForShutdownAsync(cancellationToken);
            }
            catch (OperationCanceledException)
            {
                logger.LogWarning("The job server did not stop within the host's shutdown timeout.");
            }
            await Task.Run(() => Release(server), CancellationToken.None);
        }
        try
        {
            await using var db = await factory.CreateDbContextAsync(CancellationToken.None);
            await db.Workers.Where(w => w.Name == identity.Name).ExecuteDeleteAsync(CancellationToken.None);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            logger.LogWarning(e, "Removing this worker's row failed; it counts as gone once its heartbeat is old.");
        }
    }
}
