using ProCo.Web.Components.Shared;

namespace ProCo.Web.Tests;

public sealed class TableSortTests
{
    private sealed record Row(string Name, double? Top1);

    private static readonly Row[] Rows = [new("b", 40), new("a", null), new("c", 55), new("d", 40)];

    private static TableSort<Row> Sort() => new TableSort<Row>("name", descending: false)
        .Add("name", r => r.Name).Add("top1", r => r.Top1, descendingFirst: true);

    [Fact]
    public void AResultColumn_StartsWithTheBest_ThenReverses_AndRowsWithoutAValueStayLast()
    {
        var sort = Sort();
        Assert.Equal(["a", "b", "c", "d"], sort.Apply(Rows).Select(r => r.Name));
        sort.Toggle("top1");
        Assert.Equal(("top1", true, "descending"), (sort.Key, sort.Descending, sort.AriaSort("top1")));
        // Ties keep their order (b before d); the run without an accuracy is last.
        Assert.Equal(["c", "b", "d", "a"], sort.Apply(Rows).Select(r => r.Name));
        sort.Toggle("top1");
        Assert.Equal(["b", "d", "c", "a"], sort.Apply(Rows).Select(r => r.Name));
        Assert.Equal(("ascending", "none"), (sort.AriaSort("top1"), sort.AriaSort("name")));
        // A text column starts ascending.
        sort.Toggle("name");
        Assert.False(sort.Descending);
    }

    [Fact]
    public void AnUnknownColumn_IsRefusedByName()
    {
        var e = Assert.Throws<ArgumentException>(() => Sort().Toggle("speed"));
        Assert.Contains("'speed'", e.Message, StringComparison.Ordinal);
    }
}
