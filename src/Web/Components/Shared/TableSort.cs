namespace ProCo.Web.Components.Shared;

/// <summary>
/// The sort of a table: which column and which way. A column starts in the direction a reader wants
/// first (results and dates descending, so the best or newest run comes to the top; names and ids
/// ascending), and a second activation reverses it. Rows without a value (a run with no accuracy
/// yet) sort after the rest in either direction, and ties keep their order.
/// </summary>
public sealed class TableSort<T>
{
    private readonly Dictionary<string, Column> _columns = new(StringComparer.Ordinal);

    private sealed record Column(Func<T, IComparable?> Key, bool DescendingFirst);

    public TableSort(string key, bool descending)
    {
        (Key, Descending) = (key, descending);
    }

    /// <summary>The column the table is sorted by.</summary>
    public string Key { get; private set; }

    public bool Descending { get; private set; }

    /// <summary>Declares a column; <paramref name="descendingFirst"/> for results, counts and dates.</summary>
    public TableSort<T> Add(string key, Func<T, IComparable?> value, bool descendingFirst = false)
    {
        _columns[key] = new Column(value, descendingFirst);
        return this;
    }

    public bool Has(string key) => _columns.ContainsKey(key);

    /// <summary>The columns declared, in order, and which way each starts.</summary>
    public IEnumerable<(string Key, bool DescendingFirst)> Columns => _columns.Select(c => (c.Key, c.Value.DescendingFirst));

    /// <summary>Sorts by <paramref name="key"/>: its first direction, or the other way if it is the column sorted by.</summary>
    public void Toggle(string key)
    {
        if (!_columns.TryGetValue(key, out var column)) throw new ArgumentException($"No column '{key}' to sort by.", nameof(key));
        if (Key == key) Descending = !Descending;
        else (Key, Descending) = (key, column.DescendingFirst);
    }

    /// <summary>Sorts by <paramref name="key"/> in the given direction.</summary>
    public void Set(string key, bool descending)
    {
        if (!_columns.ContainsKey(key)) throw new ArgumentException($"No column '{key}' to sort by.", nameof(key));
        (Key, Descending) = (key, descending);
    }

    /// <summary>The <c>aria-sort</c> value of a column's header.</summary>
    public string AriaSort(string key) => Key != key ? "none" : Descending ? "descending" : "ascending";

    public IEnumerable<T> Apply(IEnumerable<T> rows)
    {
        if (!_columns.TryGetValue(Key, out var column)) return rows;
        var sign = Descending ? -1 : 1;
        // Stable: OrderBy keeps the order of equal keys.
        return rows.Select(r => (Row: r, Value: column.Key(r)))
            .OrderBy(x => x.Value is null ? 1 : 0)
            .ThenBy(x => x.Value, Comparer<IComparable?>.Create((a, b) => a is null || b is null ? 0 : sign * a.CompareTo(b)))
            .Select(x => x.Row);
    }
}
