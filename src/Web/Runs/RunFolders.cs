using ProCo.Web.Hosting;

namespace ProCo.Web.Runs;

/// <summary>Where a run's files live, and how a stored relative path is resolved safely.</summary>
public sealed class RunFolders(DataPaths paths)
{
    /// <summary>The run's folder under the data folder (checkpoints live here).</summary>
    public string For(long runId) => Path.Combine(paths.RunsDir, runId.ToString(System.Globalization.CultureInfo.InvariantCulture));

    /// <summary>A path relative to the data folder, as stored in the database.</summary>
    public string Relative(string fullPath) => Path.GetRelativePath(paths.Root, fullPath);

    /// <summary>
    /// Resolves a stored relative path to a file inside the data folder, or null when the path (or
    /// a link along it) leads outside the data folder or the file does not exist.
    /// </summary>
    public string? ResolveInside(string relativePath)
    {
        var root = Path.GetFullPath(paths.Root).TrimEnd(Path.DirectorySeparatorChar) + Path.DirectorySeparatorChar;
        if (Path.IsPathRooted(relativePath)) return null;
        var full = Path.GetFullPath(Path.Combine(root, relativePath));
        if (!full.StartsWith(root, StringComparison.Ordinal)) return null;
        var info = new FileInfo(full);
        if (!info.Exists) return null;
        // A link anywhere from the data folder down must stay inside it.
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
