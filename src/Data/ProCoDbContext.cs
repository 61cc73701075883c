using Microsoft.AspNetCore.Identity.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;
using ProCo.Data.Entities;

namespace ProCo.Data;

/// <summary>The run database: runs, their metrics, per-epoch vectors, checkpoints and events; accounts, roles and API tokens.</summary>
public class ProCoDbContext(DbContextOptions<ProCoDbContext> options) : IdentityDbContext<StudioUser>(options)
{
    public DbSet<Run> Runs => Set<Run>();
    public DbSet<MetricPoint> MetricPoints => Set<MetricPoint>();
    public DbSet<MetricBucket> MetricBuckets => Set<MetricBucket>();
    public DbSet<MetricSeries> MetricSeries => Set<MetricSeries>();
    public DbSet<EpochVector> EpochVectors => Set<EpochVector>();
    public DbSet<Checkpoint> Checkpoints => Set<Checkpoint>();
    public DbSet<RunEvent> RunEvents => Set<RunEvent>();
    public DbSet<ApiToken> ApiTokens => Set<ApiToken>();
    public DbSet<WorkerRecord> Workers => Set<WorkerRecord>();
    public DbSet<Sweep> Sweeps => Set<Sweep>();

    protected override void OnModelCreating(ModelBuilder builder)
    {
        base.OnModelCreating(builder);
        builder.Entity<ApiToken>(token =>
        {
            token.HasIndex(t => t.Hash).IsUnique();
            token.Property(t => t.Hash).HasMaxLength(64);
            token.Property(t => t.Name).HasMaxLength(100);
            token.HasOne<StudioUser>().WithMany(u => u.Tokens).HasForeignKey(t => t.UserId).OnDelete(DeleteBehavior.Cascade);
        });
        builder.Entity<Run>(run =>
        {
            run.Property(r => r.Status).HasConversion<string>().HasMaxLength(16);
            run.HasIndex(r => r.Status);
            run.HasIndex(r => r.CreatedAt);
            run.HasIndex(r => r.ImportKey).IsUnique();
            run.HasMany(r => r.Checkpoints).WithOne().HasForeignKey(c => c.RunId).OnDelete(DeleteBehavior.Cascade);
            run.HasMany(r => r.Events).WithOne().HasForeignKey(e => e.RunId).OnDelete(DeleteBehavior.Cascade);
            // A sweep's runs outlive it (deleting a sweep keeps its runs).
            run.HasOne<Sweep>().WithMany().HasForeignKey(r => r.SweepId).OnDelete(DeleteBehavior.SetNull);
        });

        builder.Entity<Sweep>(sweep =>
        {
            sweep.Property(s => s.Kind).HasMaxLength(16);
            sweep.HasIndex(s => s.CreatedAt);
        });

        builder.Entity<MetricPoint>(point =>
        {
            // The key doubles as the uniqueness rule that makes metric writes idempotent. No foreign key:
            // MetricStore checks a batch's runs once (a key checks each row) and deletes a run's points.
            point.HasKey(p => new { p.RunId, p.Series, p.Step });
        });

        // Kept by MetricSummaries with the points, in the transaction that writes them (whose runs MetricStore
        // has checked, so no foreign key; a run's buckets are deleted with its points).
        builder.Entity<MetricBucket>(bucket => bucket.HasKey(b => new { b.RunId, b.Series, b.Level, b.Bucket }));
        builder.Entity<MetricSeries>(series =>
        {
            series.HasKey(s => new { s.RunId, s.Series });
            series.HasOne<Run>().WithMany().HasForeignKey(s => s.RunId).OnDelete(DeleteBehavior.Cascade);
        });

        builder.Entity<EpochVector>(vector =>
        {
            vector.HasKey(v => new { v.RunId, v.Kind, v.Epoch });
            vector.HasOne<Run>().WithMany().HasForeignKey(v => v.RunId).OnDelete(DeleteBehavior.Cascade);
        });

        builder.Entity<WorkerRecord>(worker =>
        {
            worker.HasKey(w => w.Name);
            worker.Property(w => w.Name).HasMaxLength(200);
            worker.HasIndex(w => w.HeartbeatAt);
        });

        builder.Entity<Checkpoint>().HasIndex(c => new { c.RunId, c.Epoch });
        builder.Entity<RunEvent>().HasIndex(e => new { e.RunId, e.At });

        // SQLite cannot order or compare DateTimeOffset natively; store UTC ticks.
        foreach (var entity in builder.Model.GetEntityTypes())
        {
            foreach (var property in entity.GetProperties()
                         .Where(p => p.ClrType == typeof(DateTimeOffset) || p.ClrType == typeof(DateTimeOffset?)))
            {
                property.SetValueConverter(property.ClrType == typeof(DateTimeOffset)
                    ? DateTimeOffsetTicks.Converter
                    : DateTimeOffsetTicks.NullableConverter);
            }
        }
    }
}
