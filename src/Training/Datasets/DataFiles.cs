using System.IO.Compression;

namespace ProCo.Training.Datasets;

/// <summary>Reads dataset files whole, unzipping gzip transparently.</summary>
internal static class DataFiles
{
    /// <summary>All bytes of <paramref name="path"/>, gunzipped when it starts with the gzip magic.</summary>
    public static byte[] ReadAll(string path)
    {
        byte[] raw;
        try
        {
            raw = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new InvalidDataException($"{path}: cannot be read ({e.Message}).", e);
        }
        if (raw.Length < 2 || raw[0] != 0x1f || raw[1] != 0x8b) return raw;
        try
        {
            using var gz = new GZipStream(new MemoryStream(raw), CompressionMode.Decompress);
            using var output = new MemoryStream();
            gz.CopyTo(output);
            return output.ToArray();
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"{path}: the gzip stream is corrupt or truncated ({e.Message}).", e);
        }
        catch (EndOfStreamException e)
        {
            throw new InvalidDataException($"{path}: the gzip stream is truncated.", e);
        }
    }
}
