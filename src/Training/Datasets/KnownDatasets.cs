namespace ProCo.Training.Datasets;

/// <summary>One on-disk distribution of a dataset: its folder under the datasets folder, its format and the files of each split.</summary>
/// <param name="Folder">Folder name under the datasets folder.</param>
/// <param name="Format">idx, binary or python: which reader reads it.</param>
/// <param name="TrainFiles">Files of the training split (each may also be gzipped).</param>
/// <param name="TestFiles">Files of the test split.</param>
public sealed record DatasetLayout(string Folder, string Format, IReadOnlyList<string> TrainFiles, IReadOnlyList<string> TestFiles)
{
    /// <summary>Every file of both splits.</summary>
    public IEnumerable<string> Files => TrainFiles.Concat(TestFiles);
}

/// <summary>Everything ProCo Studio knows about one dataset, in one place.</summary>
/// <param name="Key">Dataset key, as configs name it.</param>
/// <param name="Aliases">Other spellings people type (CIFAR-100, fmnist).</param>
/// <param name="ClassNames">Class names in label order.</param>
/// <param name="Channels">Image channels.</param>
/// <param name="Size">Image height and width in pixels.</param>
/// <param name="Mean">Per-channel mean (0..1 scale) the augmentation normalises with.</param>
/// <param name="Std">Per-channel standard deviation (0..1 scale).</param>
/// <param name="Layouts">Distributions the readers understand, in search order.</param>
/// <param name="SystemFolder">Where a distribution package installs it (Debian), if one does.</param>
/// <param name="Downloads">Its official sources (proco download).</param>
/// <param name="HowToGet">What to do when it is missing, given the datasets folder.</param>
public sealed record DatasetInfo(string Key, IReadOnlyList<string> Aliases, IReadOnlyList<string> ClassNames, int Channels, int Size,
    double[] Mean, double[] Std, IReadOnlyList<DatasetLayout> Layouts, string? SystemFolder, IReadOnlyList<DownloadSource> Downloads,
    Func<string, string> HowToGet)
{
    /// <summary>Number of classes.</summary>
    public int NumClasses => ClassNames.Count;
}

/// <summary>The datasets ProCo Studio can train on: the catalog, the readers, the augmentation, the downloader and the API read this table.</summary>
public static class KnownDatasets
{
    /// <summary>Where Debian's <c>dataset-fashion-mnist</c> package installs the IDX files.</summary>
    public const string DebianFashionMnistDir = "/usr/share/datasets/fashion-mnist";

    private const string FashionSource = "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/";
    private static readonly double[] CifarMean = [0.4914, 0.4822, 0.4465];
    private static readonly double[] CifarStd = [0.2023, 0.1994, 0.2010];

    public static readonly DatasetInfo FashionMnist = new(
        "fashion-mnist", ["fashionmnist", "fmnist"],
        ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"],
        Channels: 1, Size: 28, Mean: [0.2860], Std: [0.3530],
        [new("fashion-mnist", "idx", ["train-images-idx3-ubyte", "train-labels-idx1-ubyte"], ["t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"])],
        DebianFashionMnistDir,
        // Checked on the decompressed IDX content, so a re-compressed mirror (Debian's) verifies too.
        [
            new(new Uri(FashionSource + "train-images-idx3-ubyte.gz"), "fashion-mnist/train-images-idx3-ubyte.gz", "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888", "sha256-gunzipped", false),
            new(new Uri(FashionSource + "train-labels-idx1-ubyte.gz"), "fashion-mnist/train-labels-idx1-ubyte.gz", "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9", "sha256-gunzipped", false),
            new(new Uri(FashionSource + "t10k-images-idx3-ubyte.gz"), "fashion-mnist/t10k-images-idx3-ubyte.gz", "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b", "sha256-gunzipped", false),
            new(new Uri(FashionSource + "t10k-labels-idx1-ubyte.gz"), "fashion-mnist/t10k-labels-idx1-ubyte.gz", "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34", "sha256-gunzipped", false),
        ],
        dir => $"Install the Debian package 'dataset-fashion-mnist' (files land in {DebianFashionMnistDir}), " +
               $"or copy the four IDX files (train-images-idx3-ubyte.gz ...) into {Path.Combine(dir, "fashion-mnist")}.");

    public static readonly DatasetInfo Cifar10 = new(
        "cifar10", ["cifar-10"],
        ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"],
        Channels: 3, Size: 32, CifarMean, CifarStd,
        [
            new("cifar-10-batches-bin", "binary", [.. Enumerable.Range(1, 5).Select(i => $"data_batch_{i}.bin")], ["test_batch.bin"]),
            new("cifar-10-batches-py", "python", [.. Enumerable.Range(1, 5).Select(i => $"data_batch_{i}")], ["test_batch"]),
        ],
        SystemFolder: null,
        [new(new Uri("https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"), "cifar-10-python.tar.gz", "c58f30108f718f92721af3b95e74349a", "md5", true)],
        dir => $"Extract cifar-10-binary.tar.gz or cifar-10-python.tar.gz into {dir} (giving cifar-10-batches-bin/ or cifar-10-batches-py/).");

    public static readonly DatasetInfo Cifar100 = new(
        "cifar100", ["cifar-100"],
        [
            "apple", "aquarium_fish", "baby", "bear", "beaver", "bed", "bee", "beetle", "bicycle", "bottle",
            "bowl", "boy", "bridge", "bus", "butterfly", "camel", "can", "castle", "caterpillar", "cattle",
            "chair", "chimpanzee", "clock", "cloud", "cockroach", "couch", "crab", "crocodile", "cup", "dinosaur",
            "dolphin", "elephant", "flatfish", "forest", "fox", "girl", "hamster", "house", "kangaroo", "keyboard",
            "lamp", "lawn_mower", "leopard", "lion", "lizard", "lobster", "man", "maple_tree", "motorcycle", "mountain",
            "mouse", "mushroom", "oak_tree", "orange", "orchid", "otter", "palm_tree", "pear", "pickup_truck", "pine_tree",
            "plain", "plate", "poppy", "porcupine", "possum", "rabbit", "raccoon", "ray", "road", "rocket",
            "rose", "sea", "seal", "shark", "shrew", "skunk", "skyscraper", "snail", "snake", "spider",
            "squirrel", "streetcar", "sunflower", "sweet_pepper", "table", "tank", "telephone", "television", "tiger", "tractor",
            "train", "trout", "tulip", "turtle", "wardrobe", "whale", "willow_tree", "wolf", "woman", "worm",
        ],
        Channels: 3, Size: 32, CifarMean, CifarStd,
        [
            new("cifar-100-binary", "binary", ["train.bin"], ["test.bin"]),
            new("cifar-100-python", "python", ["train"], ["test"]),
        ],
        SystemFolder: null,
        [new(new Uri("https://www.cs.toronto.edu/~kriz/cifar-100-python.tar.gz"), "cifar-100-python.tar.gz", "eb9058c3a382ffc7106e4002c42a8d85", "md5", true)],
        dir => $"Extract cifar-100-binary.tar.gz or cifar-100-python.tar.gz into {dir} (giving cifar-100-binary/ or cifar-100-python/).");

    /// <summary>Every known dataset, in display order.</summary>
    public static readonly IReadOnlyList<DatasetInfo> All = [FashionMnist, Cifar10, Cifar100];

    /// <summary>The dataset a key or an alias names (any case, '_' for '-'), or null.</summary>
    public static DatasetInfo? Find(string name)
    {
        var key = name.Trim().ToLowerInvariant().Replace('_', '-');
        return All.FirstOrDefault(d => d.Key == key || d.Aliases.Contains(key));
    }

    /// <summary>The dataset a key or an alias names, or an error that lists the known ones.</summary>
    public static DatasetInfo Get(string name) =>
        Find(name) ?? throw new ArgumentException($"Unknown dataset '{name}'. Known datasets: {string.Join(", ", All.Select(d => d.Key))}.");
}
