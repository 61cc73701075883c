using System.Text.Json;

namespace ProCo.Training.Tests;

/// <summary>
/// Reads the golden vectors from the folder named by PROCO_GOLDEN_DIR, by default the repository's copy
/// (Fixtures/golden). Tests compute from each file's inputs; nothing is hard-coded, so another folder of
/// the same format with other inputs checks the implementation as well.
/// </summary>
public static class Golden
{
    public static string Directory
    {
        get
        {
            var dir = ProCo.Tests.ReferenceFolders.Golden;
            if (!System.IO.Directory.Exists(dir))
                throw new DirectoryNotFoundException($"Golden folder {dir} not found; set PROCO_GOLDEN_DIR.");
            return dir;
        }
    }

    public static JsonElement Cases(string file)
    {
        using var stream = File.OpenRead(Path.Combine(Directory, file));
        using var document = JsonDocument.Parse(stream);
        return document.RootElement.GetProperty("cases").Clone();
    }

    public static double[] Doubles(this JsonElement element) =>
        element.EnumerateArray().Select(e => e.GetDouble()).ToArray();

    public static int[] Ints(this JsonElement element) =>
        element.EnumerateArray().Select(e => e.GetInt32()).ToArray();

    public static double[,] Matrix(this JsonElement element)
    {
        var rows = element.EnumerateArray().Select(r => r.Doubles()).ToArray();
        var m = new double[rows.Length, rows.Length == 0 ? 0 : rows[0].Length];
        for (var i = 0; i < rows.Length; i++)
            for (var j = 0; j < rows[i].Length; j++) m[i, j] = rows[i][j];
        return m;
    }

    /// <summary>Asserts |actual − expected| within tolerance, naming the case.</summary>
    public static void Near(double expected, double actual, double tolerance, string what)
    {
        if (!(System.Math.Abs(actual - expected) <= tolerance))
            Assert.Fail($"{what}: expected {expected:R}, got {actual:R} (|diff| {System.Math.Abs(actual - expected):E2} > {tolerance:E2})");
    }
}
