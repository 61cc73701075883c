namespace ProCo.Web.Runs;

/// <summary>A chart of the run and compare pages.</summary>
/// <param name="Key">Stable key (the page's chart container).</param>
/// <param name="Title">Title above the chart.</param>
/// <param name="Unit">Label of its y axis.</param>
public sealed record ChartInfo(string Key, string Title, string Unit);
