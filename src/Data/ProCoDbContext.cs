using Microsoft.EntityFrameworkCore;
using ProCo.Data.Entities;

namespace ProCo.Data;

/// <summary>The run database: runs, their metrics, per-epoch vectors, checkpoints and events.</summary>
public class ProCoDbContext(DbContextOptions<ProCoDbContext> options) : DbContext(options)
{
    public DbSet<Run> Runs => Set<Run>();
    public DbSet<MetricPoint> MetricPoints => Set<MetricPoint>();
    public DbSet<EpochVector> EpochVectors => Set<EpochVector>();
    public DbSet<Checkpoint> Checkpoints => Set<Checkpoint>();
    public DbSet<RunEvent> RunEvents => Set<RunEvent>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<Run>(run =>
        {
            run.Property(r => r.Status).HasConversion<string>().HasMaxLength(16);
            run.HasIndex(r => r.Status);
            run.HasIndex(r => r.CreatedAt);
            run.HasIndex(r => r.ImportKey).IsUnique();
            run.HasMany(r => r.Checkpoints).WithOne().HasForeignKey(c => c.RunId).OnDelete(DeleteBehavior.Cascade);
            run.HasMany(r => r.Events).WithOne().HasForeignKey(e => e.RunId).OnDelete(DeleteBehavior.Cascade);
        });

        modelBuilder.Entity<MetricPoint>(point =>
        {
            // The key doubles as the uniqueness rule that makes metric writes idempotent.
            point.HasKey(p => new { p.RunId, p.Series, p.Step });
            point.HasOne<Run>().WithMany().HasForeignKey(p => p.RunId).OnDelete(DeleteBehavior.Cascade);
        });

        modelBuilder.Entity<EpochVector>(vector =>
        {
            vector.HasKey(v => new { v.RunId, v.Kind, v.Epoch });
            vector.HasOne<Run>().WithMany().HasForeignKey(v => v.RunId).OnDelete(DeleteBehavior.Cascade);
        });

        modelBuilder.Entity<Checkpoint>().HasIndex(c => new { c.RunId, c.Epoch });
        modelBuilder.Entity<RunEvent>().HasIndex(e => new { e.RunId, e.At });

        // SQLite cannot order or compare DateTimeOffset natively; store UTC ticks.
        foreach (var entity in modelBuilder.Model.GetEntityTypes())
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
