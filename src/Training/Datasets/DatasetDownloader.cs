using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;

namespace ProCo.Training.Datasets;

/// <summary>One file of a dataset's official distribution.</summary>
/// <param name="Url">Where the publisher serves it.</param>
/// <param name="FileName">Name it is saved under.</param>
/// <param name="Checksum">Expected digest, lower-case hex.</param>
/// <param name="Algorithm">md5 (of the file as served) or sha256-gunzipped (of its decompressed content).</param>
/// <param name="ExtractTar">A .tar.gz to unpack into the datasets folder.</param>
public sealed record DownloadSource(Uri Url, string FileName, string Checksum, string Algorithm, bool ExtractTar);

/// <summary>
/// Downloads a dataset from its official source into the datasets folder, verifying checksums,
/// reporting progress, and unpacking archives without letting an entry escape the folder.
/// </summary>
public sealed class DatasetDownloader(HttpClient http)
{
    /// <summary>Official sources: the CIFAR python archives (their published MD5s) and the four Fashion-MNIST IDX files.</summary>
    public static IReadOnlyList<DownloadSource> OfficialSources(string key)
    {
        const string fashion = "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/";
        return key switch
        {
            "cifar10" => [new(new Uri("https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"), "cifar-10-python.tar.gz", "c58f30108f718f92721af3b95e74349a", "md5", true)],
            "cifar100" => [new(new Uri("https://www.cs.toronto.edu/~kriz/cifar-100-python.tar.gz"), "cifar-100-python.tar.gz", "eb9058c3a382ffc7106e4002c42a8d85", "md5", true)],
            // Checked on the decompressed IDX content, so a re-compressed mirror (Debian's) verifies too.
            "fashion-mnist" =>
            [
                new(new Uri(fashion + "train-images-idx3-ubyte.gz"), "fashion-mnist/train-images-idx3-ubyte.gz", "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888", "sha256-gunzipped", false),
                new(new Uri(fashion + "train-labels-idx1-ubyte.gz"), "fashion-mnist/train-labels-idx1-ubyte.gz", "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9", "sha256-gunzipped", false),
                new(new Uri(fashion + "t10k-images-idx3-ubyte.gz"), "fashion-mnist/t10k-images-idx3-ubyte.gz", "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b", "sha256-gunzipped", false),
                new(new Uri(fashion + "t10k-labels-idx1-ubyte.gz"), "fashion-mnist/t10k-labels-idx1-ubyte.gz", "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34", "sha256-gunzipped", false),
            ],
            _ => throw new ArgumentException($"No download source for '{key}'."),
        };
    }

    /// <summary>
    /// Downloads and verifies every source into <paramref name="datasetsDir"/>; progress receives
    /// (file name, bytes so far, total bytes when known).
    /// </summary>
    public async Task DownloadAsync(IReadOnlyList<DownloadSource> sources, string datasetsDir,
        IProgress<(string File, long Done, long? Total)>? progress, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(datasetsDir);
        foreach (var source in sources)
        {
            var target = Path.Combine(datasetsDir, source.FileName);
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            var partial = target + ".part";
            try
            {
                using var response = await http.GetAsync(source.Url, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
                if (!response.IsSuccessStatusCode)
                    throw new IOException($"{source.Url} answered {(int)response.StatusCode} {response.ReasonPhrase}.");
                var total = response.Content.Headers.ContentLength;
                await using (var input = await response.Content.ReadAsStreamAsync(cancellationToken))
                await using (var output = File.Create(partial))
                {
                    var buffer = new byte[1 << 16];
                    long done = 0;
                    int read;
                    while ((read = await input.ReadAsync(buffer, cancellationToken)) > 0)
                    {
                        await output.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
                        done += read;
                        progress?.Report((source.FileName, done, total));
                    }
                }
                var actual = await DigestAsync(partial, source.Algorithm, cancellationToken);
                if (actual != source.Checksum)
                    throw new InvalidDataException($"{source.Url}: checksum {source.Algorithm} {actual} does not match the published {source.Checksum}; the file was discarded.");
                File.Move(partial, target, overwrite: true);
            }
            catch (HttpRequestException e)
            {
                throw new IOException($"Cannot download {source.Url} ({e.Message}). Without network access, put the files in {datasetsDir} by hand.", e);
            }
            finally
            {
                if (File.Exists(partial)) File.Delete(partial);
            }
            if (source.ExtractTar)
            {
                ExtractTarGz(target, datasetsDir);
                File.Delete(target);
            }
        }
    }

    /// <summary>Unpacks a .tar.gz under <paramref name="destination"/>; an entry that would land outside is refused.</summary>
    public static void ExtractTarGz(string archive, string destination)
    {
        var root = Path.GetFullPath(destination) + Path.DirectorySeparatorChar;
        using var file = File.OpenRead(archive);
        using var gz = new GZipStream(file, CompressionMode.Decompress);
        using var tar = new TarReader(gz);
        while (tar.GetNextEntry() is { } entry)
        {
            var path = Path.GetFullPath(Path.Combine(root, entry.Name));
            if (!path.StartsWith(root, StringComparison.Ordinal))
                throw new InvalidDataException($"{archive}: entry '{entry.Name}' would be written outside {destination}.");
            switch (entry.EntryType)
            {
                case TarEntryType.Directory:
                    Directory.CreateDirectory(path);
                    break;
                case TarEntryType.RegularFile or TarEntryType.V7RegularFile:
                    Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                    entry.ExtractToFile(path, overwrite: true);
                    break;
                // Links and devices have no place in a dataset archive.
            }
        }
    }

    private static async Task<string> DigestAsync(string path, string algorithm, CancellationToken cancellationToken)
    {
        await using var file = File.OpenRead(path);
        switch (algorithm)
        {
            case "md5":
#pragma warning disable CA5351 // The publisher's checksum is MD5: an integrity check against corruption, not security.
                return Convert.ToHexStringLower(await MD5.HashDataAsync(file, cancellationToken));
#pragma warning restore CA5351
            case "sha256-gunzipped":
            {
                await using var gz = new GZipStream(file, CompressionMode.Decompress);
                return Convert.ToHexStringLower(await SHA256.HashDataAsync(gz, cancellationToken));
            }
            default:
                throw new ArgumentException($"Unknown checksum algorithm {algorithm}.");
        }
    }
}
