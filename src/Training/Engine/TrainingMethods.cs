namespace ProCo.Training.Engine;

/// <summary>
/// The training methods, named as the configuration, the API, the CLI and the stored runs name them, and what each
/// computes: a new method is a name here (with its label in <see cref="Labels"/>) and its loss in the trainer.
/// </summary>
public static class TrainingMethods
{
    /// <summary>Logit-adjusted cross-entropy plus α times the ProCo contrastive loss of two SimCLR views.</summary>
    public const string ProCo = "proco";

    /// <summary>Logit-adjusted cross-entropy (Menon et al. 2021).</summary>
    public const string La = "la";

    /// <summary>Plain cross-entropy.</summary>
    public const string Ce = "ce";

    /// <summary>Every method with its label, "name=label" as a configuration field's choices are written.</summary>
    public static readonly IReadOnlyList<string> Labels = [$"{ProCo}=ProCo", $"{La}=Logit-adjusted CE", $"{Ce}=Plain CE"];

    /// <summary>True for a method with the contrastive loss (and its estimators, and its two extra views).</summary>
    public static bool IsContrastive(string method) => method == ProCo;

    /// <summary>Views of each image a step computes: the classification view, and two contrastive ones for ProCo.</summary>
    public static int ViewsPerImage(string method) => IsContrastive(method) ? 3 : 1;

    /// <summary>τ of the logit adjustment the method trains with: the configured one, none for plain CE.</summary>
    public static double AdjustmentTau(TrainingConfig config) => config.Method == Ce ? 0 : config.LogitAdjustTau;
}
