using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace ProCo.Training.Augment;

/// <summary>
/// The three views of the published ProCo CIFAR recipe, as batched tensor operations on the
/// training device, every image drawing its own parameters:
/// view 0: pad-4 random crop, horizontal flip, AutoAugment (CIFAR-10 policy), Cutout 16, normalise;
/// views 1-2: random resized crop (scale 0.08-1, ratio 3/4-4/3), flip, colour jitter
/// 0.4/0.4/0.4/0.1 with p 0.8, grayscale with p 0.2, normalise.
/// </summary>
public sealed class Augmenter : IDisposable
{
    private readonly Tensor _mean;
    private readonly Tensor _std;

    /// <param name="mean">Per-channel mean of the dataset (0..1 scale).</param>
    /// <param name="std">Per-channel standard deviation (0..1 scale).</param>
    /// <param name="device">Device the batches live on.</param>
    public Augmenter(double[] mean, double[] std, Device device)
    {
        MeanValues = mean.Select(v => (float)(v * 255)).ToArray();
        StdValues = std.Select(v => (float)(v * 255)).ToArray();
        _mean = tensor(mean.Select(v => (float)(v * 255)).ToArray(), device: device).view(1, -1, 1, 1);
        _std = tensor(std.Select(v => (float)(v * 255)).ToArray(), device: device).view(1, -1, 1, 1);
    }

    /// <summary>The per-channel mean on the 0..255 scale, as <see cref="Normalize"/> subtracts it.</summary>
    public float[] MeanValues { get; }

    /// <summary>The per-channel standard deviation on the 0..255 scale, as <see cref="Normalize"/> divides by it.</summary>
    public float[] StdValues { get; }

    /// <summary>Frees the normalisation constants.</summary>
    public void Dispose()
    {
        _mean.Dispose();
        _std.Dispose();
    }

    /// <summary>Test-time transform: normalise only.</summary>
    public Tensor Normalize(Tensor pixels) => (pixels.to_type(ScalarType.Float32) - _mean) / _std;

    /// <summary>View 0 of the recipe for a uint8 batch (B × C × H × W); <paramref name="trace"/>, when given, records each draw.</summary>
    public Tensor RegularView(Tensor pixels, Random random, Generator generator, AugmentTrace? trace = null)
    {
        using var scope = NewDisposeScope();
        var x = pixels.to_type(ScalarType.Float32);
        x = RandomCrop(x, 4, random, trace);
        x = RandomFlip(x, generator, trace);
        x = AutoAugment.Apply(x, random, trace);
        x = Cutout(x, 16, random, trace);
        return Normalize(x).MoveToOuterDisposeScope();
    }

    /// <summary>Views 1 and 2 of the recipe (SimCLR-style) for a uint8 batch; <paramref name="trace"/>, when given, records each draw.</summary>
    public Tensor ContrastiveView(Tensor pixels, Random random, Generator generator, AugmentTrace? trace = null)
    {
        using var scope = NewDisposeScope();
        var x = pixels.to_type(ScalarType.Float32);
        x = RandomResizedCrop(x, random, trace);
        x = RandomFlip(x, generator, trace);
        x = ColorJitter(x, 0.4, 0.4, 0.4, 0.1, 0.8, random, trace);
        x = RandomGrayscale(x, 0.2, generator, trace);
        return Normalize(x).MoveToOuterDisposeScope();
    }

    /// <summary>Zero-pads by <paramref name="padding"/> and crops back at a random offset per image.</summary>
    public static Tensor RandomCrop(Tensor x, int padding, Random random, AugmentTrace? trace = null)
    {
        var (b, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3]);
        var rows = new long[b * h];
        var cols = new long[b * w];
        for (var i = 0; i < b; i++)
        {
            var dy = random.Next(2 * padding + 1);
            var dx = random.Next(2 * padding + 1);
            trace?.Record("crop.top", dy);
            trace?.Record("crop.left", dx);
            for (var r = 0; r < h; r++) rows[i * h + r] = dy + r;
            for (var q = 0; q < w; q++) cols[i * w + q] = dx + q;
        }
        var padded = F.pad(x, [padding, padding, padding, padding]);
        var rowIndex = tensor(rows, device: x.device).view(b, 1, h, 1).expand(b, c, h, w + 2 * padding);
        var colIndex = tensor(cols, device: x.device).view(b, 1, 1, w).expand(b, c, h, w);
        return padded.gather(2, rowIndex).gather(3, colIndex);
    }

    /// <summary>Mirrors each image left-right with probability ½.</summary>
    public static Tensor RandomFlip(Tensor x, Generator generator, AugmentTrace? trace = null)
    {
        var flip = rand(x.shape[0], generator: generator).lt(0.5);
        Trace(trace, "flip", flip);
        return where(flip.to(x.device).view(-1, 1, 1, 1), x.flip(3), x);
    }

    // Records a per-image yes/no draw (1 or 0).
    private static void Trace(AugmentTrace? trace, string name, Tensor drawn)
    {
        if (trace is null) return;
        foreach (var yes in drawn.cpu().data<bool>()) trace.Record(name, yes ? 1 : 0);
    }

    /// <summary>Zeroes one square of side <paramref name="length"/> centred at a random pixel (clipped at borders).</summary>
    public static Tensor Cutout(Tensor x, int length, Random random, AugmentTrace? trace = null)
    {
        var (b, h, w) = (x.shape[0], x.shape[2], x.shape[3]);
        var cy = new long[b];
        var cx = new long[b];
        for (var i = 0; i < b; i++)
        {
            cy[i] = random.Next((int)h);
            cx[i] = random.Next((int)w);
            trace?.Record("cutout.y", cy[i]);
            trace?.Record("cutout.x", cx[i]);
        }
        var ys = arange(h, device: x.device).view(1, h, 1);
        var xs = arange(w, device: x.device).view(1, 1, w);
        var y = tensor(cy, device: x.device).view(b, 1, 1);
        var xc = tensor(cx, device: x.device).view(b, 1, 1);
        var half = length / 2;
        var inside = ys.ge(y - half).logical_and(ys.lt(y + half)).logical_and(xs.ge(xc - half)).logical_and(xs.lt(xc + half));
        return x.masked_fill(inside.unsqueeze(1), 0);
    }

    /// <summary>
    /// torchvision's RandomResizedCrop: up to 10 draws of area (8%-100%) and log-uniform aspect ratio
    /// (3/4-4/3) for a box that fits, else the whole image; the box is cropped and resized back
    /// bilinearly as PIL resizes (samples beyond the box's edge take the edge pixel, never a fill).
    /// </summary>
    public static Tensor RandomResizedCrop(Tensor x, Random random, AugmentTrace? trace = null)
    {
        var (b, h, w) = (x.shape[0], (int)x.shape[2], (int)x.shape[3]);
        var boxes = new int[b, 4];
        for (var i = 0; i < b; i++)
        {
            int bw = w, bh = h, top = 0, left = 0;
            for (var attempt = 0; attempt < 10; attempt++)
            {
                var area = h * w * (0.08 + random.NextDouble() * 0.92);
                var ratio = System.Math.Exp(System.Math.Log(3.0 / 4) + random.NextDouble() * (System.Math.Log(4.0 / 3) - System.Math.Log(3.0 / 4)));
                var cw = (int)System.Math.Round(System.Math.Sqrt(area * ratio));
                var ch = (int)System.Math.Round(System.Math.Sqrt(area / ratio));
                if (cw > 0 && cw <= w && ch > 0 && ch <= h)
                {
                    (bw, bh) = (cw, ch);
                    top = random.Next(h - ch + 1);
                    left = random.Next(w - cw + 1);
                    break;
                }
            }
            (boxes[i, 0], boxes[i, 1], boxes[i, 2], boxes[i, 3]) = (top, left, bh, bw);
            TraceBox(trace, h, w, top, left, bh, bw);
        }
        return CropResize(x, boxes);
    }

    /// <summary>Records a crop box of an image of <paramref name="height"/> × <paramref name="width"/>: its share of the area, log aspect ratio and centre (as fractions).</summary>
    public static void TraceBox(AugmentTrace? trace, int height, int width, int top, int left, int boxHeight, int boxWidth)
    {
        if (trace is null) return;
        trace.Record("rrc.area", (double)boxHeight * boxWidth / ((double)height * width));
        trace.Record("rrc.logratio", System.Math.Log((double)boxWidth / boxHeight));
        trace.Record("rrc.centre.y", (top + boxHeight / 2.0) / height);
        trace.Record("rrc.centre.x", (left + boxWidth / 2.0) / width);
    }

    /// <summary>One box of every image cropped and resized bilinearly to the image size (what <see cref="RandomResizedCrop"/> does with the box it draws).</summary>
    public static Tensor ResizedCrop(Tensor x, int top, int left, int height, int width)
    {
        var boxes = new int[x.shape[0], 4];
        for (var i = 0; i < x.shape[0]; i++) (boxes[i, 0], boxes[i, 1], boxes[i, 2], boxes[i, 3]) = (top, left, height, width);
        return CropResize(x, boxes);
    }

    // Crop each image to its box (top, left, height, width) and resize it to the image size as PIL's
    // bilinear resize does: output pixel u samples the box at (u + ½)·box/size − ½, and a sample beyond
    // the box's edge takes the edge pixel (the box is cropped first, so nothing outside it blends in).
    private static Tensor CropResize(Tensor x, int[,] boxes)
    {
        var (b, h, w) = (x.shape[0], x.shape[2], x.shape[3]);
        var rows = Enumerable.Range(0, (int)b).ToArray();
        Tensor Column(int k) => tensor(rows.Select(i => (float)boxes[i, k]).ToArray(), device: x.device).view(b, 1);
        var (top, left, bh, bw) = (Column(0), Column(1), Column(2), Column(3));
        var u = arange(w, dtype: ScalarType.Float32, device: x.device).view(1, w);
        var v = arange(h, dtype: ScalarType.Float32, device: x.device).view(1, h);
        var xs = (left + (u + 0.5f) * bw / w - 0.5f).maximum(left).minimum(left + bw - 1);
        var ys = (top + (v + 0.5f) * bh / h - 0.5f).maximum(top).minimum(top + bh - 1);
        // Pixel coordinates to grid_sample's normalised ones (align_corners = false).
        var gx = ((2 * xs + 1) / w - 1).view(b, 1, w).expand(b, h, w);
        var gy = ((2 * ys + 1) / h - 1).view(b, h, 1).expand(b, h, w);
        var grid = stack([gx, gy], 3).to_type(x.dtype);
        return ImageOps.Quantize(nn.functional.grid_sample(x, grid, mode: GridSampleMode.Bilinear, padding_mode: GridSamplePaddingMode.Border,
            align_corners: false));
    }

    /// <summary>
    /// torchvision's ColorJitter applied with probability <paramref name="p"/>: brightness, contrast,
    /// saturation factors from [1−s, 1+s] and a hue shift from [−hue, hue], in a random order per image.
    /// </summary>
    public static Tensor ColorJitter(Tensor x, double brightness, double contrast, double saturation, double hue, double p, Random random,
        AugmentTrace? trace = null)
    {
        var b = (int)x.shape[0];
        var factors = new float[4, b];
        var order = new int[b, 4];
        var apply = new bool[b];
        for (var i = 0; i < b; i++)
        {
            apply[i] = random.NextDouble() < p;
            int[] perm = [0, 1, 2, 3];
            random.Shuffle(perm);
            for (var s = 0; s < 4; s++) order[i, s] = perm[s];
            factors[0, i] = (float)(1 - brightness + 2 * brightness * random.NextDouble());
            factors[1, i] = (float)(1 - contrast + 2 * contrast * random.NextDouble());
            factors[2, i] = (float)(1 - saturation + 2 * saturation * random.NextDouble());
            factors[3, i] = (float)(-hue + 2 * hue * random.NextDouble());
            trace?.Record("jitter", apply[i] ? 1 : 0);
            if (trace is not null && apply[i])
            {
                trace.Record("jitter.brightness", factors[0, i]);
                trace.Record("jitter.contrast", factors[1, i]);
                trace.Record("jitter.saturation", factors[2, i]);
                if (hue > 0) trace.Record("jitter.hue", factors[3, i]);
                trace.Record("jitter.first", perm[0]);
            }
        }
        var device = x.device;
        Tensor Factor(int op) => tensor(Enumerable.Range(0, b).Select(i => factors[op, i]).ToArray(), device: device);
        var result = x;
        for (var slot = 0; slot < 4; slot++)
        {
            for (var op = 0; op < 4; op++)
            {
                // A zero range is no jitter at all (torchvision leaves that factor out).
                if (op == 3 && hue == 0) continue;
                var members = Enumerable.Range(0, b).Where(i => apply[i] && order[i, slot] == op).Select(i => (long)i).ToArray();
                if (members.Length == 0) continue;
                var index = tensor(members, device: device);
                var subset = result.index_select(0, index);
                var f = Factor(op).index_select(0, index);
                var changed = op switch
                {
                    0 => ImageOps.Brightness(subset, f),
                    1 => ImageOps.Contrast(subset, f),
                    2 => ImageOps.Color(subset, f),
                    _ => HueShift(subset, f),
                };
                result = result.index_copy(0, index, changed);
            }
        }
        return result;
    }

    /// <summary>
    /// Shifts hue by a fraction of the colour circle (per image, B) as torchvision does on PIL images:
    /// PIL's 8-bit HSV conversion, the shift added to the hue byte with wrap-around, and back; its float
    /// and double steps kept as PIL's C code has them, so the result is Pillow's byte for byte.
    /// </summary>
    public static Tensor HueShift(Tensor x, Tensor shift)
    {
        if (x.shape[1] == 1) return x;
        using var scope = NewDisposeScope();
        var rgb = x.to_type(ScalarType.Float64);
        var (r, g, bl) = (rgb[.., 0], rgb[.., 1], rgb[.., 2]);
        var max = rgb.amax([1L]);
        var min = rgb.amin([1L]);
        var gray = max.eq(min);
        static Tensor F32(Tensor t) => t.to_type(ScalarType.Float32);
        static Tensor F64(Tensor t) => t.to_type(ScalarType.Float64);
        var cr = F32(max - min).clamp_min(1);
        var s = F32(max - min) / F32(max).clamp_min(1);
        var rc = F32(max - r) / cr;
        var gc = F32(max - g) / cr;
        var bc = F32(max - bl) / cr;
        var h = where(r.eq(max), bc - gc, where(g.eq(max), F32(2.0 + F64(rc) - F64(bc)), F32(4.0 + F64(gc) - F64(rc))));
        h = F32((F64(h) / 6.0 + 1.0).fmod(1.0));
        var hue = where(gray, zeros_like(max), (F64(h) * 255.0).trunc().clamp(0, 255));
        var sat = where(gray, zeros_like(max), (F64(s) * 255.0).trunc().clamp(0, 255));
        // np.uint8(factor · 255): truncated toward zero, added modulo 256.
        var step = (F64(shift) * 255.0).trunc().view(-1, 1, 1);
        hue = (hue + step).remainder(256);

        // Back to RGB (PIL's hsv2rgb): sector i, position f in it, rounding half away from zero.
        var i = (hue * 6.0 / 255.0).floor();
        var f = F64(F32(hue * 6.0 / 255.0 - i));
        var fs = F64(F32(sat / 255.0));
        var v = max;
        var p = (v * (1.0 - fs) + 0.5).floor();
        var q = (v * (1.0 - F64(F32(fs) * F32(f))) + 0.5).floor();
        var t = (v * (1.0 - fs * (1.0 - f)) + 0.5).floor();
        var sector = i.remainder(6);
        Tensor Pick(Tensor[] bySector)
        {
            var result = bySector[5];
            for (var k = 4; k >= 0; k--) result = where(sector.eq(k), bySector[k], result);
            return where(sat.eq(0), v, result);
        }
        var red = Pick([v, q, p, p, t, v]);
        var green = Pick([t, v, v, q, p, p]);
        var blue = Pick([p, p, t, v, v, q]);
        return stack([red, green, blue], 1).to_type(x.dtype).MoveToOuterDisposeScope();
    }

    /// <summary>Replaces each image by its grayscale version (on every channel) with probability p.</summary>
    public static Tensor RandomGrayscale(Tensor x, double p, Generator generator, AugmentTrace? trace = null)
    {
        if (x.shape[1] == 1) return x;
        var mask = rand(x.shape[0], generator: generator).lt(p);
        Trace(trace, "gray", mask);
        return where(mask.to(x.device).view(-1, 1, 1, 1), ImageOps.Quantize(ImageOps.Gray(x)).expand_as(x), x);
    }
}
