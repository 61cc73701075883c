using System.Globalization;

namespace ProCo.Training.Datasets;

/// <summary>Many / medium / few-shot accuracy (means of per-class accuracy over each group).</summary>
/// <param name="Many">Classes with more than 100 training images.</param>
/// <param name="Medium">Classes with 20 to 100 training images.</param>
/// <param name="Few">Classes with fewer than 20 training images.</param>
/// <param name="ManyClasses">Number of many-shot classes.</param>
/// <param name="MediumClasses">Number of medium-shot classes.</param>
/// <param name="FewClasses">Number of few-shot classes.</param>
public sealed record ShotAccuracy(double Many, double Medium, double Few, int ManyClasses, int MediumClasses, int FewClasses)
{
    /// <summary>More than this many training images makes a class "many-shot".</summary>
    public const int ManyThreshold = 100;

    /// <summary>Fewer than this many training images makes a class "few-shot".</summary>
    public const int FewThreshold = 20;

    /// <summary>Groups per-class accuracy by training count; an empty group scores 0.</summary>
    public static ShotAccuracy From(IReadOnlyList<long> trainCounts, IReadOnlyList<double> perClassAccuracy)
    {
        if (trainCounts.Count != perClassAccuracy.Count)
            throw new ArgumentException("One training count per class accuracy is needed.");
        double many = 0, medium = 0, few = 0;
        int nMany = 0, nMedium = 0, nFew = 0;
        for (var c = 0; c < trainCounts.Count; c++)
        {
            if (trainCounts[c] > ManyThreshold) { many += perClassAccuracy[c]; nMany++; }
            else if (trainCounts[c] < FewThreshold) { few += perClassAccuracy[c]; nFew++; }
            else { medium += perClassAccuracy[c]; nMedium++; }
        }
        return new ShotAccuracy(
            nMany > 0 ? many / nMany : 0, nMedium > 0 ? medium / nMedium : 0, nFew > 0 ? few / nFew : 0,
            nMany, nMedium, nFew);
    }

    /// <summary>
    /// "many 70.70 (5)  medium 33.00 (3)  few – (0)": each group's score with its number of classes;
    /// an empty group shows "–" rather than the 0 it scores.
    /// </summary>
    public string Describe()
    {
        static string Group(double value, int classes) =>
            classes == 0 ? "– (0)" : string.Create(CultureInfo.InvariantCulture, $"{value:F2} ({classes})");
        return $"many {Group(Many, ManyClasses)}  medium {Group(Medium, MediumClasses)}  few {Group(Few, FewClasses)}";
    }
}
