
namespace ProCo.Web.Runs;

/// <summary>
/// Where a run's files live in the artifact store (<see cref="DataPaths.Artifacts"/>: the data folder,
/// or the folder every host shares), and how a stored relative path is resolved safely. Files are
/// written beside their final name and renamed into place (atomic on one file system), and their
/// SHA-256 is recorded with the row, which downloads serve as the ETag.
/// </summary>
public sealed class RunFolders(DataPaths paths)
{
    /// <summary>The run's folder in the artifact store (checkpoints live here).</summary>
    public string For(long runId) => Path.Combine(paths.RunsDir, runId.ToString(System.Globalization.CultureInfo.InvariantCulture));

    /// <summary>A path relative to the artifact store, as stored in the database.</summary>
    public string Relative(string fullPath) => Path.GetRelativePath(paths.Artifacts, fullPath);

    /// <summary>
    /// Resolves a stored relative path to a file inside the artifact store, or null when the path (or
    /// a link along it) leads outside the store or the file does not exist.
    /// </summary>
    public string? ResolveInside(string relativePath)
    {
        var root = Path.GetFullPath(paths.Artifacts).TrimEnd(Path.DirectorySeparatorChar) + Path.DirectorySeparatorChar;
        if (Path.IsPathRooted(relativePath)) return null;
        var full = Path.GetFullPath(Path.Combine(root, relativePath));
        if (!full.StartsWith(root, StringComparison.Ordinal)) return null;
        var info = new FileInfo(full);
        if (!info.Exists) return null;
        // A link anywhere from the store's folder down must stay inside it.
        var target = info.ResolveLinkTarget(returnFinalTarget: true);
        if (target is not null && !Path.GetFullPath(target.FullName).StartsWith(root, StringComparison.Ordinal)) return null;
        for (var dir = info.Directory; dir is not null && dir.FullName.Length >= root.Length - 1; dir = dir.Parent)
        {
            if (dir.LinkTarget is null) continue;
            var dirTarget = dir.ResolveLinkTarget(returnFinalTarget: true);
            if (dirTarget is null || !Path.GetFullPath(dirTarget.FullName).StartsWith(root, StringComparison.Ordinal)) return null;
        }
        return full;
    }
}
