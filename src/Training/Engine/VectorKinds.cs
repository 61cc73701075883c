namespace ProCo.Training.Engine;

/// <summary>Names of per-class vectors reported at epoch ends.</summary>
public static class VectorKinds
{
    /// <summary>κ of the old estimator (training features of the last two epochs): what the ProCo loss uses.</summary>
    public const string Kappa = "kappa";
    /// <summary>κ of the test images' features: how concentrated each class is on held-out data.</summary>
    public const string TestKappa = "kappa_test";
    /// <summary>Test accuracy of each class, in percent.</summary>
    public const string Accuracy = "accuracy";
    /// <summary>Training images of each class (the same every epoch).</summary>
    public const string ClassCounts = "counts";

    /// <summary>Every kind, in the order the pages show them.</summary>
    public static readonly IReadOnlyList<string> All = [Kappa, TestKappa, Accuracy, ClassCounts];
}
