using System.CommandLine;
using Microsoft.EntityFrameworkCore;
using ProCo.Data;
using ProCo.Training;
using ProCo.Training.Datasets;
using ProCo.Training.Engine;
using TorchSharp;
using ProCo.Web.Runs;

namespace ProCo.Web.Cli;

/// <summary><c>proco doctor</c>: can this machine train, and where is everything?</summary>
internal static class DoctorCommand
{
    public static Command Create()
    {
        var command = new Command("doctor",
            "Check TorchSharp, training devices, datasets, the data folder and the run database. " +
            "Exits non-zero, with the reason, when something needed for training is missing.");
        command.TreatUnmatchedTokensAsErrors = false;
        command.SetAction((parse, cancellationToken) =>
            RunAsync(CliConfiguration.Build(parse), Console.Out, cancellationToken));
        return command;
    }

    /// <summary>Writes the report; returns 0 when training can start, 1 otherwise.</summary>
    public static async Task<int> RunAsync(IConfiguration configuration, TextWriter output, CancellationToken cancellationToken)
    {
        var options = RunServiceCollectionExtensions.ReadOptions(configuration);
        var paths = new DataPaths(options);
        var problems = new List<string>();

        output.WriteLine("ProCo Studio doctor");
        try
        {
            output.WriteLine($"  TorchSharp     {TorchInfo.TorchSharpVersion} (libtorch {TorchInfo.LibTorchVersion})");
            output.WriteLine($"  CPU            {TorchInfo.CpuThreads} threads");
            var cuda = TorchInfo.CudaDeviceCount;
            output.WriteLine($"  CUDA           {(cuda > 0 ? $"{cuda} device(s)" : "not available (this build trains on CPU)")}");
            // What a run with device auto (the default) trains on here.
            output.WriteLine($"  Device         auto here: {TrainingDevices.DescribeAuto()}");
            // What a run with precision auto trains in here, and why.
            output.WriteLine($"  Precision      auto on cpu: {PrecisionPlan.Resolve(PrecisionPlan.Auto, torch.CPU)}");
            if (cuda > 0) output.WriteLine($"                auto on cuda: {PrecisionPlan.Resolve(PrecisionPlan.Auto, torch.CUDA)}");
        }
        catch (Exception e) when (e is TypeInitializationException or DllNotFoundException or NotSupportedException)
        {
            var reason = e.InnerException?.Message ?? e.Message;
            output.WriteLine($"  TorchSharp     FAILED to load: {reason}");
            problems.Add("TorchSharp's native library does not load: rebuild with 'dotnet build' (it adapts the " +
                         "library to this host's libstdc++) and check the message above.");
        }

        output.WriteLine($"  Data folder    {paths.Root} ({DescribeWritable(paths.Root, problems)})");
        if (paths.Artifacts != paths.Root) output.WriteLine($"  Artifacts      {paths.Artifacts} ({DescribeWritable(paths.Artifacts, problems)})");
        output.WriteLine($"  Run database   {paths.Database.Describe()}: {await DescribeDatabaseAsync(paths, problems, cancellationToken)}");
        if (!string.IsNullOrWhiteSpace(paths.Options.Redis)) output.WriteLine($"  Live path      Redis at {StackExchange.Redis.ConfigurationOptions.Parse(paths.Options.Redis).ToString(includePassword: false)}");
        output.WriteLine($"  Datasets       {paths.DatasetsDir}");

        var catalog = paths.CreateDatasetCatalog();
        var statuses = catalog.Probe();
        foreach (var status in statuses)
        {
            output.WriteLine(status.Present
                ? $"    {status.Key,-14} present  {status.Location} ({status.Format})"
                : $"    {status.Key,-14} missing  searched {string.Join(", ", status.Searched)}\n{"",21}{status.Advice}");
        }
        var registered = catalog.Registry?.All() ?? [];
        foreach (var dataset in registered)
        {
            var counts = dataset.Scan is { } scan
                ? string.Join(", ", scan.Splits.Select(s => $"{s.Key} {s.Value.Sum():N0}")) + $" images, {scan.ClassNames.Count:N0} classes" +
                  (scan.Unreadable.Count > 0 ? $", {scan.Unreadable.Count} unreadable (proco dataset show {dataset.Name})" : "")
                : "not scanned";
            output.WriteLine($"    {dataset.Name,-14} {(dataset.Status().Present ? "registered" : "MISSING   ")} {dataset.Root} ({dataset.Kind}; {counts})");
        }
        if (!statuses.Any(s => s.Present) && registered.Count == 0)
            problems.Add("No dataset is present. " + statuses[0].Advice);

        if (problems.Count == 0)
        {
            output.WriteLine("Ready to train.");
            return 0;
        }
        foreach (var problem in problems) output.WriteLine($"NOT READY: {problem}");
        return 1;
    }

    private static string DescribeWritable(string folder, List<string> problems)
    {
        try
        {
            Directory.CreateDirectory(folder);
            var probe = Path.Combine(folder, $".doctor-{Environment.ProcessId}");
            File.WriteAllText(probe, "ok");
            File.Delete(probe);
            return "writable";
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            problems.Add($"The data folder {folder} is not writable ({e.Message}). Set ProCo:DataDir to a writable folder.");
            return "NOT writable";
        }
    }

    private static async Task<string> DescribeDatabaseAsync(DataPaths paths, List<string> problems, CancellationToken cancellationToken)
    {
        if (paths.RunDatabaseFile is { } file && !File.Exists(file)) return "not created yet (the web app creates and migrates it at start)";
        var contextOptions = new DbContextOptionsBuilder<ProCoDbContext>().UseRunDatabase(paths.Database).Options;
        await using var db = new ProCoDbContext(contextOptions);
        IReadOnlyList<string> applied, pending;
        try
        {
            (applied, pending) = await DatabaseMigrator.StateAsync(db, cancellationToken);
        }
        catch (Exception e) when (e is System.Data.Common.DbException or InvalidOperationException)
        {
            problems.Add($"The run database does not answer: {e.Message}");
            return "NOT reachable";
        }
        var latest = applied.Count > 0 ? $", latest {applied[^1]}" : "";
        return pending.Count == 0
            ? $"up to date ({applied.Count} migration(s) applied{latest})"
            : $"{pending.Count} migration(s) pending, applied at the next start ({applied.Count} applied{latest})";
    }
}
