using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;
using ProCo.Data;

namespace ProCo.Migrations;

/// <summary>Lets <c>dotnet ef</c> build the context without starting the web app.</summary>
public sealed class DesignTimeFactory : IDesignTimeDbContextFactory<ProCoDbContext>
{
    public ProCoDbContext CreateDbContext(string[] args)
    {
        var options = new DbContextOptionsBuilder<ProCoDbContext>()
            .UseRunDatabase(Path.Combine(Path.GetTempPath(), "proco-design-time.db"))
            .Options;
        return new ProCoDbContext(options);
    }
}
