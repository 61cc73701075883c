using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;
using ProCo.Data;

namespace ProCo.Migrations.Postgres;

/// <summary>
/// Lets <c>dotnet ef</c> build the PostgreSQL context without a server: adding a migration only
/// compares the model with the snapshot, so the connection string is never opened.
/// </summary>
public sealed class DesignTimeFactory : IDesignTimeDbContextFactory<ProCoDbContext>
{
    public ProCoDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<ProCoDbContext>()
            .UseRunDatabase(RunDatabase.Postgres("Host=localhost;Database=proco_design_time"))
            .Options);
}
