namespace ProCo.Tests;

/// <summary>
/// Reference material the tests read (compiled into every test project), from the repository's own copies
/// beside the test binaries: the golden vectors (tests/ProCo.Training.Tests/Fixtures/golden) and the paper
/// authors' TensorBoard logs (src/Web/reference-logs, which ship with the program). An environment variable
/// names another folder of the same format instead; nothing outside the repository is read otherwise.
/// </summary>
internal static class ReferenceFolders
{
    /// <summary>The golden vectors: PROCO_GOLDEN_DIR, else the repository's copy.</summary>
    public static string Golden => Resolve("PROCO_GOLDEN_DIR", Path.Combine("Fixtures", "golden"));

    /// <summary>The paper authors' logs: PROCO_REFERENCE_LOGS, else the copy the program ships.</summary>
    public static string ReferenceLogs => Resolve("PROCO_REFERENCE_LOGS", "reference-logs");

    /// <summary>True when PROCO_REFERENCE_LOGS names the logs (a test server is then pointed at them; otherwise it finds its own copy).</summary>
    public static bool ReferenceLogsOverridden => !string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable("PROCO_REFERENCE_LOGS"));

    private static string Resolve(string variable, string beside)
    {
        var configured = Environment.GetEnvironmentVariable(variable);
        return Path.GetFullPath(string.IsNullOrWhiteSpace(configured) ? Path.Combine(AppContext.BaseDirectory, beside) : configured);
    }
}
