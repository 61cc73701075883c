using System.Data.Common;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace ProCo.Data;

/// <summary>
/// Per-connection settings of the run database: wait up to 30 s for a lock instead of failing with
/// "database is locked", and fsync less often (WAL keeps the file consistent after a crash).
/// </summary>
public sealed class SqlitePragmas : DbConnectionInterceptor
{
    /// <summary>The statement run on every connection that opens.</summary>
    public const string Statement = "PRAGMA busy_timeout = 30000; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;";

    public override void ConnectionOpened(DbConnection connection, ConnectionEndEventData eventData)
    {
        using var command = connection.CreateCommand();
        command.CommandText = Statement;
        command.ExecuteNonQuery();
    }

    public override async Task ConnectionOpenedAsync(DbConnection connection, ConnectionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = Statement;
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
