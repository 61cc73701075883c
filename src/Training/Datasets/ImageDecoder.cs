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
/// Decodes image files with SkiaSharp (libjpeg-turbo, libpng, libwebp) into RGBA bitmaps, and cuts
/// the views the augmentation needs out of them. Truncated JPEG and PNG files are refused, as PIL
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

    /// <summary>
    /// Crops <paramref name="box"/> (left, top, width, height in pixels) out of <paramref name="source"/> and
    /// resizes it to <paramref name="size"/>² into <paramref name="destination"/> (RGBA, size·size·4 bytes);
    /// bilinear or bicubic (Catmull-Rom) sampling.
    /// </summary>
    public static void ResizedCrop(SKBitmap source, SKRectI box, int size, bool bicubic, Span<byte> destination)
    {
        using var crop = new SKBitmap();
        if (!source.ExtractSubset(crop, box)) throw new ArgumentOutOfRangeException(nameof(box), box, "The crop box is outside the image.");
        Scale(crop, size, size, bicubic, destination);
    }

    /// <summary>
    /// The evaluation view: the shorter side resized to <paramref name="resize"/> (bilinear, as
    /// torchvision's Resize), then the centre <paramref name="size"/>² crop, into <paramref name="destination"/> (RGBA).
    /// </summary>
    public static void ResizeCentreCrop(SKBitmap source, int resize, int size, Span<byte> destination)
    {
        var (w, h) = (source.Width, source.Height);
        // torchvision: the shorter side becomes `resize`, the longer int(resize · long / short).
        var (rw, rh) = w <= h ? (resize, (int)((long)resize * h / w)) : ((int)((long)resize * w / h), resize);
        var scaled = new byte[rw * rh * 4];
        Scale(source, rw, rh, false, scaled);
        var top = (int)Math.Round((rh - size) / 2.0, MidpointRounding.ToEven);
        var left = (int)Math.Round((rw - size) / 2.0, MidpointRounding.ToEven);
        for (var row = 0; row < size; row++)
        {
            var y = Math.Clamp(top + row, 0, rh - 1);
            var from = scaled.AsSpan((y * rw + Math.Max(0, left)) * 4, Math.Min(size, rw) * 4);
            from.CopyTo(destination.Slice(row * size * 4));
        }
    }

    private static void Scale(SKBitmap source, int width, int height, bool bicubic, Span<byte> destination)
    {
        var info = new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        using var target = new SKBitmap(info);
        var sampling = bicubic ? new SKSamplingOptions(SKCubicResampler.CatmullRom) : new SKSamplingOptions(SKFilterMode.Linear, SKMipmapMode.Linear);
        if (!source.ScalePixels(target, sampling)) throw new InvalidOperationException("Resizing an image failed.");
        target.GetPixelSpan().CopyTo(destination);
    }
}
