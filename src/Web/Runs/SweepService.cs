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
public sealed record SweepView(long Id, string Name, string Kind, SweepSpec Spec, TrainingConfig? BaseConfig, string? CreatedBy, DateTimeOffset CreatedAt,
    IReadOnlyList<RunSummary> Runs);

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
        return new SweepView(sweep.Id, sweep.Name, sweep.Kind, JsonSerializer.Deserialize<SweepSpec>(sweep.SpecJson, TrainingConfig.Json) ?? new SweepSpec(),
            TrainingConfig.FromJson(sweep.BaseConfigJson), sweep.CreatedBy, sweep.CreatedAt, [.. members.Select(RunSummary.From)]);
    }
}
