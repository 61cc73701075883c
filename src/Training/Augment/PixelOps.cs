using System.Runtime.Intrinsics;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace ProCo.Training.Augment;

/// <summary>
/// The public ImageNet pipeline's per-image operations on 8-bit RGB pixels (rows of interleaved R, G, B bytes), as
/// Pillow 9.4 computes them, byte for byte: the bilinear resize of a crop and the evaluation's resize (Pillow's two-pass
/// fixed-point resampling), flips, the colour jitter's brightness, contrast, saturation and hue, grayscale, and the
/// operations RandAugment draws (point operations, enhancers, and affine transforms with bilinear or bicubic sampling).
/// Each works in place on one image's bytes, without tensors or allocations per pixel, so a loader thread makes a view
/// in a fraction of the time Pillow takes; <see cref="ImageOps"/> and <see cref="Augmenter"/> hold the same operations
/// as batched tensors (the CIFAR views, on the training device).
/// </summary>
public static class PixelOps
{
    // Pillow's fixed point for 8-bit resampling: 32 bits less 8 for the pixel and 2 for the sign and the sum.
    private const int PrecisionBits = 32 - 8 - 2;

    /// <summary>
    /// Crops <paramref name="boxWidth"/> × <paramref name="boxHeight"/> at (<paramref name="left"/>, <paramref name="top"/>)
    /// out of an RGBA image (<paramref name="source"/>, <paramref name="width"/> pixels a row, alpha ignored) and resizes
    /// it to <paramref name="size"/>² RGB bytes as <c>image.crop(box).resize((size, size), Image.BILINEAR)</c> does in
    /// Pillow: a triangle filter widened by the scale when shrinking, coefficients in fixed point, rows first, then columns.
    /// </summary>
    public static void ResizedCrop(ReadOnlySpan<byte> source, int width, int left, int top, int boxWidth, int boxHeight, int size,
        Span<byte> destination) => ResizedCrop(source, width, left, top, boxWidth, boxHeight, size, size, destination);

    /// <summary>As the square <see cref="ResizedCrop(ReadOnlySpan{byte}, int, int, int, int, int, int, Span{byte})"/>, to <paramref name="outWidth"/> × <paramref name="outHeight"/>.</summary>
    public static void ResizedCrop(ReadOnlySpan<byte> source, int width, int left, int top, int boxWidth, int boxHeight, int outWidth, int outHeight,
        Span<byte> destination)
    {
        if (boxWidth <= 0 || boxHeight <= 0 || left < 0 || top < 0 || left + boxWidth > width || (long)(top + boxHeight) * width * 4 > source.Length)
            throw new ArgumentOutOfRangeException(nameof(boxWidth), $"The crop box {left},{top} {boxWidth}×{boxHeight} is outside the image.");
        if (destination.Length < outWidth * outHeight * 3) throw new ArgumentException("The destination is smaller than the output's RGB pixels.", nameof(destination));
        var (horizontalBounds, horizontalTaps, horizontalWidth) = Coefficients(boxWidth, outWidth);
        var (verticalBounds, verticalTaps, verticalWidth) = Coefficients(boxHeight, outHeight);
        // The horizontal pass runs on the rows the vertical one reads.
        var firstRow = verticalBounds[0];
        var lastRow = verticalBounds[2 * outHeight - 2] + verticalBounds[2 * outHeight - 1];
        var rows = lastRow - firstRow;
        var stride = outWidth * 3;
        // The rows pass keeps its bytes (clipped as Pillow's intermediate image) widened to 16 bits for the vector sums below.
        var rented = System.Buffers.ArrayPool<ushort>.Shared.Rent(rows * stride + Vector<ushort>.Count);
        var sums = System.Buffers.ArrayPool<int>.Shared.Rent(stride + Vector<int>.Count * 2);
        try
        {
            var half = 1 << (PrecisionBits - 1);
            ref var tapsH = ref MemoryMarshal.GetArrayDataReference(horizontalTaps);
            ref var temporary = ref MemoryMarshal.GetArrayDataReference(rented);
            for (var r = 0; r < rows; r++)
            {
                ref var line = ref MemoryMarshal.GetReference(source.Slice(((top + firstRow + r) * width + left) * 4, boxWidth * 4));
                ref var output = ref Unsafe.Add(ref temporary, r * stride);
                for (var x = 0; x < outWidth; x++)
                {
                    var (from, count) = (horizontalBounds[2 * x], horizontalBounds[2 * x + 1]);
                    ref var taps = ref Unsafe.Add(ref tapsH, x * horizontalWidth);
                    ref var pixel = ref Unsafe.Add(ref line, from * 4);
                    // The four bytes of a pixel as four integer lanes, each tap one multiply-add of all of them.
                    var sum = Vector128.Create(half);
                    for (var k = 0; k < count; k++)
                    {
                        var bytes = Vector128.CreateScalarUnsafe(Unsafe.ReadUnaligned<uint>(ref Unsafe.Add(ref pixel, 4 * k))).AsByte();
                        var channels = Vector128.WidenLower(Vector128.WidenLower(bytes)).AsInt32();
                        sum += channels * Vector128.Create(Unsafe.Add(ref taps, k));
                    }
                    Unsafe.Add(ref output, 3 * x) = Clip8(sum.GetElement(0));
                    Unsafe.Add(ref output, 3 * x + 1) = Clip8(sum.GetElement(1));
                    Unsafe.Add(ref output, 3 * x + 2) = Clip8(sum.GetElement(2));
                }
            }
            // Columns: every output row sums its input rows, one weighted row at a time, a vector of values at once.
            ref var sum0 = ref MemoryMarshal.GetArrayDataReference(sums);
            var lanes = Vector<ushort>.Count;
            var half8 = new Vector<int>(half);
            for (var y = 0; y < outHeight; y++)
            {
                var (from, count) = (verticalBounds[2 * y] - firstRow, verticalBounds[2 * y + 1]);
                for (var i = 0; i < stride; i += Vector<int>.Count) Vector.StoreUnsafe(half8, ref sum0, (nuint)i);
                for (var k = 0; k < count; k++)
                {
                    var weight = new Vector<int>(verticalTaps[y * verticalWidth + k]);
                    ref var row = ref Unsafe.Add(ref temporary, (from + k) * stride);
                    for (var i = 0; i < stride; i += lanes)
                    {
                        Vector.Widen(Vector.LoadUnsafe(ref row, (nuint)i), out var low, out var high);
                        var at = (nuint)i;
                        Vector.StoreUnsafe(Vector.LoadUnsafe(ref sum0, at) + Vector.AsVectorInt32(low) * weight, ref sum0, at);
                        at += (nuint)Vector<int>.Count;
                        Vector.StoreUnsafe(Vector.LoadUnsafe(ref sum0, at) + Vector.AsVectorInt32(high) * weight, ref sum0, at);
                    }
                }
                var output = destination.Slice(y * stride, stride);
                for (var i = 0; i < stride; i++) output[i] = Clip8(Unsafe.Add(ref sum0, i));
            }
        }
        finally
        {
            System.Buffers.ArrayPool<ushort>.Shared.Return(rented);
            System.Buffers.ArrayPool<int>.Shared.Return(sums);
        }
    }

    /// <summary>
    /// The evaluation view as torchvision's Resize(<paramref name="resize"/>) and CenterCrop(<paramref name="size"/>) make it from a
    /// PIL image: the shorter side resized to <paramref name="resize"/> (the longer to int(resize · long / short)) by Pillow's
    /// bilinear resampling, then the centre <paramref name="size"/>² (offsets rounded half to even), as RGB bytes.
    /// </summary>
    public static void ResizeCentreCrop(ReadOnlySpan<byte> rgba, int width, int height, int resize, int size, Span<byte> destination)
    {
        var (rw, rh) = width <= height ? (resize, (int)((long)resize * height / width)) : ((int)((long)resize * width / height), resize);
        var rented = System.Buffers.ArrayPool<byte>.Shared.Rent(rw * rh * 3);
        try
        {
            var scaled = rented.AsSpan(0, rw * rh * 3);
            ResizedCrop(rgba, width, 0, 0, width, height, rw, rh, scaled);
            var top = (int)Math.Round((rh - size) / 2.0, MidpointRounding.ToEven);
            var left = (int)Math.Round((rw - size) / 2.0, MidpointRounding.ToEven);
            for (var row = 0; row < size; row++)
            {
                var y = Math.Clamp(top + row, 0, rh - 1);
                scaled.Slice((y * rw + Math.Max(0, left)) * 3, Math.Min(size, rw) * 3).CopyTo(destination.Slice(row * size * 3));
            }
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(rented);
        }
    }

    private static byte Clip8(int value)
    {
        var shifted = value >> PrecisionBits;
        return shifted < 0 ? (byte)0 : shifted > 255 ? (byte)255 : (byte)shifted;
    }

    // Pillow's precompute_coeffs for the bilinear filter from [0, inSize) to outSize samples, then its 8-bit fixed point:
    // per output sample the first input and the number of taps (bounds), and the taps (width a sample).
    private static (int[] Bounds, int[] Taps, int Width) Coefficients(int inSize, int outSize)
    {
        var scale = (double)inSize / outSize;
        var filterScale = Math.Max(scale, 1.0);
        var support = filterScale; // the triangle's support is 1
        var width = (int)Math.Ceiling(support) * 2 + 1;
        var bounds = new int[2 * outSize];
        var taps = new int[outSize * width];
        var weights = new double[width];
        for (var o = 0; o < outSize; o++)
        {
            var centre = (o + 0.5) * scale;
            var first = Math.Max(0, (int)(centre - support + 0.5));
            var last = Math.Min(inSize, (int)(centre + support + 0.5));
            var count = last - first;
            var total = 0.0;
            var reciprocal = 1.0 / filterScale;
            for (var k = 0; k < count; k++)
            {
                var distance = Math.Abs((k + first - centre + 0.5) * reciprocal);
                weights[k] = distance < 1.0 ? 1.0 - distance : 0.0;
                total += weights[k];
            }
            for (var k = 0; k < count; k++)
            {
                var weight = total != 0.0 ? weights[k] / total : weights[k];
                taps[o * width + k] = weight < 0 ? (int)(-0.5 + weight * (1 << PrecisionBits)) : (int)(0.5 + weight * (1 << PrecisionBits));
            }
            bounds[2 * o] = first;
            bounds[2 * o + 1] = count;
        }
        return (bounds, taps, width);
    }

    /// <summary>Mirrors an image of <paramref name="size"/>² RGB pixels left-right.</summary>
    public static void FlipHorizontal(Span<byte> rgb, int size)
    {
        for (var y = 0; y < size; y++)
        {
            var row = rgb.Slice(y * size * 3, size * 3);
            for (int a = 0, b = size - 1; a < b; a++, b--)
            {
                (row[3 * a], row[3 * b]) = (row[3 * b], row[3 * a]);
                (row[3 * a + 1], row[3 * b + 1]) = (row[3 * b + 1], row[3 * a + 1]);
                (row[3 * a + 2], row[3 * b + 2]) = (row[3 * b + 2], row[3 * a + 2]);
            }
        }
    }

    /// <summary>Pillow's "L" conversion of one pixel (ITU-R 601-2 luma in 16-bit fixed point, rounded).</summary>
    public static byte Luma(byte red, byte green, byte blue) => (byte)((red * 19595 + green * 38470 + blue * 7471 + 0x8000) >> 16);

    /// <summary>Image.blend(degenerate, image, factor) for one value: Pillow's float blend, truncated and clipped to a byte.</summary>
    private static byte Blend(float degenerate, float value, float factor)
    {
        var blended = (int)(degenerate + factor * (value - degenerate));
        return blended < 0 ? (byte)0 : blended > 255 ? (byte)255 : (byte)blended;
    }

    /// <summary>ImageEnhance.Brightness: a blend with black.</summary>
    public static void Brightness(Span<byte> rgb, float factor) => BlendWithConstant(rgb, 0, factor);

    // A blend with a constant image depends on the value alone: one table of 256.
    private static void BlendWithConstant(Span<byte> rgb, int degenerate, float factor)
    {
        Span<byte> table = stackalloc byte[256];
        for (var v = 0; v < 256; v++) table[v] = Blend(degenerate, v, factor);
        Lookup(rgb, table);
    }

    private static void Lookup(Span<byte> values, ReadOnlySpan<byte> table)
    {
        for (var i = 0; i < values.Length; i++) values[i] = table[values[i]];
    }

    /// <summary>ImageEnhance.Contrast: a blend with the image's mean grey level (of its "L" conversion, rounded).</summary>
    public static void Contrast(Span<byte> rgb, float factor)
    {
        long sum = 0;
        for (var i = 0; i < rgb.Length; i += 3) sum += Luma(rgb[i], rgb[i + 1], rgb[i + 2]);
        var mean = (int)((double)sum / (rgb.Length / 3) + 0.5);
        BlendWithConstant(rgb, mean, factor);
    }

    /// <summary>ImageEnhance.Color (saturation): a blend with the image's "L" conversion.</summary>
    public static void Saturation(Span<byte> rgb, float factor)
    {
        for (var i = 0; i < rgb.Length; i += 3)
        {
            float grey = Luma(rgb[i], rgb[i + 1], rgb[i + 2]);
            rgb[i] = Blend(grey, rgb[i], factor);
            rgb[i + 1] = Blend(grey, rgb[i + 1], factor);
            rgb[i + 2] = Blend(grey, rgb[i + 2], factor);
        }
    }

    /// <summary>torchvision's grayscale of a PIL image with three output channels: the "L" conversion on every channel.</summary>
    public static void Grayscale(Span<byte> rgb)
    {
        for (var i = 0; i < rgb.Length; i += 3) rgb[i] = rgb[i + 1] = rgb[i + 2] = Luma(rgb[i], rgb[i + 1], rgb[i + 2]);
    }

    /// <summary>
    /// torchvision's adjust_hue on a PIL image: Pillow's 8-bit HSV conversion, <c>np.uint8(shift · 255)</c> added to the hue
    /// byte with wrap-around, and back, with Pillow's float and double steps, byte for byte.
    /// </summary>
    public static void HueShift(Span<byte> rgb, float shift)
    {
        // np.uint8 of the float: truncated toward zero, then taken modulo 256.
        var step = (int)((double)shift * 255.0);
        var tables = HueTables.Instance;
        for (var i = 0; i < rgb.Length; i += 3)
        {
            int r = rgb[i], g = rgb[i + 1], b = rgb[i + 2];
            var max = Math.Max(r, Math.Max(g, b));
            var min = Math.Min(r, Math.Min(g, b));
            if (max == min) continue; // grey: hue and saturation 0, unchanged by the shift
            var chroma = max - min;
            // The hue byte depends on which channel is the largest (red first, then green), which is the smallest, the chroma
            // and the third channel's distance below the largest: one table entry, computed once by Pillow's float steps.
            int hue;
            if (r == max) hue = g == min ? tables.RedMaxGreenMin[chroma * 256 + max - b] : tables.RedMaxBlueMin[chroma * 256 + max - g];
            else if (g == max) hue = r == min ? tables.GreenMaxRedMin[chroma * 256 + max - b] : tables.GreenMaxBlueMin[chroma * 256 + max - r];
            else hue = g == min ? tables.BlueMaxGreenMin[chroma * 256 + max - r] : tables.BlueMaxRedMin[chroma * 256 + max - g];
            var sat = tables.Saturation[max * 256 + chroma];
            hue = (hue + step) & 255;
            if (sat == 0)
            {
                rgb[i] = rgb[i + 1] = rgb[i + 2] = (byte)max;
                continue;
            }
            (rgb[i], rgb[i + 1], rgb[i + 2]) = FromHsv(tables.Sector[hue], tables.Position[hue], tables.SaturationFraction[sat], max);
        }
    }

    /// <summary>One pixel's hue shift computed directly with Pillow's float and double steps, without <see cref="HueShift"/>'s tables (which hold the same steps' results).</summary>
    public static (byte Red, byte Green, byte Blue) HueShiftPixel(byte red, byte green, byte blue, float shift)
    {
        var (hue, sat, max) = ToHsv(red, green, blue);
        if (max == Math.Min(red, Math.Min(green, blue))) return (red, green, blue);
        hue = (hue + (int)((double)shift * 255.0)) & 255;
        if (sat == 0) return ((byte)max, (byte)max, (byte)max);
        var sector = (int)Math.Floor(hue * 6.0 / 255.0);
        return FromHsv(sector % 6, (float)(hue * 6.0 / 255.0 - sector), (float)(sat / 255.0), max);
    }

    // Pillow's hsv2rgb for a pixel of saturation above 0: its sector (0..5) and position f in it, the saturation fs as a
    // fraction (both float values, as Pillow's C code has them) and the value; p, q and t rounded half away from zero.
    private static (byte Red, byte Green, byte Blue) FromHsv(int sector, float f, float fs, int max)
    {
        var p = (byte)Math.Floor(max * (1.0 - fs) + 0.5);
        var q = (byte)Math.Floor(max * (1.0 - (double)(fs * f)) + 0.5);
        var t = (byte)Math.Floor(max * (1.0 - fs * (1.0 - (double)f)) + 0.5);
        var m = (byte)max;
        return sector switch
        {
            0 => (m, t, p),
            1 => (q, m, p),
            2 => (p, m, t),
            3 => (p, q, m),
            4 => (t, p, m),
            _ => (m, p, q),
        };
    }

    // Pillow's rgb2hsv for one pixel: the hue and saturation bytes (float steps as its C code has them) and the value.
    private static (int Hue, int Saturation, int Max) ToHsv(int r, int g, int b)
    {
        var max = Math.Max(r, Math.Max(g, b));
        var min = Math.Min(r, Math.Min(g, b));
        if (max == min) return (0, 0, max);
        var chroma = (float)(max - min);
        var saturation = (float)(max - min) / max;
        var rc = (max - r) / chroma;
        var gc = (max - g) / chroma;
        var bc = (max - b) / chroma;
        float h;
        if (r == max) h = bc - gc;
        else if (g == max) h = (float)(2.0 + rc - bc);
        else h = (float)(4.0 + gc - rc);
        h = (float)(((double)h / 6.0 + 1.0) % 1.0);
        return (Math.Clamp((int)(h * 255.0), 0, 255), Math.Clamp((int)(saturation * 255.0), 0, 255), max);
    }

    // Tables of the HSV round trip, each entry made by Pillow's own float steps for a pixel standing for all that share it.
    private sealed class HueTables
    {
        public static readonly HueTables Instance = new();

        public readonly byte[] RedMaxGreenMin = new byte[256 * 256], RedMaxBlueMin = new byte[256 * 256];
        public readonly byte[] GreenMaxRedMin = new byte[256 * 256], GreenMaxBlueMin = new byte[256 * 256];
        public readonly byte[] BlueMaxGreenMin = new byte[256 * 256], BlueMaxRedMin = new byte[256 * 256];
        public readonly byte[] Saturation = new byte[256 * 256];
        public readonly int[] Sector = new int[256];
        public readonly float[] Position = new float[256];
        public readonly float[] SaturationFraction = new float[256];

        private HueTables()
        {
            // Hue depends on differences from the largest channel only: a pixel whose largest value is the chroma and whose
            // smallest is 0 stands for every pixel with the same chroma, the same largest and smallest channels and the same
            // distance d of the third channel below the largest.
            for (var chroma = 1; chroma < 256; chroma++)
            {
                for (var d = 0; d <= chroma; d++)
                {
                    var k = chroma * 256 + d;
                    RedMaxGreenMin[k] = (byte)ToHsv(chroma, 0, chroma - d).Hue;
                    RedMaxBlueMin[k] = (byte)ToHsv(chroma, chroma - d, 0).Hue;
                    GreenMaxRedMin[k] = (byte)ToHsv(0, chroma, chroma - d).Hue;
                    if (d == 0) continue; // below, the third channel is not the largest
                    GreenMaxBlueMin[k] = (byte)ToHsv(chroma - d, chroma, 0).Hue;
                    BlueMaxGreenMin[k] = (byte)ToHsv(chroma - d, 0, chroma).Hue;
                    BlueMaxRedMin[k] = (byte)ToHsv(0, chroma - d, chroma).Hue;
                }
            }
            for (var max = 1; max < 256; max++)
                for (var chroma = 1; chroma <= max; chroma++) Saturation[max * 256 + chroma] = (byte)ToHsv(max, max - chroma, max - chroma).Saturation;
            for (var hue = 0; hue < 256; hue++)
            {
                var sector = (int)Math.Floor(hue * 6.0 / 255.0);
                Sector[hue] = sector % 6;
                Position[hue] = (float)(hue * 6.0 / 255.0 - sector);
            }
            for (var sat = 0; sat < 256; sat++) SaturationFraction[sat] = (float)(sat / 255.0);
        }
    }

    /// <summary>ImageOps.invert.</summary>
    public static void Invert(Span<byte> rgb)
    {
        for (var i = 0; i < rgb.Length; i++) rgb[i] = (byte)(255 - rgb[i]);
    }

    /// <summary>ImageOps.posterize: keeps the top <paramref name="bits"/> bits of every value (0 bits: black).</summary>
    public static void Posterize(Span<byte> rgb, int bits)
    {
        var mask = bits <= 0 ? 0 : (byte)~((1 << (8 - Math.Min(bits, 8))) - 1);
        for (var i = 0; i < rgb.Length; i++) rgb[i] = (byte)(rgb[i] & mask);
    }

    /// <summary>ImageOps.solarize: inverts the values at or above <paramref name="threshold"/>.</summary>
    public static void Solarize(Span<byte> rgb, int threshold)
    {
        for (var i = 0; i < rgb.Length; i++) if (rgb[i] >= threshold) rgb[i] = (byte)(255 - rgb[i]);
    }

    /// <summary>timm's solarize_add: adds <paramref name="add"/> (capped at 255) to the values below <paramref name="threshold"/>.</summary>
    public static void SolarizeAdd(Span<byte> rgb, int add, int threshold)
    {
        for (var i = 0; i < rgb.Length; i++) if (rgb[i] < threshold) rgb[i] = (byte)Math.Min(255, rgb[i] + add);
    }

    /// <summary>ImageOps.autocontrast (no cutoff): each channel's range stretched to 0..255 by Pillow's table, int(v · scale − lo · scale).</summary>
    public static void AutoContrast(Span<byte> rgb)
    {
        Span<byte> table = stackalloc byte[256];
        for (var c = 0; c < 3; c++)
        {
            int lo = 255, hi = 0;
            for (var i = c; i < rgb.Length; i += 3)
            {
                lo = Math.Min(lo, rgb[i]);
                hi = Math.Max(hi, rgb[i]);
            }
            if (hi <= lo) continue;
            var scale = 255.0 / (hi - lo);
            var offset = -lo * scale;
            for (var v = 0; v < 256; v++) table[v] = (byte)Math.Clamp((int)Math.Floor(v * scale + offset), 0, 255);
            for (var i = c; i < rgb.Length; i += 3) rgb[i] = table[rgb[i]];
        }
    }

    /// <summary>
    /// ImageOps.equalize per channel: with step = (pixels − count of the last used level) // 255, level i maps to
    /// (pixels below i + step // 2) // step, at most 255; a channel whose step is 0 stays as it is.
    /// </summary>
    public static void Equalize(Span<byte> rgb)
    {
        Span<int> histogram = stackalloc int[256];
        Span<byte> table = stackalloc byte[256];
        var pixels = rgb.Length / 3;
        for (var c = 0; c < 3; c++)
        {
            histogram.Clear();
            for (var i = c; i < rgb.Length; i += 3) histogram[rgb[i]]++;
            var last = 255;
            while (last > 0 && histogram[last] == 0) last--;
            var step = (pixels - histogram[last]) / 255;
            if (step == 0) continue;
            var before = 0;
            for (var v = 0; v < 256; v++)
            {
                table[v] = (byte)Math.Min(255, (before + step / 2) / step);
                before += histogram[v];
            }
            for (var i = c; i < rgb.Length; i += 3) rgb[i] = table[rgb[i]];
        }
    }

    /// <summary>
    /// ImageEnhance.Sharpness: a blend with the image smoothed by Pillow's SMOOTH kernel (1 1 1 / 1 5 1 / 1 1 1, over 13,
    /// summed in float and rounded), the border pixels left unfiltered.
    /// </summary>
    public static void Sharpness(Span<byte> rgb, int size, float factor)
    {
        var rented = System.Buffers.ArrayPool<byte>.Shared.Rent(rgb.Length);
        try
        {
            var smooth = rented.AsSpan(0, rgb.Length);
            rgb.CopyTo(smooth);
            const float edge = 1f / 13, centre = 5f / 13;
            var stride = size * 3;
            for (var y = 1; y < size - 1; y++)
            {
                for (var i = y * stride + 3; i < (y + 1) * stride - 3; i++)
                {
                    var sum = rgb[i - stride - 3] * edge + rgb[i - stride] * edge + rgb[i - stride + 3] * edge
                              + rgb[i - 3] * edge + rgb[i] * centre + rgb[i + 3] * edge
                              + rgb[i + stride - 3] * edge + rgb[i + stride] * edge + rgb[i + stride + 3] * edge;
                    smooth[i] = (byte)Math.Clamp((int)MathF.Round(sum), 0, 255);
                }
            }
            for (var i = 0; i < rgb.Length; i++) rgb[i] = Blend(smooth[i], rgb[i], factor);
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>
    /// Pillow's Image.transform(AFFINE, BILINEAR or BICUBIC, fillcolor) of a <paramref name="size"/>² RGB image in place:
    /// output pixel (u, v) samples the input at (a(u+½) + b(v+½) + c, d(u+½) + e(v+½) + f) with
    /// <paramref name="coefficients"/> (a, b, c, d, e, f); a sample outside the image takes <paramref name="fill"/>. Bilinear
    /// truncates its double result; bicubic is Pillow's a = −1 cubic convolution, edge pixels repeated, clipped and truncated.
    /// </summary>
    public static void Affine(Span<byte> rgb, int size, double[] coefficients, bool bicubic, ReadOnlySpan<byte> fill)
    {
        var rented = System.Buffers.ArrayPool<byte>.Shared.Rent(rgb.Length);
        try
        {
            var source = rented.AsSpan(0, rgb.Length);
            rgb.CopyTo(source);
            var (a, b, c, d, e, f) = (coefficients[0], coefficients[1], coefficients[2], coefficients[3], coefficients[4], coefficients[5]);
            var stride = size * 3;
            Span<double> values = stackalloc double[3];
            for (var v = 0; v < size; v++)
            {
                for (var u = 0; u < size; u++)
                {
                    var xin = a * (u + 0.5) + b * (v + 0.5) + c;
                    var yin = d * (u + 0.5) + e * (v + 0.5) + f;
                    var o = v * stride + u * 3;
                    if (xin < 0.0 || xin >= size || yin < 0.0 || yin >= size)
                    {
                        rgb[o] = fill[0];
                        rgb[o + 1] = fill[1];
                        rgb[o + 2] = fill[2];
                        continue;
                    }
                    if (bicubic) Bicubic(source, size, xin - 0.5, yin - 0.5, values);
                    else Bilinear(source, size, xin - 0.5, yin - 0.5, values);
                    for (var k = 0; k < 3; k++)
                    {
                        var value = values[k];
                        rgb[o + k] = value <= 0.0 ? (byte)0 : value >= 255.0 ? (byte)255 : (byte)value;
                    }
                }
            }
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>
    /// PIL's Image.rotate(<paramref name="degrees"/>, resample, fillcolor) without expanding: counter-clockwise about the
    /// centre (w/2, h/2), with Pillow's own steps (the angle modulo 360, negated in radians, cosine and sine rounded to 15 digits).
    /// </summary>
    public static void Rotate(Span<byte> rgb, int size, double degrees, bool bicubic, ReadOnlySpan<byte> fill)
    {
        var turned = degrees - 360 * Math.Floor(degrees / 360);
        var angle = -(turned * (Math.PI / 180));
        var (cos, sin) = (Math.Round(Math.Cos(angle), 15), Math.Round(Math.Sin(angle), 15));
        var c = size / 2.0;
        // matrix (cos, sin, 0, −sin, cos, 0) moved so that the centre stays: its offsets are the matrix applied to −centre, plus the centre.
        Affine(rgb, size, [cos, sin, cos * -c + sin * -c + 0.0 + c, -sin, cos, -sin * -c + cos * -c + 0.0 + c], bicubic, fill);
    }

    // Pillow's bilinear_filter32RGB after its bounds check: the row at floor(y) (clamped) and the next one when it exists.
    private static void Bilinear(ReadOnlySpan<byte> source, int size, double x, double y, Span<double> values)
    {
        var (xi, yi) = ((int)Math.Floor(x), (int)Math.Floor(y));
        var (dx, dy) = (x - xi, y - yi);
        var x0 = Math.Clamp(xi, 0, size - 1) * 3;
        var x1 = Math.Clamp(xi + 1, 0, size - 1) * 3;
        var row0 = Math.Clamp(yi, 0, size - 1) * size * 3;
        var nextExists = yi + 1 >= 0 && yi + 1 < size;
        var row1 = (yi + 1) * size * 3;
        for (var k = 0; k < 3; k++)
        {
            double a0 = source[row0 + x0 + k], a1 = source[row0 + x1 + k];
            var v1 = a0 + (a1 - a0) * dx;
            var v2 = v1;
            if (nextExists)
            {
                double b0 = source[row1 + x0 + k], b1 = source[row1 + x1 + k];
                v2 = b0 + (b1 - b0) * dx;
            }
            values[k] = v1 + (v2 - v1) * dy;
        }
    }

    // Pillow's bicubic_filter32RGB: four rows of four pixels (edges repeated), p1 + d(p2 + d(p3 + d·p4)) across, then down.
    private static void Bicubic(ReadOnlySpan<byte> source, int size, double x, double y, Span<double> values)
    {
        var (xi, yi) = ((int)Math.Floor(x), (int)Math.Floor(y));
        var (dx, dy) = (x - xi, y - yi);
        Span<int> columns = stackalloc int[4];
        for (var j = 0; j < 4; j++) columns[j] = Math.Clamp(xi + j - 1, 0, size - 1) * 3;
        Span<double> rows = stackalloc double[4];
        for (var k = 0; k < 3; k++)
        {
            for (var r = 0; r < 4; r++)
            {
                var row = Math.Clamp(yi + r - 1, 0, size - 1) * size * 3 + k;
                rows[r] = Cubic(source[row + columns[0]], source[row + columns[1]], source[row + columns[2]], source[row + columns[3]], dx);
            }
            values[k] = Cubic(rows[0], rows[1], rows[2], rows[3], dy);
        }
    }

    private static double Cubic(double v1, double v2, double v3, double v4, double d) =>
        v2 + d * (v3 - v1 + d * (2 * (v1 - v2) + v3 - v4 + d * (v2 - v1 - v3 + v4)));

    /// <summary>
    /// ToTensor and Normalize of one view: RGB bytes to channel planes of (v − mean) / std, with <paramref name="mean"/> and
    /// <paramref name="std"/> per channel on the 0..255 scale (as <see cref="Augmenter.Normalize"/>), into <paramref name="planes"/> (3 × pixels).
    /// </summary>
    public static void Normalize(ReadOnlySpan<byte> rgb, ReadOnlySpan<float> mean, ReadOnlySpan<float> std, Span<float> planes)
    {
        var pixels = rgb.Length / 3;
        var red = planes[..pixels];
        var green = planes.Slice(pixels, pixels);
        var blue = planes.Slice(2 * pixels, pixels);
        var (mr, mg, mb, sr, sg, sb) = (mean[0], mean[1], mean[2], std[0], std[1], std[2]);
        for (var i = 0; i < pixels; i++)
        {
            red[i] = (rgb[3 * i] - mr) / sr;
            green[i] = (rgb[3 * i + 1] - mg) / sg;
            blue[i] = (rgb[3 * i + 2] - mb) / sb;
        }
    }
}
