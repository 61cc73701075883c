namespace ProCo.Training.Datasets;

/// <summary>
/// A family of on-disk datasets whose layout the public code fixes: the list files it reads, the
/// normalisation it uses, which list is the test split.
/// </summary>
/// <param name="Kind">Key of the family (imagenet-lt, inat2018).</param>
/// <param name="Title">Display name.</param>
/// <param name="TrainList">File name of the training list.</param>
/// <param name="ValList">File name of the validation list (the model is chosen on it).</param>
/// <param name="TestList">File name of the test list (the final evaluation); the validation list where the family has no other.</param>
/// <param name="Classes">Number of classes.</param>
/// <param name="Mean">Normalisation mean (0..1).</param>
/// <param name="Std">Normalisation standard deviation (0..1).</param>
public sealed record ImageFamily(string Kind, string Title, string TrainList, string ValList, string TestList, int Classes, double[] Mean, double[] Std);
