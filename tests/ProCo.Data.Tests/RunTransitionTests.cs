using Microsoft.EntityFrameworkCore;
using ProCo.Data.Entities;

namespace ProCo.Data.Tests;

/// <summary>
/// The run lifecycle's table against the database, on both engines: every transition, tried from every status, changes
/// the run exactly when its table row starts from that status (and its guard holds), and then to a status the row
/// leads to, with what the row says it sets; two workers racing for one run cannot both claim it.
/// </summary>
public sealed class RunTransitionTests
{
    private const string Worker = "host:1:aaaa";
    private static readonly DateTimeOffset Now = new(2026, 12, 6, 12, 0, 0, TimeSpan.Zero);

    private static async Task<long> RunInAsync(ProCoDbContext db, RunStatus status, string? worker = null, DateTimeOffset? leaseUntil = null)
    {
        var run = new Run
        {
            Name = $"{status}", Dataset = "cifar10", CreatedAt = Now, Status = status, Worker = worker, LeaseUntil = leaseUntil,
            Error = status == RunStatus.Failed ? "before" : null, FinishedAt = status is RunStatus.Succeeded or RunStatus.Failed or RunStatus.Cancelled ? Now : null,
        };
        db.Runs.Add(run);
        await db.SaveChangesAsync();
        return run.Id;
    }

    private static Task<Run> ReadAsync(ProCoDbContext db, long id) => db.Runs.AsNoTracking().SingleAsync(r => r.Id == id);

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task EveryTransition_ChangesARunExactlyFromTheStatusesOfItsRow(string engine)
    {
        using var store = new TestDatabase(engine);
        await using var db = store.Open();
        await DatabaseMigrator.MigrateAsync(db);
        var statuses = Enum.GetValues<RunStatus>();
        foreach (var status in statuses)
        {
            // A running run held by Worker, its lease still good: claimed by nobody, finished and interrupted by its own worker.
            DateTimeOffset? lease = status == RunStatus.Running ? Now.AddHours(1) : null;
            string? worker = status == RunStatus.Running ? Worker : null;

            var id = await RunInAsync(db, status, worker, lease);
            Assert.Equal(status is RunStatus.Queued or RunStatus.Interrupted,
                await RunTransitions.ClaimAsync(db, id, "other:2:bbbb", "job-1", Now, Now.AddSeconds(30)));
            var claimed = await ReadAsync(db, id);
            if (status is RunStatus.Queued or RunStatus.Interrupted)
                Assert.Equal((RunStatus.Running, "other:2:bbbb", "job-1", 1, (string?)null), (claimed.Status, claimed.Worker, claimed.JobId, claimed.Attempts, claimed.Error));
            else
                Assert.Equal(status, claimed.Status);

            id = await RunInAsync(db, status, worker, lease);
            Assert.Equal(RunTransitions.Finish.From.Contains(status), await RunTransitions.FinishAsync(db, id, Worker, RunStatus.Failed, "broken", Now));
            if (RunTransitions.Finish.From.Contains(status))
            {
                var finished = await ReadAsync(db, id);
                Assert.Equal((RunStatus.Failed, (string?)null, (DateTimeOffset?)null, "broken", (DateTimeOffset?)Now),
                    (finished.Status, finished.Worker, finished.LeaseUntil, finished.Error, finished.FinishedAt));
            }

            id = await RunInAsync(db, status, worker, lease);
            Assert.Equal(RunTransitions.Interrupt.From.Contains(status), await RunTransitions.InterruptAsync(db, id, Worker));
            id = await RunInAsync(db, status, worker, lease);
            Assert.Equal(RunTransitions.Cancel.From.Contains(status), await RunTransitions.CancelAsync(db, id, Now));
            if (RunTransitions.Cancel.From.Contains(status)) Assert.Equal(RunStatus.Cancelled, (await ReadAsync(db, id)).Status);
            id = await RunInAsync(db, status, worker, lease);
            Assert.Equal(RunTransitions.Resume.From.Contains(status), await RunTransitions.ResumeAsync(db, id));
            if (RunTransitions.Resume.From.Contains(status))
            {
                var resumed = await ReadAsync(db, id);
                Assert.Equal((RunStatus.Queued, (string?)null, (DateTimeOffset?)null), (resumed.Status, resumed.Error, resumed.FinishedAt));
            }
            id = await RunInAsync(db, status, worker, lease);
            Assert.Equal(status == RunStatus.Running, await RunTransitions.RequestCancelAsync(db, id));
        }
        // The rules of what a status allows read the same table.
        Assert.Equal(RunTransitions.Cancel.From, RunStatusRules.Waiting);
        Assert.Equal(RunTransitions.Resume.From, RunStatusRules.Resumable);
        Assert.All(RunTransitions.All, t => Assert.NotEmpty(t.From));
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task TheGuards_HoldTheLeaseAndTheCancelRequest(string engine)
    {
        using var store = new TestDatabase(engine);
        await using var db = store.Open();
        await DatabaseMigrator.MigrateAsync(db);

        // A running run whose lease ran out is claimed by another worker; one whose lease holds is not.
        var expired = await RunInAsync(db, RunStatus.Running, Worker, Now.AddSeconds(-1));
        Assert.True(await RunTransitions.ClaimAsync(db, expired, "other:2:bbbb", null, Now, Now.AddSeconds(30)));
        // Its old worker has lost it: it can neither renew nor finish it.
        Assert.False(await RunTransitions.RenewAsync(db, expired, Worker, Now.AddSeconds(30)));
        Assert.False(await RunTransitions.FinishAsync(db, expired, Worker, RunStatus.Succeeded, null, Now));
        Assert.True(await RunTransitions.RenewAsync(db, expired, "other:2:bbbb", Now.AddSeconds(60)));

        // A queued run asked to cancel is not claimed.
        var cancelled = await RunInAsync(db, RunStatus.Queued);
        await db.Runs.Where(r => r.Id == cancelled).ExecuteUpdateAsync(s => s.SetProperty(r => r.CancelRequested, true));
        Assert.False(await RunTransitions.ClaimAsync(db, cancelled, Worker, null, Now, Now.AddSeconds(30)));

        // Two workers racing for one queued run: exactly one wins.
        var raced = await RunInAsync(db, RunStatus.Queued);
        var wins = await Task.WhenAll(Enumerable.Range(0, 6).Select(async i =>
        {
            await using var own = store.Open();
            return await RunTransitions.ClaimAsync(own, raced, $"w:{i}:x", null, Now, Now.AddSeconds(30));
        }));
        Assert.Single(wins, w => w);

        // A transition never leads where its row does not: finishing as queued is refused before any SQL runs.
        var running = await RunInAsync(db, RunStatus.Running, Worker, Now.AddHours(1));
        await Assert.ThrowsAsync<InvalidOperationException>(() => RunTransitions.FinishAsync(db, running, Worker, RunStatus.Queued, null, Now));
        Assert.Equal(RunStatus.Running, (await ReadAsync(db, running)).Status);
    }
}
