using System.Data.Common;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Npgsql;
using NpgsqlTypes;
using ProCo.Data.Entities;

namespace ProCo.Data;

/// <summary>
/// Batched, idempotent writes of a run's numbers: one transaction per batch, each point an upsert
/// on (run, series, step), so writing the same batch twice changes nothing and a resumed run that
/// recomputes a step replaces it instead of adding a second row. SQLite executes one prepared
/// statement per row (in-process, no round trips); PostgreSQL gets each table's rows in one
/// statement as arrays (one round trip per table instead of one per row).
/// </summary>
public static class MetricStore
{
    /// <summary>
    /// Writes points, vectors and events in one transaction: the context's own when one is open (the
    /// caller commits, e.g. an import that adds the run in the same transaction), else a new one.
    /// </summary>
    public static async Task WriteAsync(ProCoDbContext db, IReadOnlyCollection<MetricPoint> points, IReadOnlyCollection<EpochVector> vectors,
        IReadOnlyCollection<RunEvent> events, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(db);
        if (points.Count == 0 && vectors.Count == 0 && events.Count == 0) return;
        if (db.Database.CurrentTransaction?.GetDbTransaction() is { } outer)
        {
            await WriteAllAsync(outer, points, vectors, events, cancellationToken);
            return;
        }
        await db.Database.OpenConnectionAsync(cancellationToken);
        try
        {
            var connection = db.Database.GetDbConnection();
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
            await WriteAllAsync(transaction, points, vectors, events, cancellationToken);
            await transaction.CommitAsync(cancellationToken);
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
    }

    /// <summary>True when a write failed because a run it names no longer exists (deleted meanwhile): a foreign-key violation.</summary>
    public static bool IsMissingRun(Exception e) =>
        e is SqliteException { SqliteExtendedErrorCode: 787 } || e is PostgresException { SqlState: PostgresErrorCodes.ForeignKeyViolation };

    /// <summary>
    /// Deletes a run's points at or after a step in the series whose names start with a prefix, and
    /// brings their summaries up to date, in one transaction; the number of points deleted.
    /// </summary>
    public static async Task<int> DeleteFromAsync(ProCoDbContext db, long runId, string seriesPrefix, long fromStep, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(db);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var series = await db.MetricSeries.Where(s => s.RunId == runId && s.Series.StartsWith(seriesPrefix) && s.LastStep >= fromStep)
            .Select(s => s.Series).ToListAsync(cancellationToken);
        var deleted = await db.MetricPoints.Where(p => p.RunId == runId && p.Series.StartsWith(seriesPrefix) && p.Step >= fromStep).ExecuteDeleteAsync(cancellationToken);
        await MetricSummaries.RefreshAsync(transaction.GetDbTransaction(), series.Select(s => (runId, s, fromStep, long.MaxValue)), cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return deleted;
    }

    private static async Task WriteAllAsync(DbTransaction transaction, IReadOnlyCollection<MetricPoint> points, IReadOnlyCollection<EpochVector> vectors,
        IReadOnlyCollection<RunEvent> events, CancellationToken cancellationToken)
    {
        await (transaction switch
        {
            SqliteTransaction sqlite => WriteSqliteAsync(sqlite, points, vectors, events, cancellationToken),
            NpgsqlTransaction postgres => WritePostgresAsync(postgres, points, vectors, events, cancellationToken),
            _ => throw new NotSupportedException($"No metric writes for {transaction.GetType().Name}."),
        });
        // The summaries change with the points, in the same transaction: a reader never sees one without the other.
        if (points.Count > 0)
            await MetricSummaries.RefreshWrittenAsync(transaction, points, cancellationToken);
    }

    // Both engines read the same statements (quoted names, ON CONFLICT upserts); {0} is where the
    // rows come from: one row of parameters (SQLite) or the batch's columns as arrays (PostgreSQL).
    private const string UpsertPoint = """
        INSERT INTO "MetricPoints" ("RunId", "Series", "Step", "Value") {0}
        ON CONFLICT ("RunId", "Series", "Step") DO UPDATE SET "Value" = excluded."Value"
        """;
    private const string UpsertVector = """
        INSERT INTO "EpochVectors" ("RunId", "Kind", "Epoch", "ValuesJson") {0}
        ON CONFLICT ("RunId", "Kind", "Epoch") DO UPDATE SET "ValuesJson" = excluded."ValuesJson"
        """;
    private const string InsertEvent = """INSERT INTO "RunEvents" ("RunId", "At", "Level", "Message") {0}""";

    private static double? Stored(double? value) => value is { } v && !double.IsNaN(v) ? v : null;

    private static async Task WriteSqliteAsync(SqliteTransaction transaction, IReadOnlyCollection<MetricPoint> points, IReadOnlyCollection<EpochVector> vectors,
        IReadOnlyCollection<RunEvent> events, CancellationToken cancellationToken)
    {
        await InsertEachAsync(transaction, UpsertPoint, [("$run", SqliteType.Integer), ("$series", SqliteType.Text), ("$step", SqliteType.Integer), ("$value", SqliteType.Real)],
            points, p => [p.RunId, p.Series, p.Step, Stored(p.Value) is { } v ? v : DBNull.Value], cancellationToken);
        await InsertEachAsync(transaction, UpsertVector, [("$run", SqliteType.Integer), ("$kind", SqliteType.Text), ("$epoch", SqliteType.Integer), ("$values", SqliteType.Text)],
            vectors, v => [v.RunId, v.Kind, v.Epoch, v.ValuesJson], cancellationToken);
        await InsertEachAsync(transaction, InsertEvent, [("$run", SqliteType.Integer), ("$at", SqliteType.Integer), ("$level", SqliteType.Text), ("$message", SqliteType.Text)],
            events, e => [e.RunId, e.At.UtcTicks, e.Level, e.Message], cancellationToken);
    }

    // One prepared statement, executed once per row with the row's values bound in parameter order.
    internal static async Task InsertEachAsync<T>(SqliteTransaction transaction, string sql, (string Name, SqliteType Type)[] parameters,
        IReadOnlyCollection<T> rows, Func<T, object[]> values, CancellationToken cancellationToken)
    {
        if (rows.Count == 0) return;
        await using var command = transaction.Connection!.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = string.Format(System.Globalization.CultureInfo.InvariantCulture, sql, $"VALUES ({string.Join(", ", parameters.Select(p => p.Name))})");
        var bound = parameters.Select(p => command.Parameters.Add(p.Name, p.Type)).ToArray();
        await command.PrepareAsync(cancellationToken);
        foreach (var row in rows)
        {
            var rowValues = values(row);
            for (var i = 0; i < bound.Length; i++) bound[i].Value = rowValues[i];
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
    }

    private static async Task WritePostgresAsync(NpgsqlTransaction transaction, IReadOnlyCollection<MetricPoint> points, IReadOnlyCollection<EpochVector> vectors,
        IReadOnlyCollection<RunEvent> events, CancellationToken cancellationToken)
    {
        // One statement may not upsert a key twice: the last value of a key in the batch wins, as
        // it would row by row.
        var lastPoints = points.GroupBy(p => (p.RunId, p.Series, p.Step)).Select(g => g.Last()).ToList();
        var lastVectors = vectors.GroupBy(v => (v.RunId, v.Kind, v.Epoch)).Select(g => g.Last()).ToList();
        await InsertArraysAsync(transaction, UpsertPoint, lastPoints, cancellationToken,
            ("run", NpgsqlDbType.Bigint, rows => rows.Select(p => p.RunId).ToArray()),
            ("series", NpgsqlDbType.Text, rows => rows.Select(p => p.Series).ToArray()),
            ("step", NpgsqlDbType.Bigint, rows => rows.Select(p => p.Step).ToArray()),
            ("value", NpgsqlDbType.Double, rows => rows.Select(p => Stored(p.Value)).ToArray()));
        await InsertArraysAsync(transaction, UpsertVector, lastVectors, cancellationToken,
            ("run", NpgsqlDbType.Bigint, rows => rows.Select(v => v.RunId).ToArray()),
            ("kind", NpgsqlDbType.Text, rows => rows.Select(v => v.Kind).ToArray()),
            ("epoch", NpgsqlDbType.Integer, rows => rows.Select(v => v.Epoch).ToArray()),
            ("values", NpgsqlDbType.Text, rows => rows.Select(v => v.ValuesJson).ToArray()));
        await InsertArraysAsync(transaction, InsertEvent, events.ToList(), cancellationToken,
            ("run", NpgsqlDbType.Bigint, rows => rows.Select(e => e.RunId).ToArray()),
            ("at", NpgsqlDbType.Bigint, rows => rows.Select(e => e.At.UtcTicks).ToArray()),
            ("level", NpgsqlDbType.Text, rows => rows.Select(e => e.Level).ToArray()),
            ("message", NpgsqlDbType.Text, rows => rows.Select(e => e.Message).ToArray()));
    }

    // One statement whose rows come as arrays, one per column (PostgreSQL's unnest): one round trip.
    internal static async Task InsertArraysAsync<T>(NpgsqlTransaction tx, string sql, List<T> rows, CancellationToken cancellationToken,
        params (string Name, NpgsqlDbType Type, Func<List<T>, object> Column)[] columns)
    {
        if (rows.Count == 0) return;
        var text = string.Format(System.Globalization.CultureInfo.InvariantCulture, sql,
            $"SELECT * FROM unnest({string.Join(", ", columns.Select(c => "@" + c.Name))})");
        await using var command = new NpgsqlCommand(text, tx.Connection, tx);
        foreach (var (name, type, column) in columns)
            command.Parameters.Add(new NpgsqlParameter(name, NpgsqlDbType.Array | type) { Value = column(rows) });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
