using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using ProCo.Data.Entities;

namespace ProCo.Data;

/// <summary>
/// Batched, idempotent writes of a run's numbers: one transaction per batch, each point an upsert
/// on (run, series, step), so writing the same batch twice changes nothing and a resumed run that
/// recomputes a step replaces it instead of adding a second row.
/// </summary>
public static class MetricStore
{
    /// <summary>Writes points, vectors and events in one transaction.</summary>
    public static async Task WriteAsync(ProCoDbContext db, IReadOnlyCollection<MetricPoint> points, IReadOnlyCollection<EpochVector> vectors,
        IReadOnlyCollection<RunEvent> events, CancellationToken cancellationToken = default)
    {
        if (points.Count == 0 && vectors.Count == 0 && events.Count == 0) return;
        await db.Database.OpenConnectionAsync(cancellationToken);
        try
        {
            var connection = (SqliteConnection)db.Database.GetDbConnection();
            await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken);
            if (points.Count > 0)
            {
                await using var command = connection.CreateCommand();
                command.Transaction = transaction;
                command.CommandText = """
                    INSERT INTO MetricPoints (RunId, Series, Step, Value) VALUES ($run, $series, $step, $value)
                    ON CONFLICT (RunId, Series, Step) DO UPDATE SET Value = excluded.Value
                    """;
                var run = command.Parameters.Add("$run", SqliteType.Integer);
                var series = command.Parameters.Add("$series", SqliteType.Text);
                var step = command.Parameters.Add("$step", SqliteType.Integer);
                var value = command.Parameters.Add("$value", SqliteType.Real);
                await command.PrepareAsync(cancellationToken);
                foreach (var point in points)
                {
                    run.Value = point.RunId;
                    series.Value = point.Series;
                    step.Value = point.Step;
                    value.Value = double.IsFinite(point.Value) ? point.Value : DBNull.Value;
                    await command.ExecuteNonQueryAsync(cancellationToken);
                }
            }
            if (vectors.Count > 0)
            {
                await using var command = connection.CreateCommand();
                command.Transaction = transaction;
                command.CommandText = """
                    INSERT INTO EpochVectors (RunId, Kind, Epoch, ValuesJson) VALUES ($run, $kind, $epoch, $values)
                    ON CONFLICT (RunId, Kind, Epoch) DO UPDATE SET ValuesJson = excluded.ValuesJson
                    """;
                var run = command.Parameters.Add("$run", SqliteType.Integer);
                var kind = command.Parameters.Add("$kind", SqliteType.Text);
                var epoch = command.Parameters.Add("$epoch", SqliteType.Integer);
                var values = command.Parameters.Add("$values", SqliteType.Text);
                await command.PrepareAsync(cancellationToken);
                foreach (var vector in vectors)
                {
                    (run.Value, kind.Value, epoch.Value, values.Value) = (vector.RunId, vector.Kind, vector.Epoch, vector.ValuesJson);
                    await command.ExecuteNonQueryAsync(cancellationToken);
                }
            }
            if (events.Count > 0)
            {
                await using var command = connection.CreateCommand();
                command.Transaction = transaction;
                command.CommandText = "INSERT INTO RunEvents (RunId, At, Level, Message) VALUES ($run, $at, $level, $message)";
                var run = command.Parameters.Add("$run", SqliteType.Integer);
                var at = command.Parameters.Add("$at", SqliteType.Integer);
                var level = command.Parameters.Add("$level", SqliteType.Text);
                var message = command.Parameters.Add("$message", SqliteType.Text);
                await command.PrepareAsync(cancellationToken);
                foreach (var e in events)
                {
                    (run.Value, at.Value, level.Value, message.Value) = (e.RunId, e.At.UtcTicks, e.Level, e.Message);
                    await command.ExecuteNonQueryAsync(cancellationToken);
                }
            }
            await transaction.CommitAsync(cancellationToken);
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
    }
}
