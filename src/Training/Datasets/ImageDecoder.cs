using SkiaSharp;

namespace ProCo.Training.Datasets;

/// <summary>An image file that cannot be used: missing, truncated or not decodable.</summary>
public sealed class UnreadableImageException(string path, string reason)
    : Exception($"Cannot read the image {path}: {reason}.")
{
    /// <summary>The file.</summary>
    public string Path { get; } = path;

    /// <summary>Why (missing, truncated, not an image the decoder knows ...).</summary>
    public string Reason { get; } = reason;
}

/// <summary>
/// Decodes image files with SkiaSharp (libjpeg-turbo, libpng, libwebp) into RGBA bitmaps (the views are cut
/// from them by <see cref="Augment.PixelOps"/>). Truncated JPEG and PNG files are refused, as PIL
/// refuses them, although the decoders would fill the missing rows silently.
/// </summary>
public static class ImageDecoder
{
    // Bytes a JPEG may carry after its end-of-image marker (some cameras pad files) before the file counts as damaged.
    private const int JpegTrailingSlack = 1024;
    private static readonly byte[] PngSignature = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];

    /// <summary>Decodes <paramref name="path"/> to an RGBA bitmap (alpha dropped as PIL's convert("RGB")), or throws <see cref="UnreadableImageException"/>.</summary>
    public static SKBitmap Decode(string path)
    {
        byte[] data;
        try
        {
            data = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new UnreadableImageException(path, "missing");
        }
        catch (UnauthorizedAccessException)
        {
            throw new UnreadableImageException(path, "not readable by the server (permissions)");
        }
        // Any other I/O error (a network file system that hiccups) is not the file's fault: it propagates and
        // stops the run with its checkpoint, rather than silently changing the batch.
        if (Truncation(data) is { } truncated) throw new UnreadableImageException(path, truncated);
        using var stream = new SKMemoryStream(data);
        using var codec = SKCodec.Create(stream, out var result);
        if (codec is null) throw new UnreadableImageException(path, $"not an image the decoder knows ({result})");
        var info = new SKImageInfo(codec.Info.Width, codec.Info.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        if (info.Width <= 0 || info.Height <= 0) throw new UnreadableImageException(path, "no pixels");
        var bitmap = new SKBitmap(info);
        var status = codec.GetPixels(info, bitmap.GetPixels());
        if (status != SKCodecResult.Success)
        {
            bitmap.Dispose();
            throw new UnreadableImageException(path, status == SKCodecResult.IncompleteInput ? "truncated" : $"decoding failed ({status})");
        }
        return bitmap;
    }

    /// <summary>Why <paramref name="path"/> cannot be used, or null when it decodes.</summary>
    public static string? Problem(string path)
    {
        try
        {
            using var bitmap = Decode(path);
            return null;
        }
        catch (UnreadableImageException e)
        {
            return e.Reason;
        }
    }

    /// <summary>"truncated" when a JPEG lacks its end-of-image marker or a PNG its IEND chunk; null otherwise.</summary>
    public static string? Truncation(ReadOnlySpan<byte> data)
    {
        if (data.Length >= 3 && data[0] == 0xFF && data[1] == 0xD8 && data[2] == 0xFF)
        {
            var from = Math.Max(0, data.Length - JpegTrailingSlack - 2);
            return data[from..].LastIndexOf((ReadOnlySpan<byte>)[0xFF, 0xD9]) < 0 ? "truncated (no JPEG end-of-image marker)" : null;
        }
        if (data.Length >= 8 && data[..8].SequenceEqual(PngSignature))
            return data.Length < 12 || data[^12..].IndexOf("IEND"u8) < 0 ? "truncated (no PNG IEND chunk)" : null;
        return null;
    }
}
