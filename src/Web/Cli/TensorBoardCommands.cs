using System.CommandLine;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using ProCo.Data;
using ProCo.Data.TensorBoard;
using ProCo.Training.Engine;
using ProCo.Web.Accounts;
using ProCo.Web.Live;
using ProCo.Web.Runs;

namespace ProCo.Web.Cli;

/// <summary><c>proco import PATH</c> and <c>proco export RUN</c>: TensorBoard logs in and out of the run database.</summary>
internal static class TensorBoardCommands
{
    public static Command Import()
    {
        var path = new Argument<string>("path") { Description = "A run folder with events.out.tfevents.* files, or a folder of run folders" };
        var name = new Option<string?>("--name") { Description = "Name of the run (a single run folder only; default: the folder name)" };
        var tag = new Option<string?>("--tag") { Description = "Tag every imported run" };
        var command = new Command("import", "Import TensorBoard logs as read-only runs (importing the same files again adds nothing).");
        command.Arguments.Add(path);
        command.Options.Add(name);
        command.Options.Add(tag);
        command.TreatUnmatchedTokensAsErrors = false;
        command.SetAction(async (parse, ct) =>
        {
            var imports = await OpenAsync(parse, ct);
            IReadOnlyList<ImportResult> results;
            try
            {
                results = await imports.ImportFoldersAsync(parse.GetValue(path)!, parse.GetValue(name), parse.GetValue(tag), Permissions.CommandLine, ct);
            }
            catch (Exception e) when (e is DirectoryNotFoundException or InvalidDataException)
            {
                Console.WriteLine(e.Message);
                return 1;
            }
            if (results.Count == 0)
            {
                Console.WriteLine($"No TensorBoard event files under {parse.GetValue(path)}.");
                return 1;
            }
            foreach (var r in results)
            {
                Console.WriteLine(r.AlreadyImported
                    ? $"{r.Folder}: already imported as run {r.RunId} ({r.Name})"
                    : $"{r.Folder}: run {r.RunId} ({r.Name}), {r.Series} series, {r.Points} points");
                foreach (var warning in r.Warnings) Console.WriteLine($"  warning: {warning}");
            }
            return 0;
        });
        return command;
    }

    public static Command Export()
    {
        var run = new Argument<long>("run") { Description = "Run id" };
        var output = new Option<string?>("--out") { Description = "Folder for the file (default: the current folder)" };
        var format = new Option<string>("--format")
        {
            Description = "tensorboard (the run's series as an event file) or pytorch (its best checkpoint's weights as a state_dict)",
            DefaultValueFactory = _ => "tensorboard",
        };
        format.AcceptOnlyFromAmong("tensorboard", "pytorch");
        var checkpointKind = new Option<string>("--checkpoint") { Description = "With --format pytorch: best or last", DefaultValueFactory = _ => CheckpointKinds.Best };
        checkpointKind.AcceptOnlyFromAmong([.. CheckpointKinds.All]);
        var command = new Command("export", "Write a run's series as a TensorBoard event file, or its weights for PyTorch.");
        command.Arguments.Add(run);
        command.Options.Add(output);
        command.Options.Add(format);
        command.Options.Add(checkpointKind);
        command.TreatUnmatchedTokensAsErrors = false;
        command.SetAction(async (parse, ct) =>
        {
            var imports = await OpenAsync(parse, ct);
            var id = parse.GetValue(run);
            var folder = Path.GetFullPath(parse.GetValue(output) ?? ".");
            if (parse.GetValue(format) == "pytorch")
            {
                var weights = new MemoryStream();
                if (await imports.ExportPyTorchAsync(id, parse.GetValue(checkpointKind)!, weights, ct) is not { } written)
                {
                    Console.WriteLine($"Run {id} has no {parse.GetValue(checkpointKind)} checkpoint.");
                    return 1;
                }
                Directory.CreateDirectory(folder);
                var target = Path.Combine(folder, $"proco-run{id}-{written.Kind}-epoch{written.Epoch}.pt");
                await File.WriteAllBytesAsync(target, weights.ToArray(), ct);
                Console.WriteLine(target);
                return 0;
            }
            var file = Path.Combine(folder, EventFiles.FileName(DateTimeOffset.UtcNow, $"proco-run{id}"));
            var buffer = new MemoryStream();
            if (!await imports.ExportAsync(id, buffer, ct))
            {
                Console.WriteLine($"Run {id} does not exist.");
                return 1;
            }
            Directory.CreateDirectory(folder);
            await File.WriteAllBytesAsync(file, buffer.ToArray(), ct);
            Console.WriteLine(file);
            return 0;
        });
        return command;
    }

    // The same import service as the web app's, on the data folder's database; nobody watches live here.
    private static async Task<ImportService> OpenAsync(ParseResult parse, CancellationToken ct)
    {
        var paths = CliConfiguration.Paths(parse);
        paths.EnsureCreated();
        var options = new DbContextOptionsBuilder<ProCoDbContext>().UseRunDatabase(paths.Database).Options;
        var factory = new PooledDbContextFactory<ProCoDbContext>(options);
        await using var db = await factory.CreateDbContextAsync(ct);
        await DatabaseMigrator.MigrateAsync(db, ct);
        return new ImportService(factory, paths, new NoRunPublisher());
    }
}
