using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace ProCo.Training.Augment;

/// <summary>
/// Batched image operations on float tensors holding 0..255 pixel values (B × C × H × W), each
/// image with its own parameters. They follow PIL's definitions (ImageOps, ImageEnhance), which
/// the published augmentation pipelines use, and round back to whole pixel values.
/// </summary>
public static class ImageOps
{
    /// <summary>Fill of geometric ops (PIL fillcolor 128).</summary>
    public const double Fill = 128;

    /// <summary>Rounds to whole pixel values in 0..255, as storing into uint8 does.</summary>
    public static Tensor Quantize(Tensor x) => x.round().clamp(0, 255);

    /// <summary>ITU-R 601-2 luma rounded to whole levels (PIL's "L" conversion), B × 1 × H × W.</summary>
    public static Tensor Gray(Tensor x)
    {
        if (x.shape[1] == 1) return x;
        return Quantize(x[.., 0..1] * 0.299 + x[.., 1..2] * 0.587 + x[.., 2..3] * 0.114);
    }

    /// <summary>
    /// PIL ImageEnhance (Image.blend): degenerate + factor · (image − degenerate), per-image factor (B),
    /// clipped to 0..255 and truncated to whole levels as PIL's 8-bit blend does.
    /// </summary>
    public static Tensor Blend(Tensor x, Tensor degenerate, Tensor factor) =>
        (degenerate + factor.view(-1, 1, 1, 1) * (x - degenerate)).clamp(0, 255).floor();

    /// <summary>Saturation (ImageEnhance.Color): blend with the grayscale image.</summary>
    public static Tensor Color(Tensor x, Tensor factor) =>
        x.shape[1] == 1 ? x : Blend(x, Gray(x).expand_as(x), factor);

    /// <summary>ImageEnhance.Contrast: blend with the image's mean gray level.</summary>
    public static Tensor Contrast(Tensor x, Tensor factor)
    {
        var mean = (Gray(x).mean([1L, 2L, 3L], keepdim: true) + 0.5).floor();
        return Blend(x, mean.expand_as(x), factor);
    }

    /// <summary>ImageEnhance.Brightness: blend with black.</summary>
    public static Tensor Brightness(Tensor x, Tensor factor) => Blend(x, zeros_like(x), factor);

    /// <summary>ImageEnhance.Sharpness: blend with the SMOOTH-filtered image (borders unfiltered).</summary>
    public static Tensor Sharpness(Tensor x, Tensor factor)
    {
        var channels = x.shape[1];
        var kernel = tensor(new float[] { 1, 1, 1, 1, 5, 1, 1, 1, 1 }, new long[] { 1, 1, 3, 3 }, device: x.device).to_type(x.dtype) / 13;
        var smooth = Quantize(F.conv2d(x, kernel.expand(channels, 1, 3, 3), groups: channels));
        var degenerate = x.clone();
        degenerate[.., .., 1..^1, 1..^1] = smooth;
        return Blend(x, degenerate, factor);
    }

    /// <summary>ImageOps.posterize: keep the top <paramref name="bits"/> bits (per image, B).</summary>
    public static Tensor Posterize(Tensor x, Tensor bits)
    {
        var step = pow(2.0, 8 - bits).view(-1, 1, 1, 1).to_type(x.dtype);
        return (x / step).floor() * step;
    }

    /// <summary>ImageOps.solarize: invert pixels at or above the threshold (per image, B).</summary>
    public static Tensor Solarize(Tensor x, Tensor threshold) =>
        where(x.ge(threshold.view(-1, 1, 1, 1)), 255 - x, x);

    /// <summary>ImageOps.invert.</summary>
    public static Tensor Invert(Tensor x) => 255 - x;

    /// <summary>ImageOps.autocontrast: stretch each channel's range to 0..255.</summary>
    public static Tensor AutoContrast(Tensor x)
    {
        // PIL's lookup table in double precision: int(v · scale + offset) with offset = −lo · scale.
        var xd = x.to_type(ScalarType.Float64);
        var lo = xd.amin([2L, 3L], keepdim: true);
        var hi = xd.amax([2L, 3L], keepdim: true);
        var scale = 255 / (hi - lo).clamp_min(1);
        var stretched = (xd * scale - lo * scale).floor().clamp(0, 255);
        return where(hi.gt(lo), stretched, xd).to_type(x.dtype);
    }

    /// <summary>
    /// ImageOps.equalize per channel: lut[i] = (cum_before(i) + step/2) / step with
    /// step = (pixels − count of the last used level) / 255; identity where step is 0.
    /// </summary>
    public static Tensor Equalize(Tensor x)
    {
        var (b, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3]);
        var levels = x.to_type(ScalarType.Int64).view(b, c, h * w);
        var histogram = zeros([b, c, 256], ScalarType.Int64, x.device).scatter_add_(2, levels, ones_like(levels));
        var used = histogram.gt(0);
        var lastLevel = (used.to_type(ScalarType.Int64) * arange(256, device: x.device)).argmax(2, keepdim: true);
        var lastCount = histogram.gather(2, lastLevel);
        var step = (h * w - lastCount).div(255, rounding_mode: RoundingMode.floor); // B × C × 1
        var before = histogram.cumsum(2) - histogram;
        var lut = (before + step.div(2, rounding_mode: RoundingMode.floor)).div(step.clamp_min(1), rounding_mode: RoundingMode.floor).clamp_max(255);
        var mapped = lut.gather(2, levels).view(b, c, h, w).to_type(x.dtype);
        return where(step.view(b, c, 1, 1).gt(0), mapped, x);
    }

    /// <summary>
    /// Applies per-image affine maps given in pixel terms: output pixel (u, v) samples input
    /// (a·u + b·v + c, d·u + e·v + f), like PIL's Image.transform(AFFINE). Out-of-image areas get <see cref="Fill"/>.
    /// </summary>
    /// <param name="x">Images, B × C × H × W.</param>
    /// <param name="pixelAffine">B × 6 coefficients (a, b, c, d, e, f) in pixels, origin at the top-left corner.</param>
    /// <param name="nearest">Nearest-neighbour instead of bilinear sampling.</param>
    /// <param name="fill">Per-channel fill (1 × C × 1 × 1) instead of <see cref="Fill"/>.</param>
    public static Tensor Affine(Tensor x, Tensor pixelAffine, bool nearest, Tensor? fill = null)
    {
        var (h, w) = (x.shape[2], x.shape[3]);
        // Pixel (u, v) has centre at normalised ((2u+1)/W − 1, (2v+1)/H − 1) (align_corners = false).
        // With u = (W(x+1) − 1)/2 and v = (H(y+1) − 1)/2 the pixel map becomes a normalised one.
        var p = pixelAffine.to_type(x.dtype);
        var (a, bb, c, d, e, f) = (p[.., 0], p[.., 1], p[.., 2], p[.., 3], p[.., 4], p[.., 5]);
        // x_in = (2(a·u + b·v + c) + 1)/W − 1: slopes a and b·H/W, value at (x, y) = (0, 0), i.e. the centre.
        var u0 = (w - 1) / 2.0;
        var v0 = (h - 1) / 2.0;
        var t0 = (2 * (a * u0 + bb * v0 + c) + 1) / w - 1;
        var t1 = (2 * (d * u0 + e * v0 + f) + 1) / h - 1;
        var row0 = stack([a, bb * h / w, t0], 1);
        var row1 = stack([d * w / h, e, t1], 1);
        var theta = stack([row0, row1], 1);
        var grid = F.affine_grid(theta, [x.shape[0], x.shape[1], h, w], align_corners: false);
        var background = fill ?? tensor(Fill, x.dtype, x.device);
        var sampled = F.grid_sample(x - background, grid,
            mode: nearest ? GridSampleMode.Nearest : GridSampleMode.Bilinear,
            padding_mode: GridSamplePaddingMode.Zeros, align_corners: false);
        return Quantize(sampled + background);
    }

    /// <summary>
    /// PIL's Image.transform(AFFINE, BICUBIC, fillcolor=<see cref="Fill"/>), as the public AutoAugment's
    /// shears use it: output pixel (u, v) samples the input at (a(u+½) + b(v+½) + c, d(u+½) + e(v+½) + f);
    /// a sample outside the image takes the fill, one inside the cubic convolution of PIL (its a = −1
    /// kernel, edge pixels repeated, the result truncated to 0..255).
    /// </summary>
    /// <param name="x">Images, B × C × H × W, values 0..255.</param>
    /// <param name="pixelAffine">B × 6 coefficients (a, b, c, d, e, f) in pixels, origin at the top-left corner.</param>
    /// <param name="fill">Per-channel fill (1 × C × 1 × 1) instead of <see cref="Fill"/>.</param>
    public static Tensor AffineBicubic(Tensor x, Tensor pixelAffine, Tensor? fill = null)
    {
        using var scope = NewDisposeScope();
        var (b, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3]);
        var p = pixelAffine.to_type(ScalarType.Float64).view(b, 6, 1, 1);
        var u = (arange(w, dtype: ScalarType.Float64, device: x.device) + 0.5).view(1, 1, w);
        var v = (arange(h, dtype: ScalarType.Float64, device: x.device) + 0.5).view(1, h, 1);
        var xin = p[.., 0] * u + p[.., 1] * v + p[.., 2];
        var yin = p[.., 3] * u + p[.., 4] * v + p[.., 5];
        var outside = xin.lt(0).logical_or(xin.ge(w)).logical_or(yin.lt(0)).logical_or(yin.ge(h));
        var xi = xin - 0.5;
        var yi = yin - 0.5;
        var x0 = xi.floor();
        var y0 = yi.floor();
        var (dx, dy) = ((xi - x0).unsqueeze(1), (yi - y0).unsqueeze(1));
        var flat = x.to_type(ScalarType.Float64).reshape(b, c, h * w);
        Tensor Pixel(int j, int k)
        {
            var xx = (x0 + (j - 1)).clamp(0, w - 1);
            var yy = (y0 + (k - 1)).clamp(0, h - 1);
            var index = (yy * w + xx).to_type(ScalarType.Int64).view(b, 1, h * w).expand(b, c, h * w);
            return flat.gather(2, index).view(b, c, h, w);
        }
        // PIL's cubic: p1 + d(p2 + d(p3 + d·p4)) with p1 = v2, p2 = v3 − v1, p3 = 2(v1 − v2) + v3 − v4, p4 = v2 − v1 − v3 + v4.
        static Tensor Cubic(Tensor v1, Tensor v2, Tensor v3, Tensor v4, Tensor d) =>
            v2 + d * (v3 - v1 + d * (2 * (v1 - v2) + v3 - v4 + d * (v2 - v1 - v3 + v4)));
        var rows = Enumerable.Range(0, 4).Select(k => Cubic(Pixel(0, k), Pixel(1, k), Pixel(2, k), Pixel(3, k), dx)).ToArray();
        var value = Cubic(rows[0], rows[1], rows[2], rows[3], dy).clamp(0, 255).trunc();
        var background = fill is null ? full_like(value, Fill) : fill.to_type(value.dtype).expand_as(value);
        return where(outside.unsqueeze(1), background, value).to_type(x.dtype).MoveToOuterDisposeScope();
    }
}
