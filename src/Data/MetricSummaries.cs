using System.Data.Common;
using Microsoft.Data.Sqlite;
using Npgsql;
using ProCo.Data.Entities;
using NpgsqlTypes;
using static System.FormattableString;

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
    /// Brings the summaries of the series of these points up to date after they were written. The
    /// <paramref name="appends"/> (<see cref="AppendsAsync"/>, asked before the write) have their finest
    /// buckets made from the points in hand instead of read back.
    /// </summary>
    public static async Task RefreshWrittenAsync(DbTransaction transaction, IReadOnlyCollection<MetricPoint> points, IReadOnlySet<(long RunId, string Series)> appends,
        CancellationToken cancellationToken = default)
    {
        foreach (var group in points.GroupBy(p => (p.RunId, p.Series)))
        {
            // As stored: the last value written for a step wins.
            var written = group.GroupBy(p => p.Step).Select(g => (Step: g.Key, g.Last().Value)).OrderBy(p => p.Step).ToList();
            await RefreshSeriesAsync(transaction, group.Key.RunId, group.Key.Series, written[0].Step, written[^1].Step, cancellationToken,
                appends.Contains(group.Key) ? written : null);
        }
    }

    /// <summary>
    /// Takes the series' write turns (PostgreSQL) and returns those whose points here all lie after their
    /// stored end, or that have no points yet: appends, which replace no stored point. A series whose
    /// summaries are not built yet is never one (points may exist that its row does not count).
    /// </summary>
    public static async Task<HashSet<(long RunId, string Series)>> AppendsAsync(DbTransaction transaction, IReadOnlyCollection<MetricPoint> points,
        CancellationToken cancellationToken = default)
    {
        var appends = new HashSet<(long, string)>();
        // In one order for every writer, so that two writers of the same series never wait on each other crosswise.
        foreach (var group in points.GroupBy(p => (p.RunId, p.Series)).OrderBy(g => g.Key.RunId).ThenBy(g => g.Key.Series, StringComparer.Ordinal))
        {
            var (runId, series) = group.Key;
            await LockAsync(transaction, runId, series, cancellationToken);
            // No summary row and no point: a new series (its row is written with its first points).
            await using var stored = Command(transaction, $"""
                SELECT "TopLevel", "LastStep" FROM "MetricSeries" WHERE {WhereSeries}
                UNION ALL SELECT 0, NULL WHERE NOT EXISTS (SELECT 1 FROM "MetricSeries" WHERE {WhereSeries})
                    AND NOT EXISTS (SELECT 1 FROM "MetricPoints" WHERE {WhereSeries})
                """, runId, series);
            await using var reader = await stored.ExecuteReaderAsync(cancellationToken);
            if (await reader.ReadAsync(cancellationToken) && reader.GetInt32(0) >= 0 && (reader.IsDBNull(1) || group.Min(p => p.Step) > reader.GetInt64(1)))
                appends.Add(group.Key);
        }
        return appends;
    }

    // SQLite runs one writer at a time; PostgreSQL's writers of one series take turns on a lock held to
    // the end of the transaction, so that each reads the points and buckets the one before it committed.
    private static async Task LockAsync(DbTransaction transaction, long runId, string series, CancellationToken ct)
    {
        if (transaction is NpgsqlTransaction)
            await ExecuteAsync(transaction, """SELECT pg_advisory_xact_lock((@run::bigint << 32) # hashtext(@series))""", runId, series, ct);
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

    // With written, the points just appended (all after the series' stored end): its finest buckets come from them.
    private static async Task RefreshSeriesAsync(DbTransaction transaction, long runId, string series, long from, long to, CancellationToken ct,
        List<(long Step, double? Value)>? written = null)
    {
        int built;
        await LockAsync(transaction, runId, series, ct); // a lock this transaction holds already is granted at once
        // Two index seeks, said as such: SQLite scans for MIN and MAX in one SELECT, and PostgreSQL, inside an
        // import's one long transaction (its statistics not yet counting the rows), aggregated over the series.
        long? first = null, last = null;
        await using (var extent = Command(transaction, $"""
            SELECT (SELECT "Step" FROM "MetricPoints" WHERE {WhereSeries} ORDER BY "Step" LIMIT 1),
                   (SELECT "Step" FROM "MetricPoints" WHERE {WhereSeries} ORDER BY "Step" DESC LIMIT 1)
            """, runId, series))
        await using (var reader = await extent.ExecuteReaderAsync(ct))
        {
            if (await reader.ReadAsync(ct) && !reader.IsDBNull(0)) (first, last) = (reader.GetInt64(0), reader.GetInt64(1));
        }
        await using (var stored = Command(transaction, $"""SELECT "TopLevel" FROM "MetricSeries" WHERE {WhereSeries}""", runId, series))
            built = await stored.ExecuteScalarAsync(ct) is { } level ? Convert.ToInt32(level, System.Globalization.CultureInfo.InvariantCulture) : -1;
        if (first is not { } firstStep || last is not { } lastStep)
        {
            await ExecuteAsync(transaction, $"""DELETE FROM "MetricBuckets" WHERE {WhereSeries}""", runId, series, ct);
            await ExecuteAsync(transaction, $"""DELETE FROM "MetricSeries" WHERE {WhereSeries}""", runId, series, ct);
            return;
        }
        if (built < 0) await ExecuteAsync(transaction, $"""DELETE FROM "MetricBuckets" WHERE {WhereSeries}""", runId, series, ct);
        var top = MetricPyramid.TopLevel(firstStep, lastStep);
        // The buckets each level rebuilds: a level built before where points changed (written, replaced or
        // deleted, so possibly past the series' new ends); a new one whole.
        var ranges = new (long B0, long B1)[top + 1];
        for (var level = 0; level <= top; level++)
        {
            var (lo, hi) = level > built ? (firstStep, lastStep) : (from, to);
            ranges[level] = (MetricPyramid.BucketOf(lo, level), MetricPyramid.BucketOf(hi, level));
        }
        // Each level is made in memory from the one below: the children rebuilt just now, and those beside
        // them that did not change, read as stored in one query with the top level's other buckets.
        var kept = await ReadKeptAsync(transaction, runId, series, ranges, ct);
        var levels = new List<(long Bucket, PointSummary Summary)>[top + 1];
        levels[0] = written is { Count: > 0 }
            ? await FromAppendedAsync(transaction, runId, series, written!, ct)
            : await FromPointsAsync(transaction, runId, series, ranges[0].B0, ranges[0].B1, ct);
        for (var level = 1; level <= top; level++) levels[level] = FromChildren(levels[level - 1], kept[level - 1]);
        // One statement per level, each an index range whatever the planner knows of the table (an OR of the
        // ranges in one statement was planned as a scan of the series' buckets inside a long import).
        var deletes = ranges.Select((r, level) => Invariant($"""DELETE FROM "MetricBuckets" WHERE {WhereSeries} AND "Level" = {level} AND "Bucket" BETWEEN {r.B0} AND {r.B1};"""))
            .Append(Invariant($"""DELETE FROM "MetricBuckets" WHERE {WhereSeries} AND "Level" > {top};"""));
        await ExecuteAsync(transaction, string.Join("\n", deletes), runId, series, ct);
        await InsertAsync(transaction, runId, series, levels.SelectMany((buckets, level) => buckets.Select(b => (level, b.Bucket, b.Summary))).ToList(), ct);
        // The whole series lies in the top level's one bucket (up to four at the last level): its row is the series' summary.
        var whole = new PointSummary();
        foreach (var (_, summary) in levels[top].Concat(kept[top])) whole.Merge(summary);
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

    // A level's buckets from their halves at the level below (2b and 2b + 1): those rebuilt and those kept, in bucket order.
    private static List<(long Bucket, PointSummary Summary)> FromChildren(List<(long Bucket, PointSummary Summary)> rebuilt, List<(long Bucket, PointSummary Summary)> kept)
    {
        var buckets = new List<(long Bucket, PointSummary Summary)>();
        foreach (var (child, summary) in rebuilt.Concat(kept).OrderBy(c => c.Bucket))
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

    // Per level, the stored buckets that the rebuild keeps but needs: below each level L ≥ 1, the children
    // of its rebuilt range outside the range rebuilt at L − 1; at the top level, its other buckets.
    private static async Task<List<(long Bucket, PointSummary Summary)>[]> ReadKeptAsync(DbTransaction transaction, long runId, string series,
        (long B0, long B1)[] ranges, CancellationToken ct)
    {
        var top = ranges.Length - 1;
        var kept = Enumerable.Range(0, top + 1).Select(_ => new List<(long, PointSummary)>()).ToArray();
        // Index ranges of (level, first bucket, last bucket), read in one statement of UNION ALL branches.
        var wanted = new List<(int Level, long From, long To)>();
        for (var level = 1; level <= top; level++)
        {
            var (children, rebuilt) = ((2 * ranges[level].B0, 2 * ranges[level].B1 + 1), ranges[level - 1]);
            wanted.Add((level - 1, children.Item1, Math.Min(children.Item2, rebuilt.B0 - 1)));
            wanted.Add((level - 1, Math.Max(children.Item1, rebuilt.B1 + 1), children.Item2));
        }
        wanted.Add((top, long.MinValue, ranges[top].B0 - 1));
        wanted.Add((top, ranges[top].B1 + 1, long.MaxValue));
        var branches = wanted.Where(w => w.From <= w.To).Select(w => Invariant($"""
            SELECT "Level", "Bucket", {BucketColumns} FROM "MetricBuckets" WHERE {WhereSeries} AND "Level" = {w.Level} AND "Bucket" BETWEEN {w.From} AND {w.To}
            """)).ToList();
        if (branches.Count == 0) return kept;
        await using var command = Command(transaction, string.Join("\nUNION ALL\n", branches), runId, series);
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct)) kept[reader.GetInt32(0)].Add((reader.GetInt64(1), Summary(reader, 2)));
        return kept;
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
        while (await reader.ReadAsync(ct)) rows.Add((reader.GetInt64(0), Summary(reader, 1)));
        return rows;
    }

    // A bucket's summary from its columns (BucketColumns' order) starting at an ordinal.
    private static PointSummary Summary(DbDataReader reader, int at) => new()
    {
        Count = reader.GetInt64(at), FirstStep = reader.GetInt64(at + 1), LastStep = reader.GetInt64(at + 2),
        MinStep = Long(reader, at + 3), MinValue = Double(reader, at + 4), MaxStep = Long(reader, at + 5), MaxValue = Double(reader, at + 6),
        FiniteMin = Double(reader, at + 7), FiniteMax = Double(reader, at + 8),
    };

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

    private static Task InsertAsync(DbTransaction transaction, long runId, string series, List<(int Level, long Bucket, PointSummary Summary)> buckets, CancellationToken ct)
    {
        const string insert = """
            INSERT INTO "MetricBuckets" ("RunId", "Series", "Level", "Bucket", "Count", "FirstStep", "LastStep", "MinStep", "MinValue", "MaxStep", "MaxValue", "FiniteMin", "FiniteMax") {0}
            """;
        // The rows of the ranges rebuilt, deleted just before: new rows, copied in.
        if (transaction is NpgsqlTransaction postgres)
        {
            return MetricStore.CopyAsync(postgres, """
                COPY "MetricBuckets" ("RunId", "Series", "Level", "Bucket", "Count", "FirstStep", "LastStep", "MinStep", "MinValue", "MaxStep", "MaxValue", "FiniteMin", "FiniteMax")
                FROM STDIN (FORMAT BINARY)
                """, buckets, (copy, b) =>
            {
                copy.Write(runId, NpgsqlDbType.Bigint);
                copy.Write(series, NpgsqlDbType.Text);
                copy.Write(b.Level, NpgsqlDbType.Integer);
                copy.Write(b.Bucket, NpgsqlDbType.Bigint);
                copy.Write(b.Summary.Count, NpgsqlDbType.Bigint);
                copy.Write(b.Summary.FirstStep, NpgsqlDbType.Bigint);
                copy.Write(b.Summary.LastStep, NpgsqlDbType.Bigint);
                MetricStore.WriteNullable(copy, b.Summary.MinStep, NpgsqlDbType.Bigint);
                MetricStore.WriteNullable(copy, b.Summary.MinValue, NpgsqlDbType.Double);
                MetricStore.WriteNullable(copy, b.Summary.MaxStep, NpgsqlDbType.Bigint);
                MetricStore.WriteNullable(copy, b.Summary.MaxValue, NpgsqlDbType.Double);
                MetricStore.WriteNullable(copy, b.Summary.FiniteMin, NpgsqlDbType.Double);
                MetricStore.WriteNullable(copy, b.Summary.FiniteMax, NpgsqlDbType.Double);
            }, ct);
        }
        return MetricStore.InsertEachAsync((SqliteTransaction)transaction, insert,
            [("$run", SqliteType.Integer), ("$series", SqliteType.Text), ("$level", SqliteType.Integer), ("$bucket", SqliteType.Integer), ("$count", SqliteType.Integer),
             ("$first", SqliteType.Integer), ("$last", SqliteType.Integer), ("$minStep", SqliteType.Integer), ("$minValue", SqliteType.Real),
             ("$maxStep", SqliteType.Integer), ("$maxValue", SqliteType.Real), ("$finiteMin", SqliteType.Real), ("$finiteMax", SqliteType.Real)],
            buckets, b => [runId, series, b.Level, b.Bucket, b.Summary.Count, b.Summary.FirstStep, b.Summary.LastStep, OrNull(b.Summary.MinStep), OrNull(b.Summary.MinValue),
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
