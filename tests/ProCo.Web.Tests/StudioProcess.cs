using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace ProCo.Web.Tests;

/// <summary>A real `proco serve` or `proco worker` process on a data folder (killable with SIGKILL).</summary>
public sealed class StudioProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly System.Text.StringBuilder _output = new();

    private StudioProcess(Process process, Uri? address)
    {
        _process = process;
        Address = address;
        _process.OutputDataReceived += (_, e) => { lock (_output) _output.AppendLine(e.Data); };
        _process.ErrorDataReceived += (_, e) => { lock (_output) _output.AppendLine(e.Data); };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public Uri? Address { get; }
    public int Pid => _process.Id;

    public string Output
    {
        get { lock (_output) return _output.ToString(); }
    }

    /// <summary>Fast lease settings so tests see dead workers within seconds.</summary>
    public static readonly string[] FastJobs =
    [
        "--ProCo:Jobs:LeaseSeconds=3", "--ProCo:Jobs:RenewSeconds=0.5", "--ProCo:Jobs:MonitorSeconds=1", "--ProCo:Jobs:QueuePollSeconds=0.5",
    ];

    public static Task<StudioProcess> StartServeAsync(string dataDir, params string[] extra) => StartServeOnAsync("127.0.0.1", dataDir, extra);

    /// <summary>Serves on <paramref name="bindAddress"/> (0.0.0.0 for every interface); reached through 127.0.0.1.</summary>
    public static async Task<StudioProcess> StartServeOnAsync(string bindAddress, string dataDir, params string[] extra)
    {
        var port = ProCo.Tests.LocalServers.FreePort();
        var address = new Uri($"http://127.0.0.1:{port}/");
        var process = Start(["serve", "--urls", $"http://{bindAddress}:{port}", $"--ProCo:DataDir={dataDir}", .. FastJobs, .. extra]);
        var studio = new StudioProcess(process, address);
        using var http = new HttpClient { BaseAddress = address };
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            if (process.HasExited) throw new InvalidOperationException("proco serve exited:\n" + studio.Output);
            try
            {
                // Answering at all (200, or 401 when accounts are on) means it is up.
                if ((await http.GetAsync(new Uri("/api/runs", UriKind.Relative))).StatusCode is HttpStatusCode.OK or HttpStatusCode.Unauthorized) return studio;
            }
            catch (HttpRequestException)
            {
            }
            await Task.Delay(200);
        }
        throw new TimeoutException("proco serve did not answer within 60 s:\n" + studio.Output);
    }

    /// <summary>Runs a verb to its end: exit code and everything it printed (standard input from <paramref name="input"/>).</summary>
    public static async Task<(int Code, string Output)> RunAsync(string? input, params string[] args)
    {
        var process = Start(args, redirectInput: true);
        // The same output capture as a serving process's.
        await using var studio = new StudioProcess(process, null);
        if (input is not null) await process.StandardInput.WriteLineAsync(input);
        process.StandardInput.Close();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        process.WaitForExit();
        return (process.ExitCode, studio.Output);
    }

    public static async Task<StudioProcess> StartWorkerAsync(string dataDir, params string[] extra)
    {
        var process = Start(["worker", $"--ProCo:DataDir={dataDir}", .. FastJobs, .. extra]);
        var studio = new StudioProcess(process, null);
        await Task.Delay(1500);
        if (process.HasExited) throw new InvalidOperationException("proco worker exited:\n" + studio.Output);
        return studio;
    }

    private static Process Start(string[] args, bool redirectInput = false)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = AppContext.BaseDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = redirectInput,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "proco.dll"));
        foreach (var arg in args) info.ArgumentList.Add(arg);
        info.Environment["Logging__LogLevel__Default"] = "Warning";
        return Process.Start(info) ?? throw new InvalidOperationException("dotnet did not start");
    }

    /// <summary>SIGKILL: no shutdown code runs.</summary>
    public void Kill()
    {
        _process.Kill(entireProcessTree: true);
        _process.WaitForExit(10_000);
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
    }
}

/// <summary>Small helpers over the REST API.</summary>
public static class Api
{
    /// <summary>A run that trains in a second or two on Fashion-MNIST-LT.</summary>
    public static object TinyConfig(int epochs = 2, int maxPerClass = 60, int seed = 0) => new
    {
        dataset = "fashion-mnist", imbalanceFactor = 0.1, maxPerClass, maxTestPerClass = 10, epochs, warmupEpochs = 1,
        batchSize = 32, learningRate = 0.05, depth = 8, featDim = 16, seed,
    };

    public static async Task<long> CreateRunAsync(HttpClient http, object config, string? name = null)
    {
        var response = await http.PostAsJsonAsync(new Uri("/api/runs", UriKind.Relative), new { name, config });
        var body = await response.Content.ReadAsStringAsync();
        if (response.StatusCode != HttpStatusCode.Created) throw new InvalidOperationException($"POST /api/runs: {response.StatusCode} {body}");
        return JsonDocument.Parse(body).RootElement.GetProperty("id").GetInt64();
    }

    /// <summary>Uploads one file as an import (its name may carry a run folder: "run/events..."), with an optional run name.</summary>
    public static async Task<(HttpStatusCode Status, string Body)> UploadAsync(HttpClient http, string fileName, byte[] bytes, string? name = null)
    {
        using var form = new MultipartFormDataContent { { new ByteArrayContent(bytes), "files", fileName } };
        if (name is not null) form.Add(new StringContent(name), "name");
        var response = await http.PostAsync(new Uri("/api/import", UriKind.Relative), form);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    /// <summary>Every stored step of one series of a run, raw.</summary>
    public static async Task<long[]> StepsAsync(HttpClient http, long id, string series)
    {
        var json = await http.GetStringAsync(new Uri($"/api/runs/{id}/metrics?series={Uri.EscapeDataString(series)}&maxPoints=1000000", UriKind.Relative));
        return JsonDocument.Parse(json).RootElement[0].GetProperty("steps").EnumerateArray().Select(s => s.GetInt64()).ToArray();
    }

    public static async Task<JsonElement> RunAsync(HttpClient http, long id)
    {
        var json = await http.GetStringAsync(new Uri($"/api/runs/{id}", UriKind.Relative));
        return JsonDocument.Parse(json).RootElement.GetProperty("run").Clone();
    }

    public static async Task<JsonElement> WaitForAsync(HttpClient http, long id, Func<JsonElement, bool> condition, TimeSpan timeout, Func<string>? diagnostics = null)
    {
        var deadline = DateTime.UtcNow + timeout;
        JsonElement run = default;
        while (DateTime.UtcNow < deadline)
        {
            run = await RunAsync(http, id);
            if (condition(run)) return run;
            await Task.Delay(150);
        }
        throw new TimeoutException($"run {id} did not reach the expected state within {timeout}: {run}\n{diagnostics?.Invoke()}");
    }

    /// <summary>Waits for a console line of the run that <paramref name="condition"/> accepts.</summary>
    public static async Task WaitForEventAsync(HttpClient http, long id, Func<string, bool> condition, TimeSpan timeout, Func<string>? diagnostics = null)
    {
        var deadline = DateTime.UtcNow + timeout;
        string[] messages = [];
        while (DateTime.UtcNow < deadline)
        {
            messages = [.. (await EventsAsync(http, id)).Select(e => e.GetProperty("message").GetString() ?? "")];
            if (messages.Any(condition)) return;
            await Task.Delay(250);
        }
        throw new TimeoutException($"run {id} logged no such line within {timeout}:\n{string.Join('\n', messages.TakeLast(20))}\n{diagnostics?.Invoke()}");
    }

    public static async Task<JsonElement[]> EventsAsync(HttpClient http, long id) =>
        JsonDocument.Parse(await http.GetStringAsync(new Uri($"/api/runs/{id}/events", UriKind.Relative))).RootElement.EnumerateArray().Select(e => e.Clone()).ToArray();
}
