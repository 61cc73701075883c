using System.Collections.Concurrent;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.AspNetCore.SignalR.Client;
using ProCo.Tests;
using ProCo.Web.Runs;

namespace ProCo.Web.Tests;

/// <summary>
/// A lab's layout on loopback: PostgreSQL for runs and jobs, Redis for the live path, one shared
/// artifacts folder, and web instances and workers that each have a data folder of their own (as
/// separate hosts would). Real servers and real `proco` processes.
/// </summary>
[Collection("processes")]
public sealed class ManyMachinesTests
{
    private sealed class Lab(TestStore store) : IDisposable
    {
        public TestStore Store { get; } = store;
        public string Artifacts { get; } = store.NewDataDir();

        /// <summary>What every process of the lab is given; each also gets a data folder of its own.</summary>
        public string[] Shared => [.. Store.Args, $"--ProCo:Redis={LocalServers.RedisConfiguration}", $"--ProCo:ArtifactsDir={Artifacts}"];

        public Task<StudioProcess> WebAsync() => StudioProcess.StartServeAsync(Store.NewDataDir(), [.. Shared, "--ProCo:Workers=0"]);

        public Task<StudioProcess> WorkerAsync() => StudioProcess.StartWorkerAsync(Store.NewDataDir(), Shared);

        public void Dispose() => Store.Dispose();
    }

    private static string Started(JsonElement[] events) =>
        Assert.Single(events.Select(e => e.GetProperty("message").GetString()!), m => m.StartsWith("Started by ", StringComparison.Ordinal));

    [Fact]
    public async Task TwoWebInstancesTwoWorkers_SixRunsEachTrainedOnce_StreamedThroughInstanceA_WhileBServesTheApi()
    {
        using var lab = new Lab(new TestStore("postgres"));
        await using var webA = await lab.WebAsync();
        await using var webB = await lab.WebAsync();
        await using var worker1 = await lab.WorkerAsync();
        await using var worker2 = await lab.WorkerAsync();
        string Output() => webA.Output + webB.Output + worker1.Output + worker2.Output;
        using var apiB = new HttpClient { BaseAddress = webB.Address };

        // The watched run is longer, so that most of it streams after the subscription.
        var watched = await Api.CreateRunAsync(apiB, Api.TinyConfig(epochs: 4, maxPerClass: 150));
        var points = new ConcurrentBag<(string Series, long Step)>();
        var statuses = new ConcurrentQueue<string>();
        await using var hubA = new HubConnectionBuilder().WithUrl(new Uri(webA.Address!, "hubs/runs")).Build();
        hubA.On<JsonElement>("Points", message =>
        {
            foreach (var p in message.GetProperty("points").EnumerateArray()) points.Add((p.GetProperty("s").GetString()!, p.GetProperty("t").GetInt64()));
        });
        hubA.On<JsonElement>("Run", message => statuses.Enqueue(message.GetProperty("status").GetString()!));
        await hubA.StartAsync();
        await hubA.InvokeAsync("Subscribe", watched);
        // As a page does: subscribed on A, it reads what is stored through B; everything after arrives live on A.
        var caughtUp = (await Api.StepsAsync(apiB, watched, "CE_loss/train")).ToHashSet();

        var ids = new List<long> { watched };
        for (var i = 1; i < 6; i++) ids.Add(await Api.CreateRunAsync(apiB, Api.TinyConfig(epochs: 1, maxPerClass: 40, seed: i)));
        var workers = new HashSet<string>();
        foreach (var id in ids)
        {
            var run = await Api.WaitForAsync(apiB, id, r => r.GetProperty("status").GetString() is "Succeeded" or "Failed", TimeSpan.FromSeconds(180), Output);
            Assert.Equal("Succeeded", run.GetProperty("status").GetString());
            Assert.Equal(1, lab.Store.Scalar($"SELECT \"Attempts\" FROM \"Runs\" WHERE \"Id\" = {id}"));
            workers.Add(Started(await Api.EventsAsync(apiB, id)).Split(' ')[2]);
        }
        // Each run's steps once: trained by one worker, never two.
        foreach (var id in ids) Assert.Equal((id == watched ? 4 : 1) * lab.Store.StepsPerEpoch(id), lab.Store.Count(id, "CE_loss/train"));
        // Host:pid:nonce of the trainer: only the two workers train (the web instances run no jobs).
        Assert.Subset(new HashSet<string> { $"{worker1.Pid}", $"{worker2.Pid}" }, workers.Select(w => w.Split(':')[1]).ToHashSet());

        // A trained nothing and served no API call, yet streamed the run live, stored before sent: no gap.
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!statuses.Contains("Succeeded") && DateTime.UtcNow < deadline) await Task.Delay(100);
        Assert.Contains("Succeeded", statuses);
        var live = points.Where(p => p.Series == "CE_loss/train").Select(p => p.Step).ToHashSet();
        Assert.True(live.Count >= 10, $"only {live.Count} loss points streamed through A");
        Assert.Equal(await Api.StepsAsync(apiB, watched, "CE_loss/train"), caughtUp.Union(live).Order());
        Assert.Contains(points, p => p.Series == "acc/val_top1");

        // The checkpoint a worker wrote downloads from either instance, whole and by range, with its SHA-256.
        var checkpoints = JsonDocument.Parse(await apiB.GetStringAsync(new Uri($"/api/runs/{watched}/checkpoints", UriKind.Relative))).RootElement;
        var last = checkpoints.EnumerateArray().First(c => c.GetProperty("kind").GetString() == "last");
        var sha = last.GetProperty("sha256").GetString()!;
        foreach (var web in new[] { webA, webB })
        {
            using var http = new HttpClient { BaseAddress = web.Address };
            var uri = new Uri($"/api/checkpoints/{last.GetProperty("id").GetInt64()}/download", UriKind.Relative);
            using var response = await http.GetAsync(uri);
            response.EnsureSuccessStatusCode();
            var bytes = await response.Content.ReadAsByteArrayAsync();
            Assert.Equal(sha, Convert.ToHexStringLower(SHA256.HashData(bytes)));
            Assert.Equal($"\"{sha}\"", response.Headers.ETag?.Tag);
            using var range = new HttpRequestMessage(HttpMethod.Get, uri);
            range.Headers.Range = new System.Net.Http.Headers.RangeHeaderValue(10, 19);
            using var part = await http.SendAsync(range);
            Assert.Equal(System.Net.HttpStatusCode.PartialContent, part.StatusCode);
            Assert.Equal(bytes[10..20], await part.Content.ReadAsByteArrayAsync());
        }
    }

    [Fact]
    public async Task ARunGoesOnlyToAWorkerWithItsDataset_AndWaitsSayingWhyWhenNoneHasIt()
    {
        using var lab = new Lab(new TestStore("postgres"));
        await using var web = await lab.WebAsync();
        // This worker's host has no dataset at all: it looks neither in Debian's folder nor in a folder of its own.
        await using var bare = await StudioProcess.StartWorkerAsync(lab.Store.NewDataDir(), [.. lab.Shared, "--ProCo:SearchSystemDatasets=false"]);
        using var http = new HttpClient { BaseAddress = web.Address };
        var waiting = await Api.CreateRunAsync(http, Api.TinyConfig(epochs: 1, maxPerClass: 40));
        JsonElement detail = default;
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            detail = await http.GetFromJsonAsync<JsonElement>(new Uri($"/api/runs/{waiting}", UriKind.Relative));
            if (detail.GetProperty("waiting").GetString() is { } why && why.StartsWith("The dataset", StringComparison.Ordinal)) break;
            await Task.Delay(200);
        }
        Assert.Equal("Queued", detail.GetProperty("run").GetProperty("status").GetString());
        Assert.StartsWith("The dataset fashion-mnist is missing on every live worker (", detail.GetProperty("waiting").GetString(), StringComparison.Ordinal);

        // A worker that has it joins: the waiting run and three more go to it, none to the bare one.
        await using var equipped = await lab.WorkerAsync();
        var ids = new List<long> { waiting };
        for (var i = 1; i < 4; i++) ids.Add(await Api.CreateRunAsync(http, Api.TinyConfig(epochs: 1, maxPerClass: 40, seed: i)));
        foreach (var id in ids)
        {
            var run = await Api.WaitForAsync(http, id, r => r.GetProperty("status").GetString() is "Succeeded" or "Failed", TimeSpan.FromSeconds(120),
                () => web.Output + bare.Output + equipped.Output);
            Assert.Equal("Succeeded", run.GetProperty("status").GetString());
            Assert.Equal($"{equipped.Pid}", Started(await Api.EventsAsync(http, id)).Split(' ')[2].Split(':')[1]);
        }
        var workers = (await http.GetFromJsonAsync<JsonElement>(new Uri("/api/workers", UriKind.Relative))).EnumerateArray().ToList();
        Assert.Equal(2, workers.Count);
        var bareRow = workers.Single(w => w.GetProperty("name").GetString()!.Split(':')[1] == $"{bare.Pid}");
        Assert.Empty(bareRow.GetProperty("datasets").EnumerateArray());
        Assert.Empty(bareRow.GetProperty("queues").EnumerateArray());
    }

    [Fact]
    public async Task WorkerKilledMidEpoch_AnotherWorkerResumesFromTheSharedCheckpoint_NoPointTwice()
    {
        using var lab = new Lab(new TestStore("postgres"));
        await using var web = await lab.WebAsync();
        await using var one = await lab.WorkerAsync();
        await using var two = await lab.WorkerAsync();
        using var http = new HttpClient { BaseAddress = web.Address };
        const int epochs = 6;
        var id = await Api.CreateRunAsync(http, Api.TinyConfig(epochs: epochs, maxPerClass: 150));
        await Api.WaitForAsync(http, id, r => r.GetProperty("completedEpochs").GetInt32() >= 1, TimeSpan.FromSeconds(120), () => web.Output + one.Output + two.Output);
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!(await http.GetStringAsync(new Uri($"/api/runs/{id}/checkpoints", UriKind.Relative))).Contains("\"last\"", StringComparison.Ordinal)
               && DateTime.UtcNow < deadline)
            await Task.Delay(50);

        // Whichever worker took it dies mid-run; the other is already there.
        var trainer = Started(await Api.EventsAsync(http, id)).Split(' ')[2].Split(':')[1];
        var (killed, second) = trainer == $"{one.Pid}" ? (one, two) : (two, one);
        Assert.Equal("Running", (await Api.RunAsync(http, id)).GetProperty("status").GetString());
        killed.Kill();

        var done = await Api.WaitForAsync(http, id, r => r.GetProperty("status").GetString() is "Succeeded" or "Failed", TimeSpan.FromSeconds(180),
            () => web.Output + second.Output);
        Assert.Equal("Succeeded", done.GetProperty("status").GetString());
        var messages = (await Api.EventsAsync(http, id)).Select(e => e.GetProperty("message").GetString()!).ToArray();
        var starts = messages.Where(m => m.StartsWith("Started by ", StringComparison.Ordinal)).ToArray();
        Assert.Equal(2, starts.Length);
        Assert.NotEqual(starts[0].Split(' ')[2], starts[1].Split(' ')[2]);
        Assert.Contains("resuming from runs/", starts[1], StringComparison.Ordinal);
        Assert.Equal(2, lab.Store.Scalar($"SELECT \"Attempts\" FROM \"Runs\" WHERE \"Id\" = {id}"));
        var stepsPerEpoch = lab.Store.Scalar($"SELECT \"StepsPerEpoch\" FROM \"Runs\" WHERE \"Id\" = {id}");
        Assert.Equal(epochs * stepsPerEpoch, lab.Store.Count(id, "CE_loss/train"));
        Assert.Equal(epochs, lab.Store.Scalar($"SELECT COUNT(*) FROM \"EpochVectors\" WHERE \"RunId\" = {id} AND \"Kind\" = 'kappa'"));
        // The dead worker is no longer listed; the one that finished the run is.
        var workers = (await http.GetFromJsonAsync<JsonElement>(new Uri("/api/workers", UriKind.Relative))).EnumerateArray().ToList();
        Assert.Equal($"{second.Pid}", Assert.Single(workers).GetProperty("name").GetString()!.Split(':')[1]);
    }

    [Fact]
    public async Task AStoreThatCannotBeUsed_StopsServeAndWorker_WithOneLineSayingWhy()
    {
        using var store = new TestStore("sqlite");
        var data = $"--ProCo:DataDir={store.DataDir}";
        // Nothing listens on port 1 of this machine.
        string[] down = ["--ProCo:Database=postgres", "--ProCo:ConnectionString=Host=127.0.0.1;Port=1;Username=proco;Database=proco"];
        foreach (var verb in new[] { "serve", "worker" })
        {
            var (code, output) = await StudioProcess.RunAsync(null, [verb, data, .. down]);
            Assert.Equal(2, code);
            Assert.Contains("The run database postgres://127.0.0.1:1/proco does not answer", output, StringComparison.Ordinal);
            Assert.DoesNotContain("Unhandled exception", output, StringComparison.Ordinal);
        }
        var (mistyped, text) = await StudioProcess.RunAsync(null, "serve", data, "--ProCo:Database=mysql");
        Assert.Equal(2, mistyped);
        Assert.Contains("ProCo:Database is 'mysql'; it is 'sqlite' (the default) or 'postgres'.", text, StringComparison.Ordinal);
    }
}

/// <summary>What a worker offers, from its options, checked against the devices of its host.</summary>
public sealed class WorkerDevicesTests
{
    private static WorkerDevices Resolve(int cuda, string? devices = null, string? queue = null, int? workers = null) =>
        WorkerDevices.Resolve(new ProCoOptions { Devices = devices, Queue = queue, Workers = workers }, cuda);

    [Fact]
    public void Defaults_AreEveryCudaDevice_ElseTheCpuSlots()
    {
        Assert.Equal(["cpu"], Resolve(0).Devices);
        Assert.Equal(["cpu"], Resolve(0).Kinds);
        Assert.Equal(["cpu", "cpu", "cpu"], Resolve(0, workers: 3).Devices);
        Assert.Equal(["cuda:0", "cuda:1"], Resolve(2).Devices);
        Assert.Equal(["gpu", "cpu"], Resolve(2).Kinds);
    }

    [Fact]
    public void DevicesAndQueue_AsTheWorkerCommandGivesThem()
    {
        var gpuOnly = Resolve(2, "cuda:0,cuda:1", "gpu");
        Assert.Equal(2, gpuOnly.Slots);
        Assert.Equal(["gpu"], gpuOnly.Kinds);
        Assert.Equal(["cpu"], Resolve(2, "cuda:1", "cpu").Kinds);
    }

    [Theory]
    [InlineData(0, "cuda:0", null, "this host has no CUDA device")]
    [InlineData(2, "cuda:2", null, "2 CUDA device(s): cuda:0 to cuda:1")]
    [InlineData(2, "cuda:0,cuda:0", null, "names a CUDA device twice")]
    [InlineData(2, "gpu0", null, "devices are cpu or cuda:N")]
    [InlineData(0, null, "gpu", "has no CUDA device")]
    [InlineData(1, null, "tpu", "the queues are gpu and cpu")]
    public void ImpossibleOffers_RefuseToStart_SayingWhy(int cuda, string? devices, string? queue, string reason) =>
        Assert.Contains(reason, Assert.Throws<StartupRefusedException>(() => Resolve(cuda, devices, queue)).Message, StringComparison.Ordinal);
}
