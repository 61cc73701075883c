using System.Data.Common;
using Microsoft.Data.Sqlite;
using Npgsql;
using ProCo.Data.Entities;
using NpgsqlTypes;

namespace ProCo.Data;

/// <summary>One series' points as read: how many lie in the range, and the ones returned.</summary>
public sealed record SeriesRead(string Series, long Count, long[] Steps, double[] Values);

/// <summary>
/// Keeps each series' summary pyramid (<see cref="MetricPyramid"/>, rows of <c>MetricBuckets</c>) and its
/// whole-series row (<c>MetricSeries</c>) in step with its points, inside the transaction that writes
/// them, and reads series through them: a downsampled read costs the buckets and raw points it
/// returns, not the length of the run. The same statements run on SQLite and PostgreSQL.
/// </summary>
public static class MetricSummaries
{
    private const string BucketColumns = """ "Count", "FirstStep", "LastStep", "MinStep", "MinValue", "MaxStep", "MaxValue", "FiniteMin", "FiniteMax" """;
    private const string WhereSeries = """ "RunId" = @run AND "Series" = @series """;

    /// <summary>
    /// Brings the summaries of each (run, series) up to date after its points in [From, To] changed
    /// (written, replaced or deleted).
    /// </summary>
    public static async Task RefreshAsync(DbTransaction transaction, IEnumerable<(long RunId, string Series, long From, long To)> changes,
        CancellationToken cancellationToken = default)
    {
        foreach (var change in changes.GroupBy(c => (c.RunId, c.Series)))
            await RefreshSeriesAsync(transaction, change.Key.RunId, change.Key.Series, change.Min(c => c.From), change.Max(c => c.To), cancellationToken);
    }

    /// <summary>
    /// Brings the summaries of the series of these points up to date after they were written. Where a
    /// series' points all lie after its stored end (a trainer or an import appending), its finest
    /// buckets are made from the points in hand instead of being read back.
    /// </summary>
    public static async Task RefreshWrittenAsync(DbTransaction transaction, IReadOnlyCollection<MetricPoint> points, CancellationToken cancellationToken = default)
    {
        foreach (var group in points.GroupBy(p => (p.RunId, p.Series)))
        {
            // As stored: the last value written for a step wins.
            var written = group.GroupBy(p => p.Step).Select(g => (Step: g.Key, g.Last().Value)).OrderBy(p => p.Step).ToList();
            await RefreshSeriesAsync(transaction, group.Key.RunId, group.Key.Series, written[0].Step, written[^1].Step, cancellationToken, written);
        }
    }

    /// <summary>Rebuilds every series whose summaries are not built yet (stored before summaries existed); the number rebuilt.</summary>
    public static async Task<int> BuildPendingAsync(DbConnection connection, CancellationToken cancellationToken = default)
    {
        var pending = new List<(long, string)>();
        await using (var command = connection.CreateCommand())
        {
            command.CommandText = """SELECT "RunId", "Series" FROM "MetricSeries" WHERE "TopLevel" < 0""";
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken)) pending.Add((reader.GetInt64(0), reader.GetString(1)));
        }
        foreach (var (run, series) in pending)
        {
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
            await RefreshSeriesAsync(transaction, run, series, long.MinValue, long.MaxValue, cancellationToken);
            await transaction.CommitAsync(cancellationToken);
        }
        return pending.Count;
    }

    private static async Task RefreshSeriesAsync(DbTransaction transaction, long runId, string series, long from, long to, CancellationToken ct,
        List<(long Step, double? Value)>? written = null)
    {
        // SQLite runs one writer at a time; PostgreSQL's writers of one series take turns here, so that
        // each reads the points and buckets the one before it committed.
        if (transaction is NpgsqlTransaction)
            await ExecuteAsync(transaction, """SELECT pg_advisory_xact_lock((@run::bigint << 32) # hashtext(@series))""", runId, series, ct);
        // Two index seeks: SQLite answers a lone MIN or MAX from the index, but scans for both in one SELECT.
        long? first = null, last = null;
        await using (var extent = Command(transaction, $"""
            SELECT (SELECT MIN("Step") FROM "MetricPoints" WHERE {WhereSeries}), (SELECT MAX("Step") FROM "MetricPoints" WHERE {WhereSeries})
            """, runId, series))
        await using (var reader = await extent.ExecuteReaderAsync(ct))
        {
            if (await reader.ReadAsync(ct) && !reader.IsDBNull(0)) (first, last) = (reader.GetInt64(0), reader.GetInt64(1));
        }
        int built;
        long? storedLast = null;
        await using (var stored = Command(transaction, $"""SELECT "TopLevel", "LastStep" FROM "MetricSeries" WHERE {WhereSeries}""", runId, series))
        await using (var reader = await stored.ExecuteReaderAsync(ct))
        {
            built = -1;
            if (await reader.ReadAsync(ct)) (built, storedLast) = (reader.GetInt32(0), reader.GetInt64(1));
        }
        if (first is not { } firstStep || last is not { } lastStep)
        {
            await ExecuteAsync(transaction, $"""DELETE FROM "MetricBuckets" WHERE {WhereSeries}""", runId, series, ct);
            await ExecuteAsync(transaction, $"""DELETE FROM "MetricSeries" WHERE {WhereSeries}""", runId, series, ct);
            return;
        }
        if (built < 0) await ExecuteAsync(transaction, $"""DELETE FROM "MetricBuckets" WHERE {WhereSeries}""", runId, series, ct);
        var top = MetricPyramid.TopLevel(firstStep, lastStep);
        var whole = new PointSummary();
        for (var level = 0; level <= top; level++)
        {
            // A level built before is brought up to date where points changed (written, replaced or
            // deleted, so possibly past the series' new ends); a new one is built whole.
            var (lo, hi) = level > built ? (firstStep, lastStep) : (from, to);
            var (b0, b1) = (MetricPyramid.BucketOf(lo, level), MetricPyramid.BucketOf(hi, level));
            var appended = level == 0 && built >= 0 && written is { Count: > 0 } && written[0].Step > storedLast;
            var buckets = appended ? await FromAppendedAsync(transaction, runId, series, written!, ct)
                : level == 0 ? await FromPointsAsync(transaction, runId, series, b0, b1, ct)
                : await FromLevelBelowAsync(transaction, runId, series, level, b0, b1, ct);
            await using (var delete = Command(transaction,
                             $"""DELETE FROM "MetricBuckets" WHERE {WhereSeries} AND "Level" = @level AND "Bucket" BETWEEN @from AND @to""", runId, series))
            {
                Add(delete, "level", level);
                Add(delete, "from", b0);
                Add(delete, "to", b1);
                await delete.ExecuteNonQueryAsync(ct);
            }
            await InsertAsync(transaction, runId, series, level, buckets, ct);
            if (level == top)
            {
                // The whole series lies in the top level's one bucket (up to four at the last level): its row is the series' summary.
                foreach (var (_, summary) in await ReadLevelAsync(transaction.Connection!, transaction, runId, series, level, long.MinValue, long.MaxValue, ct)) whole.Merge(summary);
            }
        }
        await using (var above = Command(transaction, $"""DELETE FROM "MetricBuckets" WHERE {WhereSeries} AND "Level" > @top""", runId, series))
        {
            Add(above, "top", top);
            await above.ExecuteNonQueryAsync(ct);
        }
        double? lastValue;
        await using (var value = Command(transaction, $"""SELECT "Value" FROM "MetricPoints" WHERE {WhereSeries} AND "Step" = @step""", runId, series))
        {
            Add(value, "step", lastStep);
            lastValue = await value.ExecuteScalarAsync(ct) is double v ? v : null;
        }
        await using var upsert = Command(transaction, """
            INSERT INTO "MetricSeries" ("RunId", "Series", "Count", "FirstStep", "LastStep", "LastValue", "FiniteMin", "FiniteMax", "TopLevel")
            VALUES (@run, @series, @count, @first, @last, @lastValue, @finiteMin, @finiteMax, @top)
            ON CONFLICT ("RunId", "Series") DO UPDATE SET "Count" = excluded."Count", "FirstStep" = excluded."FirstStep", "LastStep" = excluded."LastStep",
                "LastValue" = excluded."LastValue", "FiniteMin" = excluded."FiniteMin", "FiniteMax" = excluded."FiniteMax", "TopLevel" = excluded."TopLevel"
            """, runId, series);
        Add(upsert, "count", whole.Count);
        Add(upsert, "first", firstStep);
        Add(upsert, "last", lastStep);
        Add(upsert, "lastValue", lastValue);
        Add(upsert, "finiteMin", whole.FiniteMin);
        Add(upsert, "finiteMax", whole.FiniteMax);
        Add(upsert, "top", top);
        await upsert.ExecuteNonQueryAsync(ct);
    }

    // Level 0 from the points of buckets b0..b1.
    private static async Task<List<(long Bucket, PointSummary Summary)>> FromPointsAsync(DbTransaction transaction, long runId, string series, long b0, long b1, CancellationToken ct)
    {
        var level0 = new Level0();
        await foreach (var (step, value) in PointsAsync(transaction.Connection!, transaction, runId, series, MetricPyramid.Start(b0, 0), MetricPyramid.End(b1, 0), ct))
            level0.Add(step, value);
        return level0.Buckets();
    }

    // Level 0 from points appended after the series' end: the bucket of the first one may hold earlier
    // points, which its stored row summarises; the rest hold only these.
    private static async Task<List<(long Bucket, PointSummary Summary)>> FromAppendedAsync(DbTransaction transaction, long runId, string series,
        List<(long Step, double? Value)> written, CancellationToken ct)
    {
        var first = MetricPyramid.BucketOf(written[0].Step, 0);
        var earlier = await ReadLevelAsync(transaction.Connection!, transaction, runId, series, 0, first, first, ct);
        var level0 = new Level0(earlier.Count > 0 ? earlier[0] : null);
        foreach (var (step, value) in written) level0.Add(step, value);
        return level0.Buckets();
    }

    // Points in step order gathered into level-0 buckets, optionally after a bucket's stored summary.
    private sealed class Level0((long Bucket, PointSummary Summary)? start = null)
    {
        private readonly List<(long, PointSummary)> _buckets = [];
        private PointSummary _current = start?.Summary ?? new PointSummary();
        private long _bucket = start?.Bucket ?? 0;

        public void Add(long step, double? value)
        {
            var bucket = MetricPyramid.BucketOf(step, 0);
            if (_current.Count > 0 && bucket != _bucket)
            {
                _buckets.Add((_bucket, _current));
                _current = new PointSummary();
            }
            _bucket = bucket;
            _current.Add(step, value);
        }

        public List<(long Bucket, PointSummary Summary)> Buckets()
        {
            if (_current.Count > 0) _buckets.Add((_bucket, _current));
            return _buckets;
        }
    }

    // Level L's buckets b0..b1 from their halves at level L − 1 (2b and 2b + 1).
    private static async Task<List<(long Bucket, PointSummary Summary)>> FromLevelBelowAsync(DbTransaction transaction, long runId, string series, int level,
        long b0, long b1, CancellationToken ct)
    {
        var buckets = new List<(long Bucket, PointSummary Summary)>();
        foreach (var (child, summary) in await ReadLevelAsync(transaction.Connection!, transaction, runId, series, level - 1, 2 * b0, 2 * b1 + 1, ct))
        {
            var bucket = child >> 1; // floor(child / 2), negative buckets too
            if (buckets.Count > 0 && buckets[^1].Bucket == bucket)
            {
                var merged = buckets[^1].Summary;
                merged.Merge(summary);
                buckets[^1] = (bucket, merged);
            }
            else buckets.Add((bucket, summary));
        }
        return buckets;
    }

    private static async Task<List<(long Bucket, PointSummary Summary)>> ReadLevelAsync(DbConnection connection, DbTransaction? transaction, long runId, string series,
        int level, long b0, long b1, CancellationToken ct)
    {
        var rows = new List<(long, PointSummary)>();
        await using var command = Command(connection, transaction, $"""
            SELECT "Bucket", {BucketColumns} FROM "MetricBuckets"
            WHERE {WhereSeries} AND "Level" = @level AND "Bucket" BETWEEN @from AND @to ORDER BY "Bucket"
            """, runId, series);
        Add(command, "level", level);
        Add(command, "from", b0);
        Add(command, "to", b1);
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            rows.Add((reader.GetInt64(0), new PointSummary
            {
                Count = reader.GetInt64(1), FirstStep = reader.GetInt64(2), LastStep = reader.GetInt64(3),
                MinStep = Long(reader, 4), MinValue = Double(reader, 5), MaxStep = Long(reader, 6), MaxValue = Double(reader, 7),
                FiniteMin = Double(reader, 8), FiniteMax = Double(reader, 9),
            }));
        }
        return rows;
    }

    private static async IAsyncEnumerable<(long Step, double? Value)> PointsAsync(DbConnection connection, DbTransaction? transaction, long runId, string series,
        long from, long to, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        await using var command = Command(connection, transaction, $"""SELECT "Step", "Value" FROM "MetricPoints" WHERE {WhereSeries} AND "Step" BETWEEN @from AND @to ORDER BY "Step" """,
            runId, series);
        Add(command, "from", from);
        Add(command, "to", to);
        await using var reader = await command.ExecuteReaderAsync(ct);
        // SQLite reads synchronously whichever is called; its async call only adds a per-row cost.
        var sqlite = reader is SqliteDataReader;
        while (sqlite ? reader.Read() : await reader.ReadAsync(ct)) yield return (reader.GetInt64(0), Double(reader, 1));
    }

    private static Task InsertAsync(DbTransaction transaction, long runId, string series, int level, List<(long Bucket, PointSummary Summary)> buckets, CancellationToken ct)
    {
        const string insert = """
            INSERT INTO "MetricBuckets" ("RunId", "Series", "Level", "Bucket", "Count", "FirstStep", "LastStep", "MinStep", "MinValue", "MaxStep", "MaxValue", "FiniteMin", "FiniteMax") {0}
            """;
        if (transaction is NpgsqlTransaction postgres)
        {
            return MetricStore.InsertArraysAsync(postgres, insert, buckets, ct,
                ("run", NpgsqlDbType.Bigint, rows => rows.Select(_ => runId).ToArray()),
                ("series", NpgsqlDbType.Text, rows => rows.Select(_ => series).ToArray()),
                ("level", NpgsqlDbType.Integer, rows => rows.Select(_ => level).ToArray()),
                ("bucket", NpgsqlDbType.Bigint, rows => rows.Select(b => b.Bucket).ToArray()),
                ("count", NpgsqlDbType.Bigint, rows => rows.Select(b => b.Summary.Count).ToArray()),
                ("first", NpgsqlDbType.Bigint, rows => rows.Select(b => b.Summary.FirstStep).ToArray()),
                ("last", NpgsqlDbType.Bigint, rows => rows.Select(b => b.Summary.LastStep).ToArray()),
                ("minStep", NpgsqlDbType.Bigint, rows => rows.Select(b => b.Summary.MinStep).ToArray()),
                ("minValue", NpgsqlDbType.Double, rows => rows.Select(b => b.Summary.MinValue).ToArray()),
                ("maxStep", NpgsqlDbType.Bigint, rows => rows.Select(b => b.Summary.MaxStep).ToArray()),
                ("maxValue", NpgsqlDbType.Double, rows => rows.Select(b => b.Summary.MaxValue).ToArray()),
                ("finiteMin", NpgsqlDbType.Double, rows => rows.Select(b => b.Summary.FiniteMin).ToArray()),
                ("finiteMax", NpgsqlDbType.Double, rows => rows.Select(b => b.Summary.FiniteMax).ToArray()));
        }
        return MetricStore.InsertEachAsync((SqliteTransaction)transaction, insert,
            [("$run", SqliteType.Integer), ("$series", SqliteType.Text), ("$level", SqliteType.Integer), ("$bucket", SqliteType.Integer), ("$count", SqliteType.Integer),
             ("$first", SqliteType.Integer), ("$last", SqliteType.Integer), ("$minStep", SqliteType.Integer), ("$minValue", SqliteType.Real),
             ("$maxStep", SqliteType.Integer), ("$maxValue", SqliteType.Real), ("$finiteMin", SqliteType.Real), ("$finiteMax", SqliteType.Real)],
            buckets, b => [runId, series, level, b.Bucket, b.Summary.Count, b.Summary.FirstStep, b.Summary.LastStep, OrNull(b.Summary.MinStep), OrNull(b.Summary.MinValue),
                OrNull(b.Summary.MaxStep), OrNull(b.Summary.MaxValue), OrNull(b.Summary.FiniteMin), OrNull(b.Summary.FiniteMax)], ct);

        static object OrNull<TValue>(TValue? value) where TValue : struct => value is { } v ? v : DBNull.Value;
    }

    /// <summary>
    /// A series' points in [from, to]: all of them when at most <paramref name="maxPoints"/> lie there,
    /// else at most that many, chosen as the first and last point and each bucket's smallest and largest
    /// value at the finest pyramid level that fits (buckets cut by the range's ends are summarised from
    /// their points), so every spike survives. Null when the series' summaries are not built (the caller
    /// reads its points instead).
    /// </summary>
    public static async Task<SeriesRead?> ReadAsync(DbConnection connection, long runId, string series, long from, long to, int maxPoints, CancellationToken ct = default)
    {
        long first, last;
        int top;
        await using (var meta = Command(connection, null, $"""SELECT "FirstStep", "LastStep", "TopLevel" FROM "MetricSeries" WHERE {WhereSeries}""", runId, series))
        {
            await using var reader = await meta.ExecuteReaderAsync(ct);
            if (!await reader.ReadAsync(ct)) return null;
            (first, last, top) = (reader.GetInt64(0), reader.GetInt64(1), reader.GetInt32(2));
        }
        if (top < 0) return null;
        var (a, b) = (Math.Max(from, first), Math.Min(to, last));
        if (a > b) return new SeriesRead(series, 0, [], []);
        if (maxPoints < 4) return await RawAsync(connection, runId, series, a, b, ct);

        var level = MetricPyramid.LevelFor(a, b, (maxPoints - 2) / 2, top);
        if (level == 0 && await CountAsync(connection, runId, series, a, b, ct) <= 4L * maxPoints)
        {
            // A few times more points than asked for: read and reduced in memory, at full resolution
            // (level 0's buckets would keep fewer of them).
            var all = await RawAsync(connection, runId, series, a, b, ct);
            var (keptSteps, keptValues) = Downsampling.MinMax(all.Steps, all.Values, maxPoints);
            return all with { Steps = keptSteps, Values = keptValues };
        }
        // The range's first and last point are kept as they are; the buckets holding them are summarised
        // without them, so that each bucket still shows its own extremes beside the ends.
        var ends = await EndPointsAsync(connection, runId, series, a, b, ct);
        if (ends.Count == 0) return new SeriesRead(series, 0, [], []);
        var (firstPoint, lastPoint) = (ends[0], ends[^1]);
        var (firstBucket, lastBucket) = (MetricPyramid.BucketOf(firstPoint.Step, level), MetricPyramid.BucketOf(lastPoint.Step, level));
        var picks = new List<(long Step, double Value)> { firstPoint, lastPoint };
        var count = 0L;
        foreach (var (bucket, stored) in await ReadLevelAsync(connection, null, runId, series, level, firstBucket, lastBucket, ct))
        {
            var (start, end) = (MetricPyramid.Start(bucket, level), MetricPyramid.End(bucket, level));
            var summary = stored;
            if (bucket == firstBucket || bucket == lastBucket || (start < a && a > first) || (end > b && b < last))
            {
                // Cut by an end of the range, or holding one of its end points: summarised from its points in the range.
                summary = new PointSummary();
                await foreach (var (step, value) in PointsAsync(connection, null, runId, series, Math.Max(a, start), Math.Min(b, end), ct))
                {
                    if (step == firstPoint.Step || step == lastPoint.Step) count++;
                    else summary.Add(step, value);
                }
            }
            count += summary.Count;
            if (summary.Count == 0) continue;
            if (summary.MinStep is { } minStep) picks.Add((minStep, summary.MinValue!.Value));
            if (summary.MaxStep is { } maxStep) picks.Add((maxStep, summary.MaxValue!.Value));
            if (summary.MinStep is null) picks.Add((summary.FirstStep, double.NaN)); // all NaN: one point says so
        }
        if (count <= maxPoints) return await RawAsync(connection, runId, series, a, b, ct);
        var ordered = picks.DistinctBy(p => p.Step).OrderBy(p => p.Step).ToList();
        var (steps, values) = (ordered.Select(p => p.Step).ToArray(), ordered.Select(p => p.Value).ToArray());
        // Only at the coarsest level can the range span more buckets than fit; reduce those picks further.
        if (steps.Length > maxPoints) (steps, values) = Downsampling.MinMax(steps, values, maxPoints);
        return new SeriesRead(series, count, steps, values);
    }

    private static async Task<SeriesRead> RawAsync(DbConnection connection, long runId, string series, long from, long to, CancellationToken ct)
    {
        var steps = new List<long>();
        var values = new List<double>();
        await foreach (var (step, value) in PointsAsync(connection, null, runId, series, from, to, ct))
        {
            steps.Add(step);
            values.Add(value ?? double.NaN);
        }
        return new SeriesRead(series, steps.Count, steps.ToArray(), values.ToArray());
    }

    // Points in [from, to] as level 0 counts them (its buckets that the range cuts counted whole: an upper bound).
    private static async Task<long> CountAsync(DbConnection connection, long runId, string series, long from, long to, CancellationToken ct)
    {
        await using var command = Command(connection, null, $"""SELECT SUM("Count") FROM "MetricBuckets" WHERE {WhereSeries} AND "Level" = 0 AND "Bucket" BETWEEN @from AND @to""",
            runId, series);
        Add(command, "from", MetricPyramid.BucketOf(from, 0));
        Add(command, "to", MetricPyramid.BucketOf(to, 0));
        return await command.ExecuteScalarAsync(ct) is { } sum and not DBNull ? Convert.ToInt64(sum, System.Globalization.CultureInfo.InvariantCulture) : 0;
    }

    // The first and the last point in [from, to] (two index seeks).
    private static async Task<List<(long Step, double Value)>> EndPointsAsync(DbConnection connection, long runId, string series, long from, long to, CancellationToken ct)
    {
        var ends = new List<(long, double)>();
        foreach (var (bound, order) in new[] { (""" "Step" >= @bound""", "ASC"), (""" "Step" <= @bound""", "DESC") })
        {
            await using var command = Command(connection, null, $"""SELECT "Step", "Value" FROM "MetricPoints" WHERE {WhereSeries} AND {bound} ORDER BY "Step" {order} LIMIT 1""",
                runId, series);
            Add(command, "bound", order == "ASC" ? from : to);
            await using var reader = await command.ExecuteReaderAsync(ct);
            if (await reader.ReadAsync(ct)) ends.Add((reader.GetInt64(0), Double(reader, 1) ?? double.NaN));
        }
        return ends;
    }

    private static DbCommand Command(DbTransaction transaction, string sql, long runId, string series) =>
        Command(transaction.Connection!, transaction, sql, runId, series);

    private static DbCommand Command(DbConnection connection, DbTransaction? transaction, string sql, long runId, string series)
    {
        var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        Add(command, "run", runId);
        Add(command, "series", series);
        return command;
    }

    private static async Task ExecuteAsync(DbTransaction transaction, string sql, long runId, string series, CancellationToken ct)
    {
        await using var command = Command(transaction, sql, runId, series);
        await command.ExecuteNonQueryAsync(ct);
    }

    private static void Add(DbCommand command, string name, object? value)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = "@" + name;
        parameter.Value = value ?? DBNull.Value;
        if (value is null && parameter is NpgsqlParameter npgsql) npgsql.NpgsqlDbType = NpgsqlDbType.Double;
        if (value is null && parameter is SqliteParameter sqlite) sqlite.SqliteType = SqliteType.Real;
        command.Parameters.Add(parameter);
    }

    private static long? Long(DbDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetInt64(ordinal);
    private static double? Double(DbDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetDouble(ordinal);
}
