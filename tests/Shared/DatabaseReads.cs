using System.Diagnostics;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using ProCo.Data;

namespace ProCo.Tests;

/// <summary>
/// The SQL commands EF Core runs in this process while it is alive (its DiagnosticListener events), with the
/// text of each: what a test counts to say how often something reads the run database.
/// </summary>
public sealed class DatabaseReads : IObserver<DiagnosticListener>, IObserver<KeyValuePair<string, object?>>, IDisposable
{
    private readonly IDisposable _all;
    private readonly List<IDisposable> _subscriptions = [];
    private readonly List<(DateTime At, string Sql)> _commands = [];

    public DatabaseReads() => _all = DiagnosticListener.AllListeners.Subscribe(this);

    /// <summary>The SELECT commands run so far (a read; not the writes' INSERTs and UPDATEs), oldest first.</summary>
    public IReadOnlyList<string> Selects(DateTime? from = null, DateTime? to = null)
    {
        lock (_commands)
            return [.. _commands.Where(c => (from is null || c.At >= from) && (to is null || c.At < to) && IsSelect(c.Sql)).Select(c => c.Sql)];
    }

    /// <summary>SELECT commands run in the window from now for <paramref name="window"/>, per second.</summary>
    public async Task<(double PerSecond, IReadOnlyList<string> Commands)> SelectsPerSecondAsync(TimeSpan window)
    {
        var from = DateTime.UtcNow;
        await Task.Delay(window);
        var to = DateTime.UtcNow;
        var selects = Selects(from, to);
        return (selects.Count / (to - from).TotalSeconds, selects);
    }

    /// <summary>Of <paramref name="selects"/>, those a part of the app named as its <see cref="QueryOrigin"/>.</summary>
    public static IReadOnlyList<string> From(IReadOnlyList<string> selects, string origin) =>
        [.. selects.Where(sql => QueryOrigin.Of(sql) == origin)];

    private static bool IsSelect(string sql) =>
        string.Join('\n', sql.Split('\n').Where(l => !l.TrimStart().StartsWith("--", StringComparison.Ordinal))).TrimStart()
            .StartsWith("SELECT", StringComparison.OrdinalIgnoreCase);

    void IObserver<DiagnosticListener>.OnNext(DiagnosticListener listener)
    {
        if (listener.Name != DbLoggerCategory.Name) return;
        lock (_subscriptions) _subscriptions.Add(listener.Subscribe(this));
    }

    void IObserver<KeyValuePair<string, object?>>.OnNext(KeyValuePair<string, object?> e)
    {
        if (e.Key != RelationalEventId.CommandExecuted.Name || e.Value is not CommandExecutedEventData data) return;
        lock (_commands) _commands.Add((DateTime.UtcNow, data.Command.CommandText));
    }

    void IObserver<DiagnosticListener>.OnCompleted() { }
    void IObserver<DiagnosticListener>.OnError(Exception error) { }
    void IObserver<KeyValuePair<string, object?>>.OnCompleted() { }
    void IObserver<KeyValuePair<string, object?>>.OnError(Exception error) { }

    public void Dispose()
    {
        _all.Dispose();
        lock (_subscriptions) foreach (var s in _subscriptions) s.Dispose();
    }
}
