using System.Collections.Concurrent;
using System.Security.Claims;
using ProCo.Training.Datasets;
using ProCo.Training.Engine;
using ProCo.Training.Models;
using ProCo.Web.Accounts;

namespace ProCo.Web.Runs;

/// <summary>PyTorch weights in the library, with the architecture their shapes describe.</summary>
public sealed record WeightsInfo(string Name, long SizeBytes, DateTimeOffset AddedAt, int Depth, int Width, int InChannels, int NumClasses,
    int FeatDim, bool UseNorm, string Architecture);

/// <summary>
/// The weights library: PyTorch weights (a state_dict with the public code's names, or a released
/// checkpoint) uploaded once to the data folder's <c>weights/</c>, which new runs may start from
/// (<see cref="TrainingConfig.InitFrom"/> names one). Each file is checked when it arrives and
/// against the run's architecture when a run names it.
/// </summary>
public sealed class WeightsLibrary(DataPaths paths)
{
    private readonly ConcurrentDictionary<(string, long, DateTime), ModelSpec> _specs = new();

    /// <summary>Every file of the library, newest first.</summary>
    public IReadOnlyList<WeightsInfo> List()
    {
        if (!Directory.Exists(paths.WeightsDir)) return [];
        var list = new List<WeightsInfo>();
        foreach (var file in new DirectoryInfo(paths.WeightsDir).EnumerateFiles().Where(f => !f.Name.StartsWith('.')))
        {
            try
            {
                list.Add(Describe(file));
            }
            catch (InvalidDataException)
            {
                // A file put there by hand that is not weights: left out of the list.
            }
        }
        return list.OrderByDescending(w => w.AddedAt).ToList();
    }

    private WeightsInfo Describe(FileInfo file)
    {
        var spec = _specs.GetOrAdd((file.FullName, file.Length, file.LastWriteTimeUtc), _ => SpecOf(file.FullName));
        return new WeightsInfo(file.Name, file.Length, file.LastWriteTimeUtc, spec.Depth, spec.Width, spec.InChannels, spec.NumClasses, spec.FeatDim,
            spec.UseNorm, spec.Describe());
    }

    // From the shapes the file's pickle declares: listing or checking the library inflates no tensor.
    private static ModelSpec SpecOf(string path, string? displayName = null, bool verify = false)
    {
        using var archive = TorchArchive.Open(path, displayName);
        var spec = PyTorchWeights.InferSpec(archive.Shapes());
        if (verify) archive.Verify();
        return spec;
    }

    /// <summary>The file a library name stands for, or null (not a plain file name, or not in the library).</summary>
    public string? PathOf(string name)
    {
        if (name.Length is 0 or > ImportService.MaxFileNameLength || ImportService.Sanitize(name) != name) return null;
        var path = Path.Combine(paths.WeightsDir, name);
        return File.Exists(path) ? path : null;
    }

    /// <summary>Why <paramref name="config"/> cannot start from its <see cref="TrainingConfig.InitFrom"/>, or null when it can (or names none).</summary>
    public string? Check(TrainingConfig config)
    {
        if (config.InitFrom is not { } name) return null;
        if (PathOf(name) is not { } path)
            return $"'{name}' is not in the weights library: upload the file first (new-run form or POST /api/weights), then name it.";
        ModelSpec have;
        try
        {
            var file = new FileInfo(path);
            have = _specs.GetOrAdd((file.FullName, file.Length, file.LastWriteTimeUtc), _ => SpecOf(file.FullName));
        }
        catch (InvalidDataException e)
        {
            return e.Message;
        }
        var dataset = KnownDatasets.Find(config.Dataset);
        var wanted = ModelSpec.For(config, dataset?.Channels ?? have.InChannels, dataset?.NumClasses ?? have.NumClasses);
        return wanted == have ? null : $"'{name}' holds a {have.Describe()}; this run builds a {wanted.Describe()}.";
    }

    /// <summary>
    /// Adds uploaded weights under a safe version of their file name (an identical file already there is
    /// reused; another of the same name gets a suffix). Returns what was stored, or why nothing was.
    /// </summary>
    public async Task<(WeightsInfo? Info, string? Error)> AddAsync(string fileName, long length, Func<Stream> open, ClaimsPrincipal by,
        CancellationToken ct = default)
    {
        if (!Permissions.Allows(by, StudioAction.Queue)) return (null, Permissions.Refusal(by, StudioAction.Queue));
        if (length > paths.Options.Import.MaxUploadBytes)
            return (null, $"At most {paths.Options.Import.MaxUploadBytes:N0} bytes per upload (ProCo:Import:MaxUploadBytes).");
        Directory.CreateDirectory(paths.WeightsDir);
        var staged = Path.Combine(paths.WeightsDir, $".upload-{Guid.NewGuid():N}");
        try
        {
            await using (var output = File.Create(staged))
            await using (var input = open())
                await input.CopyToAsync(output, ct);
            try
            {
                SpecOf(staged, Path.GetFileName(fileName.Replace('\\', '/')), verify: true);
            }
            catch (InvalidDataException e)
            {
                return (null, e.Message);
            }
            var name = ImportService.Sanitize(Path.GetFileName(fileName.Replace('\\', '/')));
            var target = Path.Combine(paths.WeightsDir, name);
            for (var i = 2; File.Exists(target); i++)
            {
                if (CheckpointFile.Sha256Of(target) == CheckpointFile.Sha256Of(staged)) return (Describe(new FileInfo(target)), null);
                target = Path.Combine(paths.WeightsDir, $"{Path.GetFileNameWithoutExtension(name)}-{i}{Path.GetExtension(name)}");
            }
            File.Move(staged, target);
            return (Describe(new FileInfo(target)), null);
        }
        finally
        {
            if (File.Exists(staged)) File.Delete(staged);
        }
    }
}
