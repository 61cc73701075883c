using static TorchSharp.torch;

namespace ProCo.Training.Augment;

/// <summary>
/// AutoAugment's CIFAR-10 policy (Cubuk et al. 2019) as used by the published ProCo CIFAR recipe:
/// each image draws one of 25 sub-policies; each of its two operations is applied with its
/// probability at its fixed magnitude (signed ops draw their sign per image).
/// </summary>
public static class AutoAugment
{
    /// <summary>Operations of the policy.</summary>
    public enum Op
    {
        Invert, Contrast, Rotate, TranslateX, TranslateY, Sharpness, ShearX, ShearY, AutoContrast, Equalize,
        Posterize, Color, Brightness, Solarize,
    }

    /// <summary>One sub-policy: two (probability, op, magnitude level 0..9) steps.</summary>
    public readonly record struct SubPolicy(double P1, Op Op1, int M1, double P2, Op Op2, int M2);

    /// <summary>The 25 sub-policies of the CIFAR-10 policy.</summary>
    public static readonly IReadOnlyList<SubPolicy> Cifar10Policy =
    [
        new(0.1, Op.Invert, 7, 0.2, Op.Contrast, 6),
        new(0.7, Op.Rotate, 2, 0.3, Op.TranslateX, 9),
        new(0.8, Op.Sharpness, 1, 0.9, Op.Sharpness, 3),
        new(0.5, Op.ShearY, 8, 0.7, Op.TranslateY, 9),
        new(0.5, Op.AutoContrast, 8, 0.9, Op.Equalize, 2),
        new(0.2, Op.ShearY, 7, 0.3, Op.Posterize, 7),
        new(0.4, Op.Color, 3, 0.6, Op.Brightness, 7),
        new(0.3, Op.Sharpness, 9, 0.7, Op.Brightness, 9),
        new(0.6, Op.Equalize, 5, 0.5, Op.Equalize, 1),
        new(0.6, Op.Contrast, 7, 0.6, Op.Sharpness, 5),
        new(0.7, Op.Color, 7, 0.5, Op.TranslateX, 8),
        new(0.3, Op.Equalize, 7, 0.4, Op.AutoContrast, 8),
        new(0.4, Op.TranslateY, 3, 0.2, Op.Sharpness, 6),
        new(0.9, Op.Brightness, 6, 0.2, Op.Color, 8),
        new(0.5, Op.Solarize, 2, 0.0, Op.Invert, 3),
        new(0.2, Op.Equalize, 0, 0.6, Op.AutoContrast, 0),
        new(0.2, Op.Equalize, 8, 0.6, Op.Equalize, 4),
        new(0.9, Op.Color, 9, 0.6, Op.Equalize, 6),
        new(0.8, Op.AutoContrast, 4, 0.2, Op.Solarize, 8),
        new(0.1, Op.Brightness, 3, 0.7, Op.Color, 0),
        new(0.4, Op.Solarize, 5, 0.9, Op.AutoContrast, 3),
        new(0.9, Op.TranslateY, 9, 0.7, Op.TranslateY, 9),
        new(0.9, Op.AutoContrast, 2, 0.8, Op.Solarize, 3),
        new(0.8, Op.Equalize, 8, 0.1, Op.Invert, 3),
        new(0.7, Op.TranslateY, 9, 0.9, Op.AutoContrast, 1),
    ];

    /// <summary>Magnitude of level 0..9 (np.linspace ranges of the reference implementation).</summary>
    public static double Magnitude(Op op, int level)
    {
        static double Lin(double from, double to, int i) => from + (to - from) * i / 9.0;
        return op switch
        {
            Op.ShearX or Op.ShearY => Lin(0, 0.3, level),
            Op.TranslateX or Op.TranslateY => Lin(0, 150.0 / 331, level), // fraction of the image size
            Op.Rotate => Lin(0, 30, level), // degrees
            Op.Color or Op.Contrast or Op.Sharpness or Op.Brightness => Lin(0, 0.9, level),
            Op.Posterize => System.Math.Round(Lin(8, 4, level), MidpointRounding.ToEven), // bits kept
            Op.Solarize => Lin(256, 0, level), // threshold
            _ => 0,
        };
    }

    // Ops whose magnitude takes a random sign, as the public policy's random.choice([-1, 1]); its
    // rotate never does (PIL's rotate by a positive angle: counter-clockwise only).
    internal static bool IsSigned(Op op) => op is Op.ShearX or Op.ShearY or Op.TranslateX or Op.TranslateY
        or Op.Color or Op.Contrast or Op.Sharpness or Op.Brightness;

    /// <summary>
    /// Applies the policy to a batch of 0..255 float images, each image independently; <paramref name="trace"/>, when
    /// given, records per image how many times each operation fired (<c>aa.Rotate</c> ...) and the sign of each signed
    /// one that fired (<c>aa.ShearX.sign</c>).
    /// </summary>
    public static Tensor Apply(Tensor x, Random random, AugmentTrace? trace = null)
    {
        var count = (int)x.shape[0];
        var plans = new (Op Op, double Magnitude, bool Apply)[2][];
        plans[0] = new (Op, double, bool)[count];
        plans[1] = new (Op, double, bool)[count];
        for (var i = 0; i < count; i++)
        {
            var policy = Cifar10Policy[random.Next(Cifar10Policy.Count)];
            plans[0][i] = Plan(policy.Op1, policy.M1, policy.P1, random);
            plans[1][i] = Plan(policy.Op2, policy.M2, policy.P2, random);
            if (trace is null) continue;
            foreach (var op in Enum.GetValues<Op>())
                trace.Record($"aa.{op}", (plans[0][i].Apply && plans[0][i].Op == op ? 1 : 0) + (plans[1][i].Apply && plans[1][i].Op == op ? 1 : 0));
            foreach (var (op, magnitude, applied) in new[] { plans[0][i], plans[1][i] })
                if (applied && IsSigned(op) && magnitude != 0) trace.Record($"aa.{op}.sign", System.Math.Sign(magnitude));
        }

        var result = x.clone();
        foreach (var plan in plans)
        {
            foreach (var group in Enumerable.Range(0, count).Where(i => plan[i].Apply).GroupBy(i => plan[i].Op))
            {
                var indices = tensor(group.Select(i => (long)i).ToArray(), device: x.device);
                var magnitudes = tensor(group.Select(i => plan[i].Magnitude).ToArray(), device: x.device).to_type(x.dtype);
                var subset = result.index_select(0, indices);
                result.index_copy_(0, indices, Run(group.Key, subset, magnitudes));
            }
        }
        return result;
    }

    private static (Op, double, bool) Plan(Op op, int level, double probability, Random random)
    {
        var apply = random.NextDouble() < probability;
        var magnitude = Magnitude(op, level);
        if (IsSigned(op) && random.Next(2) == 0) magnitude = -magnitude;
        return (op, magnitude, apply);
    }

    private static Tensor Run(Op op, Tensor x, Tensor m)
    {
        var w = x.shape[3];
        var n = x.shape[0];
        var one = ones(n, dtype: x.dtype, device: x.device);
        var zero = zeros(n, dtype: x.dtype, device: x.device);
        return op switch
        {
            Op.Invert => ImageOps.Invert(x),
            Op.AutoContrast => ImageOps.AutoContrast(x),
            Op.Equalize => ImageOps.Equalize(x),
            Op.Posterize => ImageOps.Posterize(x, m),
            Op.Solarize => ImageOps.Solarize(x, m),
            Op.Color => ImageOps.Color(x, 1 + m),
            Op.Contrast => ImageOps.Contrast(x, 1 + m),
            Op.Brightness => ImageOps.Brightness(x, 1 + m),
            Op.Sharpness => ImageOps.Sharpness(x, 1 + m),
            // PIL AFFINE coefficients (a, b, c, d, e, f): input = (a u + b v + c, d u + e v + f).
            // Bicubic, as the public policy's PIL transform.
            Op.ShearX => ImageOps.AffineBicubic(x, stack([one, m, zero, zero, one, zero], 1)),
            Op.ShearY => ImageOps.AffineBicubic(x, stack([one, zero, zero, m, one, zero], 1)),
            Op.TranslateX => ImageOps.Affine(x, stack([one, zero, m * w, zero, one, zero], 1), nearest: true),
            Op.TranslateY => ImageOps.Affine(x, stack([one, zero, zero, zero, one, m * w], 1), nearest: true),
            Op.Rotate => Rotate(x, m),
            _ => throw new ArgumentOutOfRangeException(nameof(op)),
        };
    }

    // Rotation about the image centre by m degrees.
    private static Tensor Rotate(Tensor x, Tensor degrees)
    {
        var (h, w) = (x.shape[2], x.shape[3]);
        var radians = degrees * (System.Math.PI / 180);
        var (cos, sin) = (radians.cos(), radians.sin());
        double cu = (w - 1) / 2.0, cv = (h - 1) / 2.0;
        // input = R (output − centre) + centre
        var c = cu - cos * cu + sin * cv;
        var f = cv - sin * cu - cos * cv;
        return ImageOps.Affine(x, stack([cos, -sin, c, sin, cos, f], 1), nearest: true);
    }
}
