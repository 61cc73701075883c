using System.Globalization;
using System.Security.Claims;
using Microsoft.EntityFrameworkCore;
using ProCo.Data;
using ProCo.Data.TensorBoard;
using ProCo.Training.Engine;
using ProCo.Web.Accounts;
using ProCo.Web.Live;

namespace ProCo.Web.Runs;

/// <summary>A file handed to an import: its name as sent (an upload of a folder sends "run/events..."), its size, and how to read it.</summary>
public sealed record UploadedFile(string Name, long Length, Func<Stream> OpenRead);

/// <summary>
/// TensorBoard logs in and out of the run database, for the API, the import dialog, the runs page
/// and the CLI alike: uploads are staged in the data folder, imported run by run, and announced.
/// </summary>
public sealed class ImportService(IDbContextFactory<ProCoDbContext> factory, DataPaths paths, IRunPublisher publisher)
{
    /// <summary>Bytes of one upload (<c>ProCo:Import:MaxUploadBytes</c>).</summary>
    public long MaxUploadBytes => paths.Options.Import.MaxUploadBytes;

    /// <summary>Imports every run folder under <paramref name="path"/> (a single folder may be named).</summary>
    public async Task<IReadOnlyList<ImportResult>> ImportFoldersAsync(string path, string? name, string? tag, ClaimsPrincipal by, CancellationToken ct = default)
    {
        if (!Permissions.Allows(by, StudioAction.Import)) throw new UnauthorizedAccessException(Permissions.Refusal(by, StudioAction.Import));
        var folders = TensorBoardImporter.RunFolders(path);
        var results = new List<ImportResult>();
        foreach (var folder in folders)
        {
            // A run, its points and its summary in one transaction: an import is whole or absent.
            await using var db = await factory.CreateDbContextAsync(ct);
            await using var transaction = await db.Database.BeginTransactionAsync(ct);
            var result = await TensorBoardImporter.ImportRunAsync(db, folder, folders.Count == 1 ? name : null, tag, paths.Options.Import.MaxPoints,
                paths.Options.Import.MaxSeries, Series.SysElapsed, ct);
            results.Add(result);
            if (result.AlreadyImported || await db.Runs.FirstOrDefaultAsync(r => r.Id == result.RunId, ct) is not { } run) continue;
            await RunSummaries.FromStoredSeriesAsync(db, run, ct);
            db.RunEvents.Add(RunService.Event(run.Id, by, "Imported."));
            await db.SaveChangesAsync(ct);
            await transaction.CommitAsync(ct);
            publisher.Run(RunMessages.From(run));
        }
        return results;
    }

    /// <summary>The smallest event file: one record of no data (length, its CRC, the data's CRC).</summary>
    public const int MinEventFileBytes = 16;

    /// <summary>Field errors of an upload (no files, too large, not event files or too short for one, a name or tag out of bounds); empty when it can be imported.</summary>
    public Dictionary<string, string[]> Validate(IReadOnlyCollection<UploadedFile> files, string? name = null, string? tag = null)
    {
        var errors = new Dictionary<string, string[]>();
        // The same name and tag rules as a run created or edited (a blank tag means none).
        if (name is not null && !RunService.IsValidName(name)) errors["name"] = [$"At most {RunService.MaxNameLength} characters, without control or text-direction characters."];
        if (!string.IsNullOrWhiteSpace(tag) && !RunService.IsValidTag(tag))
            errors["tag"] = [$"A tag of at most {RunService.MaxTagLength} characters, without commas, control or text-direction characters."];
        var notEvents = files.Where(f => !Path.GetFileName(f.Name).Contains("tfevents", StringComparison.Ordinal)).Select(f => f.Name).ToList();
        if (files.Count == 0) errors["files"] = ["Choose the event files (events.out.tfevents.*) of one or more run folders."];
        else if (files.Sum(f => f.Length) > MaxUploadBytes) errors["files"] = [$"At most {MaxUploadBytes:N0} bytes per upload (ProCo:Import:MaxUploadBytes)."];
        else if (notEvents.Count > 0) errors["files"] = [$"Not TensorBoard event files: {string.Join(", ", notEvents)}."];
        // An event file holds at least one record: a length, its checksum, the data and the data's checksum (16 bytes or more).
        else if (files.Where(f => f.Length < MinEventFileBytes).Select(f => $"{f.Name} ({f.Length} bytes)").ToList() is { Count: > 0 } tooShort)
            errors["files"] = [$"Too short to hold an event: {string.Join(", ", tooShort)}."];
        return errors;
    }

    /// <summary>
    /// Stages uploaded files in the data folder, each in the folder it came from reduced to a plain
    /// name (or one named after the run), and imports them. The files must be valid (<see cref="Validate"/>).
    /// </summary>
    public async Task<IReadOnlyList<ImportResult>> ImportUploadAsync(IReadOnlyCollection<UploadedFile> files, string? name, string? tag, ClaimsPrincipal by,
        CancellationToken ct = default)
    {
        if (!Permissions.Allows(by, StudioAction.Import)) throw new UnauthorizedAccessException(Permissions.Refusal(by, StudioAction.Import));
        var root = Path.Combine(paths.ImportsDir, DateTime.UtcNow.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture) + "-" + Guid.NewGuid().ToString("N")[..6]);
        try
        {
            await StageAsync(files, name, root, ct);
            return await ImportFoldersAsync(root, name, tag, by, ct);
        }
        finally
        {
            // The database holds what was imported (a re-upload is recognised by its content): the staged copy goes.
            if (Directory.Exists(root)) Directory.Delete(root, recursive: true);
        }
    }

    private static async Task StageAsync(IReadOnlyCollection<UploadedFile> files, string? name, string root, CancellationToken ct)
    {
        foreach (var file in files)
        {
            // Only the last folder and the file name are kept, each reduced to safe characters.
            var parts = file.Name.Replace('\\', '/').Split('/', StringSplitOptions.RemoveEmptyEntries)
                .Where(p => p is not "." and not "..").Select(Sanitize).ToList();
            var runFolder = parts.Count >= 2 ? parts[^2] : Sanitize(name ?? "");
            var target = Path.Combine(root, runFolder, parts.Count >= 1 ? parts[^1] : "events.out.tfevents");
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            await using var output = File.Create(target);
            await using var input = file.OpenRead();
            await input.CopyToAsync(output, ct);
        }
    }

    /// <summary>Longest folder or file name an upload is staged under.</summary>
    public const int MaxFileNameLength = 120;

    /// <summary>A name reduced to a safe folder or file name: letters, digits, '_', '-', '.', at most <see cref="MaxFileNameLength"/> characters ("uploaded-run" when nothing is left).</summary>
    public static string Sanitize(string name)
    {
        var clean = string.Concat(name.Trim().Select(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.' ? c : '_')).Trim('.');
        if (clean.Length > MaxFileNameLength) clean = clean[..MaxFileNameLength];
        return clean.Length > 0 ? clean : "uploaded-run";
    }

    /// <summary>Where "Add the paper's runs" looks.</summary>
    public string ReferenceLogsDir => paths.ReferenceLogsDir;

    /// <summary>True when the paper's logs are where <see cref="ReferenceLogsDir"/> says.</summary>
    public bool HasReferenceLogs() => Directory.Exists(paths.ReferenceLogsDir) && TensorBoardImporter.RunFolders(paths.ReferenceLogsDir).Count > 0;

    /// <summary>What to do when the paper's logs are missing.</summary>
    public string ReferenceLogsAdvice =>
        $"The paper's TensorBoard logs are not in {ShownReferenceLogsDir}. Copy the authors' run folders " +
        "(ProCo_cifar100_imb0.01_epochs200 ...) there, or set ProCo:ReferenceLogsDir to where they are.";

    // The folder as answers may name it: relative to the data folder when inside it (no server paths in answers).
    private string ShownReferenceLogsDir =>
        paths.ReferenceLogsDir == Path.GetFullPath(DataPaths.ShippedReferenceLogs) ? "the program's reference-logs folder (an installation without them)"
        : paths.ReferenceLogsDir.StartsWith(paths.Root + Path.DirectorySeparatorChar, StringComparison.Ordinal)
            ? "the data folder's " + Path.GetRelativePath(paths.Root, paths.ReferenceLogsDir)
            : "the folder ProCo:ReferenceLogsDir names";

    /// <summary>Imports the paper authors' runs, tagged "paper". Call <see cref="HasReferenceLogs"/> first.</summary>
    public Task<IReadOnlyList<ImportResult>> ImportReferenceAsync(ClaimsPrincipal by, CancellationToken ct = default) =>
        ImportFoldersAsync(paths.ReferenceLogsDir, null, "paper", by, ct);

    /// <summary>
    /// The weights of a run's <paramref name="kind"/> checkpoint (best or last) as a PyTorch state_dict with
    /// the public code's names; null when the run has no such checkpoint.
    /// </summary>
    public async Task<(int Epoch, string Kind)?> ExportPyTorchAsync(long runId, string kind, Stream output, CancellationToken ct = default)
    {
        await using var db = await factory.CreateDbContextAsync(ct);
        var checkpoint = await db.Checkpoints.AsNoTracking().Where(c => c.RunId == runId && c.Kind == kind)
            .OrderByDescending(c => c.Epoch).FirstOrDefaultAsync(ct);
        if (checkpoint is null || new RunFolders(paths).ResolveInside(checkpoint.RelativePath) is not { } path) return null;
        ProCo.Training.Models.PyTorchWeights.FromCheckpoint(path, output);
        return (checkpoint.Epoch, checkpoint.Kind);
    }

    /// <summary>A run's series as one TensorBoard event file; false when the run does not exist.</summary>
    public async Task<bool> ExportAsync(long runId, Stream output, CancellationToken ct = default)
    {
        await using var db = await factory.CreateDbContextAsync(ct);
        if (!await db.Runs.AnyAsync(r => r.Id == runId, ct)) return false;
        await TensorBoardImporter.ExportAsync(db, runId, output, ct);
        return true;
    }
}
