using System.Formats.Tar;
using System.IO.Compression;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using ProCo.Tests;
using ProCo.Training.Datasets;

namespace ProCo.Training.Tests;

/// <summary>The downloader against a real HTTP server on 127.0.0.1 serving files in the real formats.</summary>
public sealed class DownloaderTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "proco-dl-" + Guid.NewGuid().ToString("N"));
    private readonly HttpListener _listener = new();
    private readonly Dictionary<string, byte[]> _files = [];
    private readonly Uri _base;

    public DownloaderTests()
    {
        Directory.CreateDirectory(_root);
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        _base = new Uri($"http://127.0.0.1:{port}/");
        _listener.Prefixes.Add(_base.ToString());
        _listener.Start();
        _ = Task.Run(async () =>
        {
            while (_listener.IsListening)
            {
                HttpListenerContext context;
                try { context = await _listener.GetContextAsync(); } catch (Exception) { return; }
                var name = context.Request.Url!.AbsolutePath.TrimStart('/');
                if (_files.TryGetValue(name, out var body))
                {
                    context.Response.ContentLength64 = body.Length;
                    await context.Response.OutputStream.WriteAsync(body);
                }
                else context.Response.StatusCode = 404;
                context.Response.Close();
            }
        });
    }

    public void Dispose()
    {
        _listener.Close();
        Directory.Delete(_root, recursive: true);
    }

    private static byte[] CifarTarGz(Dictionary<string, byte[]> entries)
    {
        using var buffer = new MemoryStream();
        using (var gz = new GZipStream(buffer, CompressionLevel.Fastest, leaveOpen: true))
        using (var tar = new TarWriter(gz))
        {
            foreach (var (name, data) in entries)
                tar.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, name) { DataStream = new MemoryStream(data) });
        }
        return buffer.ToArray();
    }

    private byte[] Cifar10Archive()
    {
        var dir = Path.Combine(_root, "build");
        Directory.CreateDirectory(dir);
        var entries = new Dictionary<string, byte[]>();
        foreach (var name in Enumerable.Range(1, 5).Select(i => $"data_batch_{i}").Append("test_batch"))
        {
            var path = Path.Combine(dir, name);
            DatasetFiles.WriteCifarPython(path, DatasetFiles.Pixels(4, 3072), [1, 2, 3, 4], cifar100: false);
            entries[$"cifar-10-batches-py/{name}"] = File.ReadAllBytes(path);
        }
        return CifarTarGz(entries);
    }

    [Fact]
    public void Sources_UnderAMirror_KeepTheFileNamesAndPublishedChecksums_AndAMistypedMirrorIsRefused()
    {
        var official = DatasetDownloader.Sources("cifar10", null).Single();
        Assert.Equal("www.cs.toronto.edu", official.Url.Host);
        var mirrored = DatasetDownloader.Sources("cifar10", "http://files.lab/datasets").Single();
        Assert.Equal(new Uri("http://files.lab/datasets/cifar-10-python.tar.gz"), mirrored.Url);
        Assert.Equal((official.FileName, official.Checksum, official.Algorithm), (mirrored.FileName, mirrored.Checksum, mirrored.Algorithm));
        foreach (var mistyped in new[] { "files.lab/datasets", "ftp://files.lab/datasets" })
            Assert.Contains("is not an http or https address", Assert.Throws<ArgumentException>(() => DatasetDownloader.Sources("cifar10", mistyped)).Message);
    }

    [Fact]
    public async Task Download_WithMatchingMd5_UnpacksALoadableDataset()
    {
        var archive = Cifar10Archive();
        _files["cifar-10-python.tar.gz"] = archive;
#pragma warning disable CA5351 // matches the publisher's MD5 checksums
        var md5 = Convert.ToHexStringLower(MD5.HashData(archive));
#pragma warning restore CA5351
        var datasets = Path.Combine(_root, "datasets");
        var progress = new List<long>();
        using var http = new HttpClient();
        await new DatasetDownloader(http).DownloadAsync(
            [new DownloadSource(new Uri(_base, "cifar-10-python.tar.gz"), "cifar-10-python.tar.gz", md5, "md5", ExtractTar: true)],
            datasets, new SyncProgress(p => progress.Add(p.Done)), default);

        var splits = DatasetLoader.Load(new DatasetCatalog(datasets, searchSystemFolders: false), "cifar10");
        Assert.Equal(20, splits.Train.Count);
        Assert.Equal(archive.Length, progress[^1]);
        Assert.False(File.Exists(Path.Combine(datasets, "cifar-10-python.tar.gz")));
    }

    [Fact]
    public async Task Download_WithWrongChecksum_IsDiscardedWithAClearMessage()
    {
        _files["cifar-10-python.tar.gz"] = Cifar10Archive();
        var datasets = Path.Combine(_root, "datasets");
        using var http = new HttpClient();
        var error = await Assert.ThrowsAsync<InvalidDataException>(() => new DatasetDownloader(http).DownloadAsync(
            [new DownloadSource(new Uri(_base, "cifar-10-python.tar.gz"), "cifar-10-python.tar.gz", "0123456789abcdef0123456789abcdef", "md5", true)],
            datasets, null, default));
        Assert.Contains("does not match the published 0123456789abcdef0123456789abcdef", error.Message, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(datasets, "*", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task Download_FashionMnistIdx_IsCheckedOnItsDecompressedContent()
    {
        var labels = new byte[] { 0, 0, 8, 1, 0, 0, 0, 2, 3, 4 };
        using var gzBuffer = new MemoryStream();
        using (var gz = new GZipStream(gzBuffer, CompressionLevel.SmallestSize, leaveOpen: true)) gz.Write(labels);
        _files["t10k-labels-idx1-ubyte.gz"] = gzBuffer.ToArray();
        var datasets = Path.Combine(_root, "datasets");
        using var http = new HttpClient();
        await new DatasetDownloader(http).DownloadAsync(
            [new DownloadSource(new Uri(_base, "t10k-labels-idx1-ubyte.gz"), "fashion-mnist/t10k-labels-idx1-ubyte.gz",
                Convert.ToHexStringLower(SHA256.HashData(labels)), "sha256-gunzipped", false)], datasets, null, default);
        Assert.Equal([3, 4], IdxReader.ReadLabels(Path.Combine(datasets, "fashion-mnist", "t10k-labels-idx1-ubyte.gz")));
    }

    [Fact]
    public void Extract_EntryEscapingTheFolder_IsRefused()
    {
        var archive = Path.Combine(_root, "evil.tar.gz");
        File.WriteAllBytes(archive, CifarTarGz(new Dictionary<string, byte[]> { ["../../escaped.txt"] = [1, 2, 3] }));
        var target = Path.Combine(_root, "out");
        var error = Assert.Throws<InvalidDataException>(() => DatasetDownloader.ExtractTarGz(archive, target));
        Assert.Contains("would be written outside", error.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_root, "..", "escaped.txt")));
    }

    [Fact]
    public async Task Download_FromAnUnreachableServer_SaysWhereToPutTheFiles()
    {
        using var http = new HttpClient();
        var datasets = Path.Combine(_root, "datasets");
        var error = await Assert.ThrowsAsync<IOException>(() => new DatasetDownloader(http).DownloadAsync(
            [new DownloadSource(new Uri("http://127.0.0.1:9/x.tar.gz"), "x.tar.gz", "00", "md5", true)], datasets, null, default));
        Assert.Contains($"put the files in {datasets} by hand", error.Message, StringComparison.Ordinal);
    }

    private sealed class SyncProgress(Action<(string File, long Done, long? Total)> report) : IProgress<(string File, long Done, long? Total)>
    {
        public void Report((string File, long Done, long? Total) value) => report(value);
    }
}
