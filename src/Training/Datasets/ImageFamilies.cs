namespace ProCo.Training.Datasets;

/// <summary>The families of the public code: ImageNet-LT and iNaturalist 2018.</summary>
public static class ImageFamilies
{
    /// <summary>ImageNet-LT (Liu et al. 2019): 1000 classes; train, val and test lists; ImageNet's normalisation.</summary>
    public static readonly ImageFamily ImageNetLt = new("imagenet-lt", "ImageNet-LT", "ImageNet_LT_train.txt", "ImageNet_LT_val.txt",
        "ImageNet_LT_test.txt", 1000, [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]);

    /// <summary>iNaturalist 2018: 8,142 classes; its validation list is also its test list; its own normalisation.</summary>
    public static readonly ImageFamily INaturalist2018 = new("inat2018", "iNaturalist 2018", "iNaturalist18_train.txt", "iNaturalist18_val.txt",
        "iNaturalist18_val.txt", 8142, [0.466, 0.471, 0.380], [0.195, 0.194, 0.192]);

    /// <summary>Both, in display order.</summary>
    public static readonly IReadOnlyList<ImageFamily> All = [ImageNetLt, INaturalist2018];

    /// <summary>The family of a kind, or null.</summary>
    public static ImageFamily? Find(string kind) => All.FirstOrDefault(f => f.Kind == kind);

    /// <summary>Every kind a registration may have.</summary>
    public static readonly IReadOnlyList<string> Kinds = [.. All.Select(f => f.Kind), "list", "folder"];
}
