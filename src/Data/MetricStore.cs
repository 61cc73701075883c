using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using ProCo.Data.Entities;

namespace ProCo.Data;

/// <summary>
/// Batched, idempotent writes of a run's numbers: one transaction per batch, each point an upsert
/// on (run, series, step), so writing the same batch twice changes nothing and a resumed run that
/// recomputes a step replaces it instead of adding a second row.
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
        if (points.Count == 0 && vectors.Count == 0 && events.Count == 0) return;
        if (db.Database.CurrentTransaction?.GetDbTransaction() is SqliteTransaction outer)
        {
            await WriteAllAsync(outer, points, vectors, events, cancellationToken);
            return;
        }
        await db.Database.OpenConnectionAsync(cancellationToken);
        try
        {
            var connection = (SqliteConnection)db.Database.GetDbConnection();
            await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken);
            await WriteAllAsync(transaction, points, vectors, events, cancellationToken);
            await transaction.CommitAsync(cancellationToken);
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
    }

    private static async Task WriteAllAsync(SqliteTransaction transaction, IReadOnlyCollection<MetricPoint> points, IReadOnlyCollection<EpochVector> vectors,
        IReadOnlyCollection<RunEvent> events, CancellationToken cancellationToken)
    {
        await InsertAllAsync(transaction, """
            INSERT INTO MetricPoints (RunId, Series, Step, Value) VALUES ($run, $series, $step, $value)
            ON CONFLICT (RunId, Series, Step) DO UPDATE SET Value = excluded.Value
            """, [("$run", SqliteType.Integer), ("$series", SqliteType.Text), ("$step", SqliteType.Integer), ("$value", SqliteType.Real)],
            points, p => [p.RunId, p.Series, p.Step, p.Value is { } v && !double.IsNaN(v) ? v : DBNull.Value], cancellationToken);
        await InsertAllAsync(transaction, """
            INSERT INTO EpochVectors (RunId, Kind, Epoch, ValuesJson) VALUES ($run, $kind, $epoch, $values)
            ON CONFLICT (RunId, Kind, Epoch) DO UPDATE SET ValuesJson = excluded.ValuesJson
            """, [("$run", SqliteType.Integer), ("$kind", SqliteType.Text), ("$epoch", SqliteType.Integer), ("$values", SqliteType.Text)],
            vectors, v => [v.RunId, v.Kind, v.Epoch, v.ValuesJson], cancellationToken);
        await InsertAllAsync(transaction, "INSERT INTO RunEvents (RunId, At, Level, Message) VALUES ($run, $at, $level, $message)",
            [("$run", SqliteType.Integer), ("$at", SqliteType.Integer), ("$level", SqliteType.Text), ("$message", SqliteType.Text)],
            events, e => [e.RunId, e.At.UtcTicks, e.Level, e.Message], cancellationToken);
    }

    // One prepared statement, executed once per row with the row's values bound in parameter order.
    private static async Task InsertAllAsync<T>(SqliteTransaction transaction, string sql, (string Name, SqliteType Type)[] parameters,
        IReadOnlyCollection<T> rows, Func<T, object[]> values, CancellationToken cancellationToken)
    {
        if (rows.Count == 0) return;
        await using var command = transaction.Connection!.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        var bound = parameters.Select(p => command.Parameters.Add(p.Name, p.Type)).ToArray();
        await command.PrepareAsync(cancellationToken);
        foreach (var row in rows)
        {
            var rowValues = values(row);
            for (var i = 0; i < bound.Length; i++) bound[i].Value = rowValues[i];
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
    }
}
