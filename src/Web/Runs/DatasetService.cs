using System.Security.Claims;
using ProCo.Training.Datasets;
using ProCo.Web.Accounts;

namespace ProCo.Web.Runs;

/// <summary>A registration asked for through the API or the Datasets page (a folder on the server).</summary>
/// <param name="Name">The key runs will name it by.</param>
/// <param name="Root">Absolute folder on the server.</param>
/// <param name="Kind">imagenet-lt, inat2018, list, folder, or empty to guess.</param>
/// <param name="Lists">imagenet-lt/inat2018: folder of the list files.</param>
/// <param name="TrainList">list: the training list file.</param>
/// <param name="ValList">list: the validation list file.</param>
/// <param name="TestList">list: the test list file.</param>
/// <param name="ValFraction">folder without split folders: validation share per class.</param>
/// <param name="TestFraction">folder without split folders: test share per class.</param>
/// <param name="SplitSeed">folder without split folders: seed of the split.</param>
public sealed record DatasetRegistration(string? Name, string? Root, string? Kind = null, string? Lists = null, string? TrainList = null,
    string? ValList = null, string? TestList = null, double? ValFraction = null, double? TestFraction = null, int? SplitSeed = null);

/// <summary>A dataset as the Datasets page and <c>GET /api/datasets</c> show it.</summary>
/// <param name="Name">Key runs name it by.</param>
/// <param name="Kind">A built-in format (idx, binary, python), or imagenet-lt, inat2018, list, folder.</param>
/// <param name="BuiltIn">True for CIFAR and Fashion-MNIST.</param>
/// <param name="Present">Its files (or folder) are on this server.</param>
/// <param name="Location">Where it is, or null.</param>
/// <param name="Advice">What to do when it is missing.</param>
/// <param name="Registered">The registration with its last scan (registered datasets).</param>
/// <param name="Verifying">A decode-everything check is running.</param>
public sealed record DatasetView(string Name, string? Kind, bool BuiltIn, bool Present, string? Location, string Advice,
    RegisteredDataset? Registered, bool Verifying);

/// <summary>
/// The datasets a run can name: the built-in ones and the image datasets registered on this server
/// (the same registry as <c>proco dataset</c>). Registering names a server folder, so it is an
/// admin's action; the folder must exist and hold what its kind says, and, when
/// <c>ProCo:DatasetRoots</c> lists folders, lie under one of them.
/// </summary>
public sealed class DatasetService(DatasetCatalog catalog, ProCoOptions options, ILogger<DatasetService> logger)
{
    private readonly Dictionary<string, Task> _verifying = [];

    private DatasetRegistry Registry => catalog.Registry ?? throw new InvalidOperationException("This server has no dataset registry.");

    /// <summary>Built-in datasets, then the registered ones.</summary>
    public IReadOnlyList<DatasetView> List()
    {
        var views = catalog.Probe().Select(s => new DatasetView(s.Key, s.Format, true, s.Present, s.Location, s.Present ? "" : s.Advice, null, false)).ToList();
        views.AddRange(Registry.All().Select(View));
        return views;
    }

    /// <summary>One registered dataset, or null.</summary>
    public DatasetView? Find(string name) => Registry.Find(name) is { } dataset ? View(dataset) : null;

    private DatasetView View(RegisteredDataset r)
    {
        var status = r.Status();
        return new DatasetView(r.Name, r.Kind, false, status.Present, r.Root, status.Advice, r, Verifying(r.Name));
    }

    private bool Verifying(string name)
    {
        lock (_verifying) return _verifying.ContainsKey(name);
    }

    /// <summary>Registers (or re-registers) a dataset after checking it against the disk; field errors otherwise.</summary>
    public (Dictionary<string, string[]> Errors, DatasetView? Dataset) Register(DatasetRegistration request, ClaimsPrincipal by)
    {
        if (!Permissions.Allows(by, StudioAction.ManageDatasets)) throw new UnauthorizedAccessException(Permissions.Refusal(by, StudioAction.ManageDatasets));
        var errors = new Dictionary<string, string[]>();
        if (string.IsNullOrWhiteSpace(request.Name)) errors["name"] = ["A name is required."];
        else if (DatasetRegistry.CheckName(request.Name.Trim().ToLowerInvariant()) is { } nameError) errors["name"] = [nameError];
        if (string.IsNullOrWhiteSpace(request.Root)) errors["root"] = ["The dataset's folder on the server is required."];
        else if (Outside(request.Root) is { } outside) errors["root"] = [outside];
        if (errors.Count > 0) return (errors, null);
        RegisteredDataset? dataset = null;
        try
        {
            dataset = ImageFileDatasets.Resolve(new DatasetRequest(request.Name!, request.Root!, string.IsNullOrWhiteSpace(request.Kind) ? null : request.Kind,
                Blank(request.Lists), Blank(request.TrainList), Blank(request.ValList), Blank(request.TestList), request.ValFraction ?? 0.1,
                request.TestFraction ?? 0.1, request.SplitSeed ?? 0));
            if (new[] { dataset.Root, dataset.TrainList, dataset.ValList, dataset.TestList }.OfType<string>().Select(Outside).FirstOrDefault(o => o is not null) is { } outside)
            {
                errors[dataset.TrainList is null ? "root" : "lists"] = [outside];
                return (errors, null);
            }
            // Every image the lists or folders name must lie under the roots too, by real path.
            dataset = dataset with { ConfinedTo = options.DatasetRoots.Count > 0 ? options.DatasetRoots : null };
            dataset = dataset with { Scan = ImageFileDatasets.Scan(dataset) };
        }
        catch (Exception e) when (e is ArgumentException or InvalidDataException or IOException or UnauthorizedAccessException)
        {
            // A list file that cannot be read is about the lists; anything else the folder tree says, about the root.
            errors[e is DatasetRequestException refused ? refused.Field : e is InvalidDataException && dataset?.TrainList is not null ? "lists" : "root"] = [e.Message];
            return (errors, null);
        }
        Registry.Save(dataset!);
        logger.LogInformation("{User} registered the dataset {Name} ({Kind}) at {Root}", Permissions.NameOf(by), dataset.Name, dataset.Kind, dataset.Root);
        return (errors, View(dataset));
    }

    /// <summary>Forgets a registration (the files stay); false when there was none.</summary>
    public bool Remove(string name, ClaimsPrincipal by)
    {
        if (!Permissions.Allows(by, StudioAction.ManageDatasets)) throw new UnauthorizedAccessException(Permissions.Refusal(by, StudioAction.ManageDatasets));
        return Registry.Remove(name.Trim().ToLowerInvariant());
    }

    /// <summary>
    /// Starts decoding every image of a registered dataset on one thread (training keeps the other cores);
    /// the unreadable files land in its scan. False when it does not exist or a check already runs.
    /// </summary>
    public bool StartVerify(string name, ClaimsPrincipal by, Action<string>? finished = null)
    {
        if (!Permissions.Allows(by, StudioAction.ManageDatasets)) throw new UnauthorizedAccessException(Permissions.Refusal(by, StudioAction.ManageDatasets));
        if (Registry.Find(name) is not { } dataset) return false;
        // The check removes itself under the same lock, so it is registered before it can end.
        lock (_verifying)
        {
            if (_verifying.ContainsKey(dataset.Name)) return false;
            _verifying[dataset.Name] = Task.Run(() =>
            {
                try
                {
                    var scan = ImageFileDatasets.Scan(dataset, decode: true, threads: 1);
                    Registry.SaveScan(dataset, scan);
                    logger.LogInformation("Verified the dataset {Name}: {Unreadable} unreadable file(s)", dataset.Name, scan.Unreadable.Count);
                }
                catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException)
                {
                    logger.LogWarning(e, "Verifying the dataset {Name} failed", dataset.Name);
                }
                finally
                {
                    lock (_verifying) _verifying.Remove(dataset.Name);
                    finished?.Invoke(dataset.Name);
                }
            });
            return true;
        }
    }

    /// <summary>Waits for a running check of <paramref name="name"/> (tests, shutdown).</summary>
    public Task WhenVerified(string name)
    {
        lock (_verifying) return _verifying.TryGetValue(name, out var task) ? task : Task.CompletedTask;
    }

    // ProCo:DatasetRoots, when set, bounds the folders and list files a registration may name, symbolic links followed.
    private string? Outside(string path)
    {
        var roots = options.DatasetRoots;
        if (roots.Count == 0 || !Path.IsPathRooted(path)) return null;
        return new PathConfinement(roots).Outside(path) is null
            ? null
            : $"This server registers datasets only under {string.Join(", ", roots)} (ProCo:DatasetRoots); {path} is not.";
    }

    private static string? Blank(string? text) => string.IsNullOrWhiteSpace(text) ? null : text.Trim();
}
