using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Data.Sqlite;

namespace ProCo.Web.Tests;

/// <summary>Runs survive kills, duplicate deliveries and a second worker: real processes, on SQLite files and on PostgreSQL.</summary>
[Collection("processes")]
public sealed class RunExecutionTests
{
    [Theory]
    [MemberData(nameof(TestStore.Engines), MemberType = typeof(TestStore))]
    public async Task KillMinus9MidEpoch_RestartResumesFromCheckpoint_AndNoPointIsDuplicated(string engine)
    {
        using var store = new TestStore(engine);
        long id;
        var first = await StudioProcess.StartServeAsync(store.DataDir, store.Args);
        await using (first)
        {
            using var http = new HttpClient { BaseAddress = first.Address };
            id = await Api.CreateRunAsync(http, Api.TinyConfig(epochs: 4, maxPerClass: 150));
            // After the first epoch's checkpoint, wait for a few steps of epoch 2, then SIGKILL.
            var run = await Api.WaitForAsync(http, id, r => r.GetProperty("completedEpochs").GetInt32() >= 1, TimeSpan.FromSeconds(90), () => first.Output);
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (!(await http.GetStringAsync(new Uri($"/api/runs/{id}/checkpoints", UriKind.Relative))).Contains("\"last\"", StringComparison.Ordinal)
                   && DateTime.UtcNow < deadline)
                await Task.Delay(50);
            Assert.Equal("Running", run.GetProperty("status").GetString());
            first.Kill();
        }
        if (engine == "sqlite") Assert.Equal("ok", store.Text("PRAGMA integrity_check"));
        Assert.Equal("Running", store.Text($"SELECT \"Status\" FROM \"Runs\" WHERE \"Id\" = {id}"));

        await using var second = await StudioProcess.StartServeAsync(store.DataDir, store.Args);
        using var http2 = new HttpClient { BaseAddress = second.Address };
        var done = await Api.WaitForAsync(http2, id, r => r.GetProperty("status").GetString() is "Succeeded" or "Failed", TimeSpan.FromSeconds(120), () => second.Output);
        Assert.Equal("Succeeded", done.GetProperty("status").GetString());

        var events = await Api.EventsAsync(http2, id);
        Assert.Contains(events, e => e.GetProperty("message").GetString()!.Contains("resuming from runs/", StringComparison.Ordinal));
        Assert.Equal(2, store.Scalar($"SELECT \"Attempts\" FROM \"Runs\" WHERE \"Id\" = {id}"));
        var stepsPerEpoch = store.Scalar($"SELECT \"StepsPerEpoch\" FROM \"Runs\" WHERE \"Id\" = {id}");
        // Every step and epoch exactly once: no gap, no second row for a (run, series, step).
        Assert.Equal(4 * stepsPerEpoch, store.Scalar($"SELECT COUNT(*) FROM \"MetricPoints\" WHERE \"RunId\" = {id} AND \"Series\" = 'CE_loss/train'"));
        Assert.Equal(4 * stepsPerEpoch, store.Scalar($"SELECT COUNT(DISTINCT \"Step\") FROM \"MetricPoints\" WHERE \"RunId\" = {id} AND \"Series\" = 'CE_loss/train'"));
        Assert.Equal(4, store.Scalar($"SELECT COUNT(*) FROM \"MetricPoints\" WHERE \"RunId\" = {id} AND \"Series\" = 'acc/val_top1'"));
        Assert.Equal(4, store.Scalar($"SELECT COUNT(*) FROM \"EpochVectors\" WHERE \"RunId\" = {id} AND \"Kind\" = 'kappa'"));
    }

    [Theory]
    [MemberData(nameof(TestStore.Engines), MemberType = typeof(TestStore))]
    public async Task TwoWorkerProcesses_ManyTinyRuns_EachRunIsTrainedExactlyOnce(string engine)
    {
        using var store = new TestStore(engine);
        await using var serve = await StudioProcess.StartServeAsync(store.DataDir, store.Args);
        await using var worker = await StudioProcess.StartWorkerAsync(store.DataDir, store.Args);
        using var http = new HttpClient { BaseAddress = serve.Address };
        var ids = new List<long>();
        for (var i = 0; i < 6; i++) ids.Add(await Api.CreateRunAsync(http, Api.TinyConfig(epochs: 1, maxPerClass: 40, seed: i)));
        foreach (var id in ids)
        {
            var run = await Api.WaitForAsync(http, id, r => r.GetProperty("status").GetString() is "Succeeded" or "Failed", TimeSpan.FromSeconds(120),
                () => serve.Output + worker.Output);
            Assert.Equal("Succeeded", run.GetProperty("status").GetString());
        }
        var workers = new HashSet<string>();
        foreach (var id in ids)
        {
            Assert.Equal(1, store.Scalar($"SELECT \"Attempts\" FROM \"Runs\" WHERE \"Id\" = {id}"));
            var starts = (await Api.EventsAsync(http, id)).Select(e => e.GetProperty("message").GetString()!).Where(m => m.StartsWith("Started by ", StringComparison.Ordinal)).ToArray();
            Assert.Single(starts);
            workers.Add(starts[0].Split(' ')[2]);
        }
        // Each run's steps once: trained by one worker, never two.
        foreach (var id in ids) Assert.Equal(store.StepsPerEpoch(id), store.Count(id, "CE_loss/train"));
    }

    [Theory]
    [MemberData(nameof(TestStore.Engines), MemberType = typeof(TestStore))]
    public async Task WebOnlyServer_StreamsARunTrainedByAWorkerProcess_ThroughTheHub(string engine)
    {
        using var store = new TestStore(engine);
        await using var web = await StudioProcess.StartServeAsync(store.DataDir, [.. store.Args, "--ProCo:Workers=0"]);
        await using var worker = await StudioProcess.StartWorkerAsync(store.DataDir, store.Args);
        using var http = new HttpClient { BaseAddress = web.Address };
        var id = await Api.CreateRunAsync(http, Api.TinyConfig(epochs: 4, maxPerClass: 150));

        var points = new System.Collections.Concurrent.ConcurrentBag<(string Series, long Step)>();
        var statuses = new System.Collections.Concurrent.ConcurrentQueue<string>();
        await using var hub = new Microsoft.AspNetCore.SignalR.Client.HubConnectionBuilder()
            .WithUrl(new Uri(web.Address!, "hubs/runs")).Build();
        hub.On<System.Text.Json.JsonElement>("Points", message =>
        {
            foreach (var p in message.GetProperty("points").EnumerateArray()) points.Add((p.GetProperty("s").GetString()!, p.GetProperty("t").GetInt64()));
        });
        hub.On<System.Text.Json.JsonElement>("Run", message => statuses.Enqueue(message.GetProperty("status").GetString()!));
        await hub.StartAsync();
        await hub.InvokeAsync("Subscribe", id);
        // As a page does: once subscribed, read what is stored; everything after arrives live.
        var caughtUp = (await Api.StepsAsync(http, id, "CE_loss/train")).ToHashSet();

        var run = await Api.WaitForAsync(http, id, r => r.GetProperty("status").GetString() is "Succeeded" or "Failed", TimeSpan.FromSeconds(120),
            () => web.Output + worker.Output);
        Assert.Equal("Succeeded", run.GetProperty("status").GetString());
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (!statuses.Contains("Succeeded") && DateTime.UtcNow < deadline) await Task.Delay(100);

        // The web process trained nothing; the worker did, and its points reached the hub anyway.
        var started = (await Api.EventsAsync(http, id)).Select(e => e.GetProperty("message").GetString()!).Single(m => m.StartsWith("Started by ", StringComparison.Ordinal));
        Assert.Contains("Succeeded", statuses);
        var losses = points.Where(p => p.Series == "CE_loss/train").Select(p => p.Step).ToHashSet();
        Assert.True(losses.Count >= 10, $"only {losses.Count} loss points streamed; {started}");
        // No step falls between the read and the stream.
        var stored = await Api.StepsAsync(http, id, "CE_loss/train");
        Assert.Equal(stored, caughtUp.Union(losses).Order());
        Assert.Contains(points, p => p.Series == "acc/val_top1");
    }

    [Theory]
    [MemberData(nameof(TestStore.Engines), MemberType = typeof(TestStore))]
    public async Task JobDeliveredAgainWhileTraining_DoesNotTrainTheRunTwice(string engine)
    {
        using var store = new TestStore(engine);
        await using var serve = await StudioProcess.StartServeAsync(store.DataDir, store.Args);
        await using var worker = await StudioProcess.StartWorkerAsync(store.DataDir, store.Args);
        using var http = new HttpClient { BaseAddress = serve.Address };
        const int epochs = 8;
        var id = await Api.CreateRunAsync(http, Api.TinyConfig(epochs: epochs, maxPerClass: 200));
        await Api.WaitForAsync(http, id, r => r.GetProperty("completedEpochs").GetInt32() >= 1, TimeSpan.FromSeconds(120), () => serve.Output + worker.Output);

        // While it trains, its job reaches the workers a second time (as Hangfire redelivers a job that outlived its
        // invisibility timeout); the free worker takes it, and must leave the run alone.
        store.DeliverAgain(id);
        const string refused = "the run is already taken or finished";
        await Api.WaitForEventAsync(http, id, m => m.Contains(refused, StringComparison.Ordinal), TimeSpan.FromSeconds(90), () => serve.Output + worker.Output);
        var run = await Api.WaitForAsync(http, id, r => r.GetProperty("status").GetString() is "Succeeded" or "Failed", TimeSpan.FromSeconds(180),
            () => serve.Output + worker.Output);
        Assert.Equal("Succeeded", run.GetProperty("status").GetString());

        var messages = (await Api.EventsAsync(http, id)).Select(e => e.GetProperty("message").GetString()!).ToArray();
        Assert.Single(messages, m => m.StartsWith("Started by ", StringComparison.Ordinal));
        Assert.Contains(messages, m => m.Contains(refused, StringComparison.Ordinal));
        Assert.Equal(1, store.Scalar($"SELECT \"Attempts\" FROM \"Runs\" WHERE \"Id\" = {id}"));
        var stepsPerEpoch = store.Scalar($"SELECT \"StepsPerEpoch\" FROM \"Runs\" WHERE \"Id\" = {id}");
        Assert.Equal(epochs * stepsPerEpoch, store.Scalar($"SELECT COUNT(*) FROM \"MetricPoints\" WHERE \"RunId\" = {id} AND \"Series\" = 'CE_loss/train'"));
    }

    [Theory]
    [MemberData(nameof(TestStore.Engines), MemberType = typeof(TestStore))]
    public async Task TheStoreRefusingPointsMidRun_FailsTheRunLoudly_AndEveryAcknowledgedPointIsStored(string engine)
    {
        using var store = new TestStore(engine);
        await using var serve = await StudioProcess.StartServeAsync(store.DataDir, [.. store.Args, "--ProCo:Jobs:WriteRetrySeconds=0.05"]);
        using var http = new HttpClient { BaseAddress = serve.Address };
        var id = await Api.CreateRunAsync(http, Api.TinyConfig(epochs: 6, maxPerClass: 150));
        await Api.WaitForAsync(http, id, r => r.GetProperty("completedEpochs").GetInt32() >= 1, TimeSpan.FromSeconds(90), () => serve.Output);
        // Its first checkpoint is recorded (it follows the epoch's flush: a refusal before it would leave none, rightly).
        var recorded = DateTime.UtcNow.AddSeconds(60);
        while (store.Scalar($"SELECT COUNT(*) FROM \"Checkpoints\" WHERE \"RunId\" = {id} AND \"Kind\" = 'last'") == 0 && DateTime.UtcNow < recorded)
            await Task.Delay(100);

        // The database starts refusing metric points (as a full disk or a lost permission would), nothing else.
        const string refusal = "the store refuses metric points";
        store.Value(engine == "sqlite"
            ? $"CREATE TRIGGER refuse_points BEFORE INSERT ON \"MetricPoints\" BEGIN SELECT RAISE(ABORT, '{refusal}'); END;"
            : $"CREATE FUNCTION refuse_points() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION '{refusal}'; END; $$ LANGUAGE plpgsql; " +
              "CREATE TRIGGER refuse_points BEFORE INSERT ON \"MetricPoints\" FOR EACH ROW EXECUTE FUNCTION refuse_points();");
        var run = await Api.WaitForAsync(http, id, r => r.GetProperty("status").GetString() is "Succeeded" or "Failed", TimeSpan.FromSeconds(90), () => serve.Output);

        // Loudly: failed, with the database's reason on the run and in its console.
        Assert.Equal("Failed", run.GetProperty("status").GetString());
        Assert.Contains(refusal, run.GetProperty("error").GetString(), StringComparison.Ordinal);
        var messages = (await Api.EventsAsync(http, id)).Select(e => e.GetProperty("message").GetString()!).ToArray();
        Assert.Contains(messages, m => m.StartsWith("Training failed: Storing the run's numbers failed", StringComparison.Ordinal) && m.Contains(refusal, StringComparison.Ordinal));
        // Acknowledged: every epoch with a checkpoint had everything before it stored (a checkpoint follows a flush that succeeded).
        var stepsPerEpoch = store.StepsPerEpoch(id);
        var checkpointed = store.Scalar($"SELECT \"Epoch\" FROM \"Checkpoints\" WHERE \"RunId\" = {id} AND \"Kind\" = 'last'");
        Assert.True(checkpointed >= 1);
        Assert.True(store.Count(id, "CE_loss/train") >= checkpointed * stepsPerEpoch,
            $"{store.Count(id, "CE_loss/train")} points of CE_loss/train stored, {checkpointed} checkpointed epochs of {stepsPerEpoch} steps");
        Assert.Equal(checkpointed, store.Scalar($"SELECT COUNT(*) FROM \"MetricPoints\" WHERE \"RunId\" = {id} AND \"Series\" = 'acc/val_top1' AND \"Step\" <= {checkpointed}"));
        // Resumable from its last checkpoint, as the message says.
        Assert.True(run.GetProperty("canResume").GetBoolean());
    }
}

[CollectionDefinition("processes", DisableParallelization = true)]
public sealed class ProcessTests;
