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
    /// <summary>Official sources of a dataset (<see cref="DatasetInfo.Downloads"/>).</summary>
    public static IReadOnlyList<DownloadSource> OfficialSources(string key) =>
        KnownDatasets.Get(key).Downloads is { Count: > 0 } sources ? sources : throw new ArgumentException($"No download source for '{key}'.");

    /// <summary>
    /// Where <paramref name="key"/>'s files come from: the publisher's addresses, or the same file names under
    /// <paramref name="mirror"/> (<c>ProCo:DownloadMirror</c>, a lab's own copy) when one is set. Checksums are the published ones either way.
    /// A mirror that is not an http or https address is refused (<see cref="ArgumentException"/>).
    /// </summary>
    public static IReadOnlyList<DownloadSource> Sources(string key, string? mirror)
    {
        var official = OfficialSources(key);
        if (string.IsNullOrWhiteSpace(mirror)) return official;
        if (!Uri.TryCreate(mirror.TrimEnd('/') + "/", UriKind.Absolute, out var root) || root.Scheme is not ("http" or "https"))
            throw new ArgumentException($"ProCo:DownloadMirror '{mirror}' is not an http or https address (for example http://files.lab/datasets/).");
        return [.. official.Select(s => s with { Url = new Uri(root, s.FileName) })];
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
