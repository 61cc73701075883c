namespace ProCo.Training.Datasets;

/// <summary>
/// Folders a server reads datasets from (<c>ProCo:DatasetRoots</c>), compared by real path: every
/// symbolic link along a path is resolved before it is compared, so a link inside an allowed folder
/// that leads out of it does not count as inside. Directories are resolved once and remembered, so
/// checking every image of a large dataset costs about one link lookup per file.
/// </summary>
public sealed class PathConfinement
{
    private readonly string[] _roots;
    private readonly Dictionary<string, string> _directories = new(StringComparer.Ordinal);

    public PathConfinement(IEnumerable<string> roots) => _roots = roots.Select(r => RealPath(r)).ToArray();

    /// <summary>The folders, as given resolved.</summary>
    public IReadOnlyList<string> Roots => _roots;

    /// <summary>Null when <paramref name="path"/> lies under one of the folders; else where it really leads.</summary>
    public string? Outside(string path)
    {
        var full = Path.GetFullPath(path);
        var directory = Path.GetDirectoryName(full);
        var real = directory is null ? RealPath(full) : Resolve(Path.Combine(RealDirectory(directory), Path.GetFileName(full)));
        return _roots.Any(r => Within(real, r)) ? null : real;
    }

    private static bool Within(string path, string root) =>
        path == root || path.StartsWith(Path.TrimEndingDirectorySeparator(root) + Path.DirectorySeparatorChar, StringComparison.Ordinal);

    private string RealDirectory(string directory)
    {
        if (_directories.TryGetValue(directory, out var known)) return known;
        var real = RealPath(directory);
        if (_directories.Count < 1_000_000) _directories[directory] = real;
        return real;
    }

    // The last part of a path whose folder is already real: itself, or where its link leads.
    private static string Resolve(string path)
    {
        var info = new FileInfo(path);
        return info.LinkTarget is not null && info.ResolveLinkTarget(returnFinalTarget: true) is { } target ? RealPath(target.FullName) : path;
    }

    /// <summary>The absolute path with every symbolic link along it resolved (as far as the path exists).</summary>
    public static string RealPath(string path, int depth = 0)
    {
        var full = Path.GetFullPath(path);
        if (depth > 40) return full;
        var current = Path.GetPathRoot(full)!;
        foreach (var part in full[current.Length..].Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries))
        {
            var next = Path.Combine(current, part);
            var info = new FileInfo(next);
            current = info.LinkTarget is not null && info.ResolveLinkTarget(returnFinalTarget: true) is { } target
                ? RealPath(target.FullName, depth + 1)
                : next;
        }
        return current;
    }
}
