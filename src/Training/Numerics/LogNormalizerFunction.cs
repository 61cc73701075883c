using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.autograd;

namespace ProCo.Training.Numerics;

/// <summary>
/// Differentiable <c>log_c(ν, κ)</c> in float64: forward is <see cref="VmfNormalizer.LogC(Tensor, double)"/>,
/// backward uses <c>d log_c / dκ = I_{ν+1}(κ) / I_ν(κ)</c> (<see cref="VmfNormalizer.Ratio(Tensor, double)"/>).
/// </summary>
public sealed class LogNormalizerFunction : SingleTensorFunction<LogNormalizerFunction>
{
    /// <inheritdoc />
    public override string Name => "ProCoLogNormalizer";

    /// <summary>Applies the function to κ (float64) with the given ν.</summary>
    public static Tensor Apply(Tensor kappa, double nu) => apply(kappa, nu);

    /// <inheritdoc />
    public override Tensor forward(AutogradContext ctx, params object[] vars)
    {
        var kappa = (Tensor)vars[0];
        var nu = (double)vars[1];
        ctx.save_for_backward([kappa]);
        ctx.save_data("nu", nu);
        return VmfNormalizer.LogC(kappa, nu);
    }

    /// <inheritdoc />
    public override List<Tensor> backward(AutogradContext ctx, Tensor grad_output)
    {
        var kappa = ctx.get_saved_variables()[0];
        var nu = (double)ctx.get_data("nu");
        // One gradient per input of apply(): κ, then none for ν.
        return [grad_output * VmfNormalizer.Ratio(kappa, nu), null!];
    }
}
