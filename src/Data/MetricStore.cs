using System.Data.Common;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Npgsql;
using NpgsqlTypes;
using ProCo.Data.Entities;

namespace ProCo.Data;

/// <summary>
/// Batched, idempotent writes of a run's numbers: one transaction per batch, each point unique on
/// (run, series, step), so writing the same batch twice changes nothing and a resumed run that
/// recomputes a step replaces it instead of adding a second row. SQLite executes one prepared upsert
/// per row (in-process, no round trips). PostgreSQL copies the points that lie after their series'
/// stored end (a trainer or an import appending) in binary, and upserts the rest as arrays in one
/// statement per table. Points have no foreign key: a batch's runs are checked once, and
/// <see cref="DeleteRunAsync"/> deletes a run's points with it.
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

    /// <summary>
    /// True when a write failed because a run it names no longer exists (deleted meanwhile): the store's
    /// own check of the points' runs, or a foreign-key violation of vectors and events.
    /// </summary>
    public static bool IsMissingRun(Exception e) =>
        e is MissingRunException || e is SqliteException { SqliteExtendedErrorCode: 787 } || e is PostgresException { SqlState: PostgresErrorCodes.ForeignKeyViolation };

    /// <summary>
    /// Deletes a run with everything it holds, in one transaction; false when it did not exist. The run's
    /// row cascades to its series rows, vectors, events and checkpoints; its points and summary buckets,
    /// which have no foreign key (see <see cref="WriteAsync"/>), are deleted here.
    /// </summary>
    public static async Task<bool> DeleteRunAsync(ProCoDbContext db, long runId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(db);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        // The row first: on PostgreSQL its delete waits for writers holding their share of it, and writers
        // after it find it gone, so no point of the run is written after its points are deleted.
        var deleted = await db.Runs.Where(r => r.Id == runId).ExecuteDeleteAsync(cancellationToken) > 0;
        await db.MetricPoints.Where(p => p.RunId == runId).ExecuteDeleteAsync(cancellationToken);
        await db.MetricBuckets.Where(b => b.RunId == runId).ExecuteDeleteAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return deleted;
    }

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
        // Points carry no foreign key to their run (on PostgreSQL its check, one per row, cost more than
        // the insert itself): their runs are checked here, once per batch, and held until the commit.
        if (points.Count > 0) await CheckRunsAsync(transaction, points.Select(p => p.RunId).Distinct(), cancellationToken);
        var appends = points.Count > 0 ? await MetricSummaries.AppendsAsync(transaction, points, cancellationToken) : [];
        await (transaction switch
        {
            SqliteTransaction sqlite => WriteSqliteAsync(sqlite, points, vectors, events, cancellationToken),
            NpgsqlTransaction postgres => WritePostgresAsync(postgres, points, appends, vectors, events, cancellationToken),
            _ => throw new NotSupportedException($"No metric writes for {transaction.GetType().Name}."),
        });
        // The summaries change with the points, in the same transaction: a reader never sees one without the other.
        if (points.Count > 0)
            await MetricSummaries.RefreshWrittenAsync(transaction, points, appends, cancellationToken);
    }

    // On PostgreSQL the row is share-locked as a foreign key would lock it: a run's delete waits for this
    // transaction, and this one waits for a delete in progress and then finds the run gone.
    private static async Task CheckRunsAsync(DbTransaction transaction, IEnumerable<long> runIds, CancellationToken cancellationToken)
    {
        await using var command = transaction.Connection!.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = transaction is NpgsqlTransaction
            ? """SELECT 1 FROM "Runs" WHERE "Id" = @run FOR KEY SHARE"""
            : """SELECT 1 FROM "Runs" WHERE "Id" = @run""";
        var run = command.CreateParameter();
        run.ParameterName = "@run";
        command.Parameters.Add(run);
        foreach (var id in runIds)
        {
            run.Value = id;
            if (await command.ExecuteScalarAsync(cancellationToken) is null) throw new MissingRunException(id);
        }
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

    private static async Task WritePostgresAsync(NpgsqlTransaction transaction, IReadOnlyCollection<MetricPoint> points,
        HashSet<(long RunId, string Series)> appends, IReadOnlyCollection<EpochVector> vectors,
        IReadOnlyCollection<RunEvent> events, CancellationToken cancellationToken)
    {
        // One statement may not upsert a key twice: the last value of a key in the batch wins, as
        // it would row by row.
        var lastPoints = points.GroupBy(p => (p.RunId, p.Series, p.Step)).Select(g => g.Last()).ToList();
        var lastVectors = vectors.GroupBy(v => (v.RunId, v.Kind, v.Epoch)).Select(g => g.Last()).ToList();
        await CopyPointsAsync(transaction, lastPoints.Where(p => appends.Contains((p.RunId, p.Series))).ToList(), cancellationToken);
        await InsertArraysAsync(transaction, UpsertPoint, lastPoints.Where(p => !appends.Contains((p.RunId, p.Series))).ToList(), cancellationToken,
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

    // Points after their series' stored end replace nothing: they go in by binary COPY, PostgreSQL's
    // fastest way in (its unique index still refuses a duplicate).
    private static Task CopyPointsAsync(NpgsqlTransaction transaction, List<MetricPoint> points, CancellationToken cancellationToken) =>
        CopyAsync(transaction, """COPY "MetricPoints" ("RunId", "Series", "Step", "Value") FROM STDIN (FORMAT BINARY)""", points, (copy, point) =>
        {
            copy.Write(point.RunId, NpgsqlDbType.Bigint);
            copy.Write(point.Series, NpgsqlDbType.Text);
            copy.Write(point.Step, NpgsqlDbType.Bigint);
            WriteNullable(copy, Stored(point.Value), NpgsqlDbType.Double);
        }, cancellationToken);

    // Rows by binary COPY, written into the importer's buffer synchronously (it blocks only to send a full
    // buffer): an await per column would cost more than the row.
    internal static async Task CopyAsync<T>(NpgsqlTransaction transaction, string copyCommand, IReadOnlyCollection<T> rows, Action<NpgsqlBinaryImporter, T> write,
        CancellationToken cancellationToken)
    {
        if (rows.Count == 0) return;
        await using var copy = await ((NpgsqlConnection)transaction.Connection!).BeginBinaryImportAsync(copyCommand, cancellationToken);
        foreach (var row in rows)
        {
            copy.StartRow();
            write(copy, row);
        }
        await copy.CompleteAsync(cancellationToken);
    }

    internal static void WriteNullable<TValue>(NpgsqlBinaryImporter copy, TValue? value, NpgsqlDbType type) where TValue : struct
    {
        if (value is { } v) copy.Write(v, type);
        else copy.WriteNull();
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

/// <summary>A metric write named a run that does not exist (deleted while it trained, or never there).</summary>
public sealed class MissingRunException(long runId) : InvalidOperationException($"Run {runId} does not exist: its points were not written.")
{
    /// <summary>The run that was not found.</summary>
    public long RunId { get; } = runId;
}
