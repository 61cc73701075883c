using System.Net.Http.Json;
using System.Text.Json;

namespace ProCo.Browser.Tests;

/// <summary>REST helpers the browser tests use to set the stage.</summary>
public static class Runs
{
    public static object Tiny(int epochs, int maxPerClass = 60, int seed = 0, double lr = 0.05, string method = "proco", double alpha = 1.0) => new
    {
        method, alpha, dataset = "fashion-mnist", imbalanceFactor = 0.1, maxPerClass, maxTestPerClass = 10, epochs, warmupEpochs = 1,
        batchSize = 32, learningRate = lr, depth = 8, featDim = 16, seed,
    };

    public static async Task<long> CreateAsync(HttpClient http, object config, string name)
    {
        var response = await http.PostAsJsonAsync(new Uri("/api/runs", UriKind.Relative), new { name, config });
        if (!response.IsSuccessStatusCode)
            throw new InvalidOperationException($"POST /api/runs: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetInt64();
    }

    public static async Task<string> StatusAsync(HttpClient http, long id) =>
        JsonDocument.Parse(await http.GetStringAsync(new Uri($"/api/runs/{id}", UriKind.Relative))).RootElement.GetProperty("run").GetProperty("status").GetString()!;

    /// <summary>The run's error lines (with the trainer's stack, where it threw), for a test's failure message.</summary>
    public static async Task<string> ErrorsAsync(HttpClient http, long id)
    {
        var events = JsonDocument.Parse(await http.GetStringAsync(new Uri($"/api/runs/{id}/events", UriKind.Relative))).RootElement;
        var list = events.ValueKind == JsonValueKind.Array ? events : events.GetProperty("events");
        return string.Join("\n", list.EnumerateArray().Where(e => e.GetProperty("level").GetString() == "error").Select(e => e.GetProperty("message").GetString()));
    }

    public static async Task WaitForStatusAsync(HttpClient http, long id, string status, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        var last = "";
        while (DateTime.UtcNow < deadline)
        {
            last = await StatusAsync(http, id);
            if (last == status) return;
            if (last == "Failed" && status != "Failed") throw new InvalidOperationException($"run {id} failed:\n{await ErrorsAsync(http, id)}");
            await Task.Delay(200);
        }
        throw new TimeoutException($"run {id} is {last}, not {status}, after {timeout}");
    }

    /// <summary>
    /// Cancels every queued or running run and waits until none trains, so that one test's
    /// leftover run (after a failure, say) does not hold the worker the next test needs.
    /// </summary>
    public static async Task CancelUnfinishedAsync(HttpClient http, TimeSpan timeout)
    {
        async Task<long[]> IdsAsync(string status) =>
            JsonDocument.Parse(await http.GetStringAsync(new Uri($"/api/runs?status={status}&pageSize=500", UriKind.Relative))).RootElement
                .GetProperty("items").EnumerateArray().Select(r => r.GetProperty("id").GetInt64()).ToArray();
        foreach (var id in (await IdsAsync("Queued")).Concat(await IdsAsync("Running")))
            await http.PostAsync(new Uri($"/api/runs/{id}/cancel", UriKind.Relative), null);
        var deadline = DateTime.UtcNow + timeout;
        while ((await IdsAsync("Running")).Length > 0)
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"runs still training {timeout} after they were cancelled");
            await Task.Delay(200);
        }
    }

    public static async Task<long[]> StepsAsync(HttpClient http, long id, string series)
    {
        var json = JsonDocument.Parse(await http.GetStringAsync(new Uri($"/api/runs/{id}/metrics?series={series}&maxPoints=1000000", UriKind.Relative))).RootElement;
        return json[0].GetProperty("steps").EnumerateArray().Select(s => s.GetInt64()).ToArray();
    }

    /// <summary>Every epoch's values of a per-class vector (kappa, kappa_test, accuracy, counts), in epoch order.</summary>
    public static async Task<double[][]> VectorsAsync(HttpClient http, long id, string kind)
    {
        var json = JsonDocument.Parse(await http.GetStringAsync(new Uri($"/api/runs/{id}/vectors?kind={kind}", UriKind.Relative))).RootElement;
        return json.EnumerateArray().Select(e => e.GetProperty("values").EnumerateArray().Select(v => v.GetDouble()).ToArray()).ToArray();
    }

    /// <summary>The last epoch's values of a per-class vector.</summary>
    public static async Task<double[]> LastVectorAsync(HttpClient http, long id, string kind) => (await VectorsAsync(http, id, kind))[^1];

    /// <summary>Spearman's rank correlation, ties at their mean rank (rank = values below + (equal values + 1) / 2).</summary>
    public static double Spearman(double[] x, double[] y)
    {
        static double[] Ranks(double[] v) =>
            v.Select(a => v.Count(b => b < a) + (v.Count(b => b == a) + 1) / 2.0).ToArray();
        var (rx, ry) = (Ranks(x), Ranks(y));
        var (mx, my) = (rx.Average(), ry.Average());
        var cov = rx.Zip(ry, (a, b) => (a - mx) * (b - my)).Sum();
        return cov / Math.Sqrt(rx.Sum(a => (a - mx) * (a - mx)) * ry.Sum(b => (b - my) * (b - my)));
    }
}
