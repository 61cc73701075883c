using System.Data.Common;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace ProCo.Data;

/// <summary>
/// Names the part of the app a database command comes from: while an origin is set (<see cref="Begin"/>, carried
/// across awaits), every command run by the run database starts with the comment <c>-- origin: NAME</c>, so a
/// slow-query log, <c>pg_stat_activity</c> or a test that counts reads can tell who reads how often.
/// </summary>
public sealed class QueryOrigin : DbCommandInterceptor
{
    /// <summary>The comment every command carries while an origin is set, before the origin's name.</summary>
    public const string Prefix = "-- origin: ";

    private static readonly AsyncLocal<string?> Current = new();

    /// <summary>The origin set on this flow of work, if any.</summary>
    public static string? Name => Current.Value;

    /// <summary>Sets the origin of the commands run from here (this method and what it awaits) until disposed.</summary>
    public static IDisposable Begin(string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        if (name.Contains('\n', StringComparison.Ordinal) || name.Contains('\r', StringComparison.Ordinal))
            throw new ArgumentException("An origin is one line.", nameof(name));
        var previous = Current.Value;
        Current.Value = name;
        return new Restore(previous);
    }

    /// <summary>The origin named by a command's text, or null when it carries none.</summary>
    public static string? Of(string commandText) =>
        commandText.StartsWith(Prefix, StringComparison.Ordinal) ? commandText[Prefix.Length..].Split('\n', 2)[0].TrimEnd('\r') : null;

    private static void Tag(DbCommand command)
    {
        if (Current.Value is { } name && !command.CommandText.StartsWith(Prefix, StringComparison.Ordinal))
            command.CommandText = Prefix + name + "\n" + command.CommandText;
    }

    public override InterceptionResult<DbDataReader> ReaderExecuting(DbCommand command, CommandEventData eventData, InterceptionResult<DbDataReader> result)
    {
        Tag(command);
        return result;
    }

    public override ValueTask<InterceptionResult<DbDataReader>> ReaderExecutingAsync(DbCommand command, CommandEventData eventData,
        InterceptionResult<DbDataReader> result, CancellationToken cancellationToken = default)
    {
        Tag(command);
        return ValueTask.FromResult(result);
    }

    public override InterceptionResult<object> ScalarExecuting(DbCommand command, CommandEventData eventData, InterceptionResult<object> result)
    {
        Tag(command);
        return result;
    }

    public override ValueTask<InterceptionResult<object>> ScalarExecutingAsync(DbCommand command, CommandEventData eventData,
        InterceptionResult<object> result, CancellationToken cancellationToken = default)
    {
        Tag(command);
        return ValueTask.FromResult(result);
    }

    public override InterceptionResult<int> NonQueryExecuting(DbCommand command, CommandEventData eventData, InterceptionResult<int> result)
    {
        Tag(command);
        return result;
    }

    public override ValueTask<InterceptionResult<int>> NonQueryExecutingAsync(DbCommand command, CommandEventData eventData,
        InterceptionResult<int> result, CancellationToken cancellationToken = default)
    {
        Tag(command);
        return ValueTask.FromResult(result);
    }

    private sealed class Restore(string? previous) : IDisposable
    {
        public void Dispose() => Current.Value = previous;
    }
}
