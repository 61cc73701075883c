using System.Globalization;

namespace ProCo.Web.Components.Shared;

/// <summary>Number and time formatting shared by the pages.</summary>
public static class Format
{
    public static string Percent(double? value) => value is { } v && double.IsFinite(v) ? v.ToString("F2", CultureInfo.InvariantCulture) : "–";

    /// <summary>One decimal, for dense table cells.</summary>
    public static string OneDecimal(double? value) => value is { } v && double.IsFinite(v) ? v.ToString("F1", CultureInfo.InvariantCulture) : "–";

    public static string Imbalance(double factor) =>
        factor > 0 ? (1 / factor).ToString("0.##", CultureInfo.InvariantCulture) : "–";

    public static string Duration(double? seconds)
    {
        if (seconds is not { } s || !double.IsFinite(s)) return "";
        var t = TimeSpan.FromSeconds(s);
        return t.TotalHours >= 1 ? $"{(int)t.TotalHours} h {t.Minutes} min" : t.TotalMinutes >= 1 ? $"{t.Minutes} min {t.Seconds} s" : $"{t.Seconds} s";
    }

    /// <summary>"6 B", "1.5 KB", "24 KB", "1.4 MB": never "0 KB" for a file that has bytes.</summary>
    public static string Bytes(long bytes) => bytes switch
    {
        >= 1 << 20 => (bytes / 1048576.0).ToString("F1", CultureInfo.InvariantCulture) + " MB",
        >= 10 << 10 => (bytes / 1024.0).ToString("F0", CultureInfo.InvariantCulture) + " KB",
        >= 1 << 10 => (bytes / 1024.0).ToString("F1", CultureInfo.InvariantCulture) + " KB",
        _ => bytes.ToString(CultureInfo.InvariantCulture) + " B",
    };

    public static string When(DateTimeOffset? at) => at?.ToLocalTime().ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture) ?? "";
}
