using static TorchSharp.torch;

namespace ProCo.Training.Augment;

/// <summary>
/// RandAugment as the public ProCo ImageNet code configures timm's implementation,
/// <c>rand-n2-m10-mstd0.5</c>: each image draws two of fifteen operations (uniformly, with
/// replacement); each is applied with probability ½ at a magnitude drawn from N(10, 0.5) clipped to
/// [0, 10]; geometric operations sample bilinearly or bicubically at random and fill with the
/// ImageNet mean (124, 116, 104); translations move by up to 45% of the image.
/// </summary>
public static class RandAugment
{
    /// <summary>timm's _RAND_TRANSFORMS, the operations RandAugment draws from.</summary>
    public enum Op
    {
        AutoContrast, Equalize, Invert, Rotate, PosterizeTpu, Solarize, SolarizeAdd, Color, Contrast, Brightness, Sharpness,
        ShearX, ShearY, TranslateXRel, TranslateYRel,
    }

    /// <summary>Operations per image (n).</summary>
    public const int Layers = 2;

    /// <summary>Magnitude (m) on timm's 0..10 scale.</summary>
    public const double Magnitude = 10;

    /// <summary>Standard deviation of the magnitude noise (mstd).</summary>
    public const double MagnitudeStd = 0.5;

    /// <summary>Probability each drawn operation is applied.</summary>
    public const double Probability = 0.5;

    /// <summary>Fill of geometric operations: the ImageNet mean in 0..255, as the public code's img_mean.</summary>
    public static readonly double[] FillColor = [124, 116, 104];

    private static readonly Op[] Ops = Enum.GetValues<Op>();

    /// <summary>One drawn operation: which, its level (0..10), whether a signed argument is negated, and whether a geometric one samples bicubically.</summary>
    public readonly record struct Plan(Op Op, double Level, bool Negate, bool Bicubic);

    /// <summary>One image's draws: for each of the <see cref="Layers"/> layers the operation applied, or null where the layer's coin said no.</summary>
    public static Plan?[] Draw(Random random)
    {
        var drawn = new Plan?[Layers];
        for (var l = 0; l < Layers; l++)
        {
            var op = Ops[random.Next(Ops.Length)];
            if (random.NextDouble() > Probability) continue;
            var level = Math.Clamp(Magnitude + MagnitudeStd * Gaussian(random), 0, 10);
            drawn[l] = new Plan(op, level, random.NextDouble() > 0.5, random.Next(2) == 1);
        }
        return drawn;
    }

    /// <summary>
    /// Applies one image's drawn operations to its <paramref name="size"/>² RGB bytes in place, each as Pillow computes it
    /// (<see cref="PixelOps"/>): the same operations as <see cref="Apply"/>, without tensors.
    /// </summary>
    public static void ApplyPixels(Span<byte> rgb, int size, Plan?[] drawn)
    {
        foreach (var plan in drawn)
        {
            if (plan is not { } p) continue;
            var m = Argument(p);
            switch (p.Op)
            {
                case Op.AutoContrast: PixelOps.AutoContrast(rgb); break;
                case Op.Equalize: PixelOps.Equalize(rgb); break;
                case Op.Invert: PixelOps.Invert(rgb); break;
                case Op.PosterizeTpu: PixelOps.Posterize(rgb, (int)m); break;
                case Op.Solarize: PixelOps.Solarize(rgb, (int)m); break;
                case Op.SolarizeAdd: PixelOps.SolarizeAdd(rgb, (int)m, 128); break;
                case Op.Color: PixelOps.Saturation(rgb, (float)m); break;
                case Op.Contrast: PixelOps.Contrast(rgb, (float)m); break;
                case Op.Brightness: PixelOps.Brightness(rgb, (float)m); break;
                case Op.Sharpness: PixelOps.Sharpness(rgb, size, (float)m); break;
                case Op.ShearX: PixelOps.Affine(rgb, size, [1, m, 0, 0, 1, 0], p.Bicubic, FillBytes); break;
                case Op.ShearY: PixelOps.Affine(rgb, size, [1, 0, 0, m, 1, 0], p.Bicubic, FillBytes); break;
                case Op.TranslateXRel: PixelOps.Affine(rgb, size, [1, 0, m * size, 0, 1, 0], p.Bicubic, FillBytes); break;
                case Op.TranslateYRel: PixelOps.Affine(rgb, size, [1, 0, 0, 0, 1, m * size], p.Bicubic, FillBytes); break;
                case Op.Rotate: PixelOps.Rotate(rgb, size, m, p.Bicubic, FillBytes); break;
            }
        }
    }

    private static readonly byte[] FillBytes = [.. FillColor.Select(v => (byte)v)];

    /// <summary>Records one image's draws in <paramref name="trace"/> (see <see cref="Apply"/>).</summary>
    public static void Trace(AugmentTrace trace, Plan?[] drawn) => TraceImage(trace, drawn);

    /// <summary>
    /// Applies RandAugment to a batch of 0..255 float images (B × 3 × H × W), each image independently; <paramref name="trace"/>,
    /// when given, records per image how many times each operation fired (<c>ra.Rotate</c> ...), and of each one that fired
    /// its level (<c>ra.level</c>), whether a signed one was negated (<c>ra.negate</c>) and whether a geometric one sampled
    /// bicubically (<c>ra.bicubic</c>).
    /// </summary>
    public static Tensor Apply(Tensor x, Random random, AugmentTrace? trace = null)
    {
        var count = (int)x.shape[0];
        var layers = new Plan?[Layers][];
        for (var l = 0; l < Layers; l++) layers[l] = new Plan?[count];
        for (var i = 0; i < count; i++)
        {
            var drawn = Draw(random);
            for (var l = 0; l < Layers; l++) layers[l][i] = drawn[l];
            if (trace is not null) Trace(trace, drawn);
        }

        using var fill = tensor(FillColor, device: x.device).to_type(x.dtype).view(1, -1, 1, 1);
        var result = x.clone();
        foreach (var layer in layers)
        {
            foreach (var group in Enumerable.Range(0, count).Where(i => layer[i] is not null)
                         .GroupBy(i => (layer[i]!.Value.Op, Geometric(layer[i]!.Value.Op) && layer[i]!.Value.Bicubic)))
            {
                using var scope = NewDisposeScope();
                var members = group.ToArray();
                var indices = tensor(members.Select(i => (long)i).ToArray(), device: x.device);
                var arguments = tensor(members.Select(i => Argument(layer[i]!.Value)).ToArray(), device: x.device).to_type(x.dtype);
                var changed = Run(group.Key.Op, result.index_select(0, indices), arguments, group.Key.Item2, fill);
                result.index_copy_(0, indices, changed);
            }
        }
        return result;
    }

    private static void TraceImage(AugmentTrace trace, Plan?[] fired)
    {
        foreach (var op in Ops) trace.Record($"ra.{op}", fired.Count(p => p?.Op == op));
        foreach (var plan in fired.OfType<Plan>())
        {
            // timm draws a level for every operation but hands it only to those that take an argument.
            if (plan.Op is not (Op.AutoContrast or Op.Equalize or Op.Invert)) trace.Record("ra.level", plan.Level);
            if (!Geometric(plan.Op)) continue;
            // timm negates the geometric operations' arguments at random and picks their filter.
            trace.Record("ra.negate", plan.Negate ? 1 : 0);
            trace.Record("ra.bicubic", plan.Bicubic ? 1 : 0);
        }
    }

    private static bool Geometric(Op op) => op is Op.Rotate or Op.ShearX or Op.ShearY or Op.TranslateXRel or Op.TranslateYRel;

    /// <summary>timm's level-to-argument maps (level on 0..10), signed where timm negates at random.</summary>
    private static double Argument(Plan plan)
    {
        var fraction = plan.Level / 10;
        var sign = plan.Negate ? -1 : 1;
        return plan.Op switch
        {
            Op.Rotate => sign * fraction * 30,
            Op.ShearX or Op.ShearY => sign * fraction * 0.3,
            Op.TranslateXRel or Op.TranslateYRel => sign * fraction * 0.45,
            Op.PosterizeTpu => (int)(fraction * 4),
            Op.Solarize => (int)(fraction * 256),
            Op.SolarizeAdd => (int)(fraction * 110),
            Op.Color or Op.Contrast or Op.Brightness or Op.Sharpness => fraction * 1.8 + 0.1,
            _ => 0,
        };
    }

    private static Tensor Run(Op op, Tensor x, Tensor m, bool bicubic, Tensor fill)
    {
        var (n, h, w) = (x.shape[0], x.shape[2], x.shape[3]);
        var one = ones(n, dtype: x.dtype, device: x.device);
        var zero = zeros(n, dtype: x.dtype, device: x.device);
        Tensor Affine(Tensor coefficients) =>
            bicubic ? ImageOps.AffineBicubic(x, coefficients, fill) : ImageOps.Affine(x, coefficients, nearest: false, fill);
        return op switch
        {
            Op.AutoContrast => ImageOps.AutoContrast(x),
            Op.Equalize => ImageOps.Equalize(x),
            Op.Invert => ImageOps.Invert(x),
            // bits 0 keeps nothing (all black), as PIL's posterize with 0 bits.
            Op.PosterizeTpu => ImageOps.Posterize(x, m),
            Op.Solarize => ImageOps.Solarize(x, m),
            // Pixels below 128 get m added (capped at 255).
            Op.SolarizeAdd => where(x.lt(128), (x + m.view(-1, 1, 1, 1)).clamp_max(255), x),
            Op.Color => ImageOps.Color(x, m),
            Op.Contrast => ImageOps.Contrast(x, m),
            Op.Brightness => ImageOps.Brightness(x, m),
            Op.Sharpness => ImageOps.Sharpness(x, m),
            // PIL AFFINE coefficients (a, b, c, d, e, f): input = (a u + b v + c, d u + e v + f).
            Op.ShearX => Affine(stack([one, m, zero, zero, one, zero], 1)),
            Op.ShearY => Affine(stack([one, zero, zero, m, one, zero], 1)),
            Op.TranslateXRel => Affine(stack([one, zero, m * w, zero, one, zero], 1)),
            Op.TranslateYRel => Affine(stack([one, zero, zero, zero, one, m * h], 1)),
            Op.Rotate => Rotate(x, m, bicubic, fill),
            _ => throw new ArgumentOutOfRangeException(nameof(op)),
        };
    }

    // PIL's rotate(degrees) turns counter-clockwise about the centre: input = R(−θ)(output − centre) + centre.
    private static Tensor Rotate(Tensor x, Tensor degrees, bool bicubic, Tensor fill)
    {
        var (h, w) = (x.shape[2], x.shape[3]);
        var radians = degrees * (Math.PI / 180);
        var (cos, sin) = (radians.cos(), radians.sin());
        if (bicubic)
        {
            // AffineBicubic samples at pixel centres (u + ½): the centre is (w/2, h/2).
            double cx = w / 2.0, cy = h / 2.0;
            return ImageOps.AffineBicubic(x, stack([cos, -sin, cx - cos * cx + sin * cy, sin, cos, cy - sin * cx - cos * cy], 1), fill);
        }
        double cu = (w - 1) / 2.0, cv = (h - 1) / 2.0;
        return ImageOps.Affine(x, stack([cos, -sin, cu - cos * cu + sin * cv, sin, cos, cv - sin * cu - cos * cv], 1), nearest: false, fill);
    }

    // Box-Muller, as Python's random.gauss draws a standard normal.
    private static double Gaussian(Random random)
    {
        var u1 = 1.0 - random.NextDouble();
        var u2 = random.NextDouble();
        return Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }
}
