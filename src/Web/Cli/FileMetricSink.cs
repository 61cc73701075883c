using System.Globalization;
using System.Text.Json;
using ProCo.Training.Engine;

namespace ProCo.Web.Cli;

/// <summary>
/// Writes a run's numbers into its output folder (metrics.jsonl or metrics.csv in long format,
/// vectors.jsonl, events.log) and prints one progress line per epoch with an ETA.
/// </summary>
internal sealed class FileMetricSink : IMetricSink, IDisposable
{
    // A diverging run's NaN or ±∞ is written as "NaN", "Infinity", "-Infinity", not a crash.
    private static readonly JsonSerializerOptions Json = new() { NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals };

    private readonly StreamWriter _metrics;
    private readonly StreamWriter _vectors;
    private readonly StreamWriter _events;
    private readonly TextWriter _console;
    private readonly bool _csv;
    private readonly DateTime _started = DateTime.UtcNow;
    private int _epochsThisProcess;

    public FileMetricSink(string folder, bool csv, TextWriter console)
    {
        _csv = csv;
        _console = console;
        var metricsPath = Path.Combine(folder, csv ? "metrics.csv" : "metrics.jsonl");
        var fresh = !File.Exists(metricsPath);
        _metrics = new StreamWriter(metricsPath, append: true) { AutoFlush = true };
        if (csv && fresh) _metrics.WriteLine("series,step,value,epoch");
        _vectors = new StreamWriter(Path.Combine(folder, "vectors.jsonl"), append: true) { AutoFlush = true };
        _events = new StreamWriter(Path.Combine(folder, "events.log"), append: true) { AutoFlush = true };
    }

    public void Step(StepReport report)
    {
        foreach (var (series, value) in report.Values) Write(series, report.GlobalStep, value, report.Epoch);
    }

    public void Epoch(EpochReport report)
    {
        foreach (var (series, value) in report.Values) Write(series, report.Epoch, value, report.Epoch);
        _vectors.WriteLine(JsonSerializer.Serialize(new { epoch = report.Epoch, vectors = report.Vectors }, Json));
        _epochsThisProcess++;
        var perEpoch = (DateTime.UtcNow - _started) / _epochsThisProcess;
        var eta = perEpoch * (report.Epochs - report.Epoch);
        var v = report.Values;
        _console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"epoch {report.Epoch}/{report.Epochs}  val CE {v[Series.ValCeLoss]:F4}  top1 {v[Series.ValTop1]:F2}  " +
            $"{report.Shots.Describe()}  " +
            $"train top1 {v[Series.TrainTop1]:F2}  ({report.Elapsed.TotalSeconds:F1} s, ETA {Format(eta)})"));
    }

    public void Tested(TestReport report)
    {
        foreach (var (series, value) in report.Values) Write(series, report.Epochs, value, report.Epochs);
        _console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"test (model of epoch {report.ChosenEpoch}, best on validation)  top1 {report.Values[Series.TestTop1]:F2}  {report.Shots.Describe()}"));
    }

    public void Checkpoint(CheckpointReport report) =>
        Log("info", $"checkpoint {report.Kind} (epoch {report.Epoch}): {report.Path} {report.SizeBytes} bytes sha256 {report.Sha256}");

    public void Log(string level, string message)
    {
        _events.WriteLine($"{DateTime.UtcNow:O} {level} {message}");
        if (level != "info" || !message.StartsWith("checkpoint", StringComparison.Ordinal)) _console.WriteLine(message);
    }

    public void Flush()
    {
        _metrics.Flush();
        _vectors.Flush();
        _events.Flush();
    }

    private void Write(string series, long step, double value, int epoch)
    {
        if (_csv)
            _metrics.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{series},{step},{value:R},{epoch}"));
        else
            _metrics.WriteLine(JsonSerializer.Serialize(new { series, step, value, epoch }, Json));
    }

    private static string Format(TimeSpan t) => t.TotalHours >= 1 ? $"{(int)t.TotalHours}h{t.Minutes:00}m" : $"{t.Minutes}m{t.Seconds:00}s";

    public void Dispose()
    {
        _metrics.Dispose();
        _vectors.Dispose();
        _events.Dispose();
    }
}
