namespace ProCo.Tests;

/// <summary>
/// Folders the tests read from the shared material beside the repository (compiled into every
/// test project): the golden vectors and the paper authors' TensorBoard logs.
/// </summary>
internal static class SharedFolders
{
    /// <summary>The repository root: the first folder above the test binaries that holds ProCo.sln.</summary>
    public static string RepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "ProCo.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("ProCo.sln not found above the test binaries.");
    }

    /// <summary>The folder named by <paramref name="variable"/>, else ../shared/<paramref name="name"/> from the repository root.</summary>
    public static string Resolve(string variable, string name)
    {
        var configured = Environment.GetEnvironmentVariable(variable);
        return string.IsNullOrWhiteSpace(configured)
            ? Path.GetFullPath(Path.Combine(RepoRoot(), "..", "shared", name))
            : Path.GetFullPath(configured);
    }

    /// <summary>The paper authors' logs: PROCO_REFERENCE_LOGS, default ../shared/reference-logs.</summary>
    public static string ReferenceLogs => Resolve("PROCO_REFERENCE_LOGS", "reference-logs");
}
