using System.CommandLine;
using ProCo.Training.Datasets;
using ProCo.Web.Runs;

namespace ProCo.Web.Cli;

/// <summary>
/// <c>proco download DATASET</c>: fetch a dataset from its official source (or <c>ProCo:DownloadMirror</c>, as the
/// Datasets page does), checksums verified.
/// </summary>
internal static class DownloadCommand
{
    public static Command Create()
    {
        var dataset = new Argument<string>("dataset") { Description = "Dataset: " + string.Join(", ", DatasetCatalog.Keys) };
        var command = new Command("download",
            "Download a dataset from its official source (or ProCo:DownloadMirror) into the datasets folder (checksums verified).");
        command.Arguments.Add(dataset);
        command.TreatUnmatchedTokensAsErrors = false;
        command.SetAction(async (parse, cancellationToken) =>
        {
            var options = RunServiceCollectionExtensions.ReadOptions(CliConfiguration.Build(parse));
            var catalog = new DataPaths(options).CreateDatasetCatalog();
            using var http = new HttpClient { Timeout = TimeSpan.FromMinutes(30) };
            return await RunAsync(new DatasetDownloader(http), catalog, parse.GetValue(dataset)!, options.DownloadMirror, Console.Out, cancellationToken);
        });
        return command;
    }

    public static async Task<int> RunAsync(DatasetDownloader downloader, DatasetCatalog catalog, string dataset,
        string? mirror, TextWriter output, CancellationToken cancellationToken)
    {
        string key;
        try
        {
            key = DatasetCatalog.NormalizeKey(dataset);
        }
        catch (ArgumentException e)
        {
            output.WriteLine(e.Message);
            return 2;
        }
        var status = catalog.Probe(key);
        if (status.Present)
        {
            output.WriteLine($"{key} is already present in {status.Location}.");
            return 0;
        }
        var lastPercent = -1L;
        var progress = new Progress<(string File, long Done, long? Total)>(p =>
        {
            if (p.Total is not > 0) return;
            var percent = p.Done * 100 / p.Total.Value;
            if (percent == lastPercent || percent % 10 != 0) return;
            lastPercent = percent;
            output.WriteLine($"  {p.File}: {percent}% of {p.Total.Value / 1e6:F1} MB");
        });
        try
        {
            await downloader.DownloadAsync(DatasetDownloader.Sources(key, mirror), catalog.DatasetsDir, progress, cancellationToken);
        }
        catch (Exception e) when (e is IOException or InvalidDataException)
        {
            output.WriteLine(e.Message);
            output.WriteLine(status.Advice);
            return 1;
        }
        var after = catalog.Probe(key);
        output.WriteLine(after.Present ? $"{key} is ready in {after.Location}." : $"Downloaded, but {key} is still incomplete: {after.Advice}");
        return after.Present ? 0 : 1;
    }
}
