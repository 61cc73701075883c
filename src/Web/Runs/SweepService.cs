using System.Security.Claims;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using ProCo.Data;
using ProCo.Data.Entities;
using ProCo.Training.Engine;
using ProCo.Web.Accounts;
using ProCo.Web.Live;

namespace ProCo.Web.Runs;

/// <summary>A sweep to queue: a name and tags its runs share, the configuration they start from, and what varies.</summary>
public sealed record SweepRequest(string? Name, IReadOnlyList<string>? Tags, TrainingConfig? Config, SweepSpec? Sweep);

/// <summary>A queued sweep: its id and its runs', in the order they were queued.</summary>
public sealed record SweepResult(long Id, IReadOnlyList<long> RunIds);

/// <summary>A stored sweep, as the API answers it.</summary>
/// <param name="Varied">The configuration fields it lists values of (JSON names), in the order runs are named by them.</param>
/// <param name="BestRunId">Its run of the highest best top-1 so far, if any has one.</param>
public sealed record SweepView(long Id, string Name, string Kind, SweepSpec Spec, TrainingConfig? BaseConfig, string? CreatedBy, DateTimeOffset CreatedAt,
    IReadOnlyList<RunSummary> Runs, IReadOnlyList<string> Varied, long? BestRunId);

/// <summary>A sweep as the sweeps list shows it: what varied, how far its runs are, and its best run.</summary>
/// <param name="Varied">The fields it lists values of (JSON names).</param>
/// <param name="Finished">Runs that succeeded.</param>
/// <param name="Live">Runs queued or training.</param>
/// <param name="Stopped">Runs that failed, were cancelled or were interrupted.</param>
public sealed record SweepSummary(long Id, string Name, string Kind, string? CreatedBy, DateTimeOffset CreatedAt, IReadOnlyList<string> Varied,
    int Runs, int Finished, int Live, int Stopped, long? BestRunId, string? BestRunName, double? BestTop1)
{
    /// <summary>Runs counted by state: succeeded, queued or training, and failed, cancelled or interrupted.</summary>
    public static (int Finished, int Live, int Stopped) Count(IEnumerable<RunStatus> statuses)
    {
        var (finished, live, stopped) = (0, 0, 0);
        foreach (var status in statuses)
        {
            if (status == RunStatus.Succeeded) finished++;
            else if (status.IsLive()) live++;
            else if (status is RunStatus.Failed or RunStatus.Cancelled or RunStatus.Interrupted) stopped++;
        }
        return (finished, live, stopped);
    }
}

/// <summary>
/// Grids and random searches as one command, for the new-run form, the API (<c>POST /api/sweeps</c>) and the CLI
/// (<c>proco sweep</c>) alike: expanded and validated here once (each run as a single run would be, with this server's
/// limits), then stored in one transaction, the sweep with what varied and how it was drawn, and every run pointing to
/// it; its jobs are enqueued after the commit (a run whose job could not be, the lease monitor queues).
/// </summary>
public sealed class SweepService(IDbContextFactory<ProCoDbContext> factory, RunService runs, IRunPublisher publisher)
{
    /// <summary>
    /// The sweep's runs and every problem, keyed as the API reports them: "config.x" for the base configuration and for a
    /// rule a run breaks in a field the sweep leaves alone, "sweep.x" for a list (or "sweep.samples"), "name" and "tags".
    /// </summary>
    public (SweepPlan Plan, Dictionary<string, string[]> Errors) Plan(SweepRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var spec = request.Sweep ?? new SweepSpec();
        var errors = runs.Validate(new RunRequest(request.Name, request.Tags, request.Config));
        if (request.Config is null || errors.Keys.Any(k => k.StartsWith("config.", StringComparison.Ordinal))) return (new SweepPlan([], new Dictionary<string, string>()), errors);
        var plan = spec.Expand(request.Config.Validated());
        foreach (var (property, message) in plan.Errors) errors[SweepKey(property)] = [message];
        foreach (var member in plan.Members)
        {
            // Each run as a single run would be checked: its fields, and what this server allows (size, epochs, weights).
            foreach (var (key, messages) in runs.Validate(new RunRequest(null, null, member.Config)))
            {
                var field = ConfigSchema.Fields.FirstOrDefault(f => "config." + f.Name == key);
                errors.TryAdd(field is not null && spec.Varies(field.Property) ? SweepKey(field.Property) : key, [$"{member.Label}: {messages[0]}"]);
            }
        }
        return (plan, errors);
    }

    /// <summary>The key of a sweep list's problem: "sweep.alpha", "sweep.samples".</summary>
    public static string SweepKey(string property) =>
        "sweep." + (ConfigSchema.Fields.FirstOrDefault(f => f.Property == property)?.Name ?? JsonNamingPolicy.CamelCase.ConvertName(property));

    /// <summary>Queues the sweep, all its runs or none. The request must be valid (<see cref="Plan"/>) and <paramref name="by"/> allowed to queue.</summary>
    public async Task<SweepResult> QueueAsync(SweepRequest request, ClaimsPrincipal by, CancellationToken cancellationToken = default)
    {
        if (!Permissions.Allows(by, StudioAction.Queue)) throw new UnauthorizedAccessException(Permissions.Refusal(by, StudioAction.Queue));
        var (plan, errors) = Plan(request);
        if (errors.Count > 0) throw new ArgumentException("Invalid sweep: " + string.Join("; ", errors.Select(e => $"{e.Key}: {e.Value[0]}")));
        var spec = request.Sweep ?? new SweepSpec();
        var baseConfig = request.Config!.Validated();
        var name = string.IsNullOrWhiteSpace(request.Name) ? RunService.DefaultName(baseConfig) : request.Name.Trim();
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var stored = new List<Run>();
        var sweep = new Sweep
        {
            Name = name, Kind = spec.Kind, SpecJson = JsonSerializer.Serialize(spec, TrainingConfig.Json), BaseConfigJson = baseConfig.ToJson(),
            CreatedBy = Permissions.NameOf(by), CreatedAt = DateTimeOffset.UtcNow,
        };
        await using (var transaction = await db.Database.BeginTransactionAsync(cancellationToken))
        {
            db.Sweeps.Add(sweep);
            await db.SaveChangesAsync(cancellationToken);
            foreach (var member in plan.Members)
            {
                var run = RunService.NewRun(member.Config.Validated(), plan.Members.Count == 1 ? name : $"{name} · {member.Label}", request.Tags);
                run.SweepId = sweep.Id;
                stored.Add(run);
            }
            db.Runs.AddRange(stored);
            await db.SaveChangesAsync(cancellationToken);
            db.RunEvents.AddRange(stored.Select(r => RunService.Event(r.Id, by, $"Queued with sweep {sweep.Id} ({spec.Kind}, {stored.Count} runs).")));
            await db.SaveChangesAsync(cancellationToken);
            await transaction.CommitAsync(cancellationToken);
        }
        foreach (var run in stored)
        {
            await runs.EnqueueStoredAsync(db, run, cancellationToken);
            publisher.Run(RunMessages.From(run));
        }
        return new SweepResult(sweep.Id, [.. stored.Select(r => r.Id)]);
    }

    /// <summary>A stored sweep with its runs, or null.</summary>
    public async Task<SweepView?> FindAsync(long id, CancellationToken cancellationToken = default)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var sweep = await db.Sweeps.AsNoTracking().FirstOrDefaultAsync(s => s.Id == id, cancellationToken);
        if (sweep is null) return null;
        var members = await db.Runs.AsNoTracking().Where(r => r.SweepId == id).OrderBy(r => r.Id).ToListAsync(cancellationToken);
        var spec = SpecOf(sweep);
        return new SweepView(sweep.Id, sweep.Name, sweep.Kind, spec, TrainingConfig.FromJson(sweep.BaseConfigJson), sweep.CreatedBy, sweep.CreatedAt,
            [.. members.Select(RunSummary.From)], [.. spec.Varied.Select(f => f.Name)], Best(members)?.Id);
    }

    /// <summary>Every sweep, newest first, with its runs counted by state and its best run.</summary>
    public async Task<IReadOnlyList<SweepSummary>> ListAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var sweeps = await db.Sweeps.AsNoTracking().OrderByDescending(s => s.Id).ToListAsync(cancellationToken);
        // The members' summary columns only: no configuration, no metric table.
        var members = (await db.Runs.AsNoTracking().Where(r => r.SweepId != null)
                .Select(r => new Run { Id = r.Id, SweepId = r.SweepId, Name = r.Name, Status = r.Status, BestTop1 = r.BestTop1 })
                .ToListAsync(cancellationToken))
            .ToLookup(r => r.SweepId!.Value);
        return [.. sweeps.Select(sweep =>
        {
            var runs = members[sweep.Id].ToList();
            var best = Best(runs);
            var (finished, live, stopped) = SweepSummary.Count(runs.Select(r => r.Status));
            return new SweepSummary(sweep.Id, sweep.Name, sweep.Kind, sweep.CreatedBy, sweep.CreatedAt, [.. SpecOf(sweep).Varied.Select(f => f.Name)],
                runs.Count, finished, live, stopped, best?.Id, best?.Name, best?.BestTop1);
        })];
    }

    // The run of the highest best top-1 (the earlier on a tie); null while none has one.
    private static Run? Best(IEnumerable<Run> runs) =>
        runs.Where(r => r.BestTop1 is { } top1 && double.IsFinite(top1)).OrderByDescending(r => r.BestTop1).ThenBy(r => r.Id).FirstOrDefault();

    private static SweepSpec SpecOf(Sweep sweep) => JsonSerializer.Deserialize<SweepSpec>(sweep.SpecJson, TrainingConfig.Json) ?? new SweepSpec();
}
