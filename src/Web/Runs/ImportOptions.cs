namespace ProCo.Web.Runs;

/// <summary>Limits of TensorBoard imports: scalar logs are small, so these only keep a stray upload from filling the disk or the database.</summary>
public sealed class ImportOptions
{
    /// <summary>Bytes of one upload, all files together (the web server accepts that much on the import endpoint).</summary>
    public long MaxUploadBytes { get; set; } = 1L << 30;

    /// <summary>
    /// Scalars of one imported run: 10M, the size whose reads, import and run page the long-runs benchmark
    /// measures (tests/ProCo.Bench, <c>reads</c>). An import holds its scalars in memory while it merges them.
    /// </summary>
    public int MaxPoints { get; set; } = 10_000_000;

    /// <summary>Series (distinct tags) of one imported run.</summary>
    public int MaxSeries { get; set; } = 1000;
}
