using ProCo.Tests;
using ProCo.Training.Augment;
using ProCo.Training.Datasets;
using ProCo.Training.Engine;
using ProCo.Training.Models;
using SkiaSharp;
using static TorchSharp.torch;

namespace ProCo.Training.Tests;

/// <summary>On-disk image datasets: the public code's list files, ImageFolder trees, bad files, decoding.</summary>
public sealed class ImageDatasetTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "proco-images-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_root)) Directory.Delete(_root, recursive: true);
    }

    [Fact]
    public void ImageNetLtLists_UnderTheRoot_LoadWithTheirCountsSynsetNamesAndNormalisation()
    {
        var data = Path.Combine(_root, "imagenet");
        ImageTrees.ListFiles(data, Path.Combine(data, "ImageNet_LT"), "ImageNet_LT_train.txt", "ImageNet_LT_val.txt", "ImageNet_LT_test.txt", [6, 3, 2], 2);

        // The kind is found from the list files in the root's ImageNet_LT/ folder.
        var dataset = ImageFileDatasets.Resolve(new DatasetRequest("inet", data));
        Assert.Equal(("imagenet-lt", Path.Combine(data, "ImageNet_LT", "ImageNet_LT_test.txt")), (dataset.Kind, dataset.TestList));
        var splits = ImageFileDatasets.Load(dataset);
        var train = Assert.IsType<ImageFileSplit>(splits.Train);
        Assert.Equal(1000, train.NumClasses);
        Assert.Equal([6L, 3, 2], train.ClassCounts().Take(3));
        Assert.Equal((6, 6), (splits.Val!.Count, splits.Test.Count));
        Assert.Equal("train/n00000001/n00000001_train_0.JPEG", train.Paths[0]);
        Assert.Equal(Path.Combine(data, "train/n00000001/n00000001_train_0.JPEG"), train.FullPath(0));
        Assert.Equal([0.485, 0.456, 0.406], train.Mean);
        Assert.Equal(["n00000001", "n00000002", "n00000003"], ImageFileReaders.ClassNamesOf(train.Paths, train.Labels, 3));
    }

    [Fact]
    public void INaturalistLists_TestOnTheValidationList_WithTheirOwnNormalisation()
    {
        var data = Path.Combine(_root, "inat");
        var lists = Path.Combine(_root, "ProCo", "dataset", "iNaturalist18");
        ImageTrees.ListFiles(data, lists, "iNaturalist18_train.txt", "iNaturalist18_val.txt", null, [5, 2], 2);

        var dataset = ImageFileDatasets.Resolve(new DatasetRequest("inat", data, "inat2018", lists));
        Assert.Equal(dataset.ValList, dataset.TestList);
        var splits = ImageFileDatasets.Load(dataset);
        Assert.Equal(8142, splits.Train.NumClasses);
        Assert.Equal(((ImageFileSplit)splits.Val!).Paths, ((ImageFileSplit)splits.Test).Paths);
        Assert.Equal([0.466, 0.471, 0.380], ((ImageFileSplit)splits.Train).Mean);
        // Counted once by a scan: train and val.
        Assert.Equal(["train", "val"], ImageFileDatasets.Scan(dataset).Splits.Keys.Order());
    }

    [Fact]
    public void ImageFolderWithSplitFolders_LoadsSortedClasses_AndAScanReportsEveryBadFileByPath()
    {
        var tree = ImageTrees.SplitFolders(Path.Combine(_root, "tree"), [10, 6, 3], 2);
        var dataset = ImageFileDatasets.Resolve(new DatasetRequest("flowers", tree));
        Assert.Equal("folder", dataset.Kind);
        var splits = ImageFileDatasets.Load(dataset);
        Assert.Equal(["apple", "birch", "cedar"], splits.Train.ClassNames);
        // The corrupt and the truncated file are listed (found by name); only decoding tells them apart.
        Assert.Equal([11L, 7, 3], splits.Train.ClassCounts());
        Assert.Equal([2L, 2, 2], splits.Val!.ClassCounts());
        Assert.Equal([2L, 2, 2], splits.Test.ClassCounts());
        Assert.Contains(((ImageFileSplit)splits.Train).Paths, p => p.EndsWith(".png", StringComparison.Ordinal));

        Assert.Empty(ImageFileDatasets.Scan(dataset).Unreadable);
        var scan = ImageFileDatasets.Scan(dataset, decode: true, threads: 2);
        Assert.True(scan.Decoded);
        Assert.Equal(
            [
                (Path.Combine(tree, "train", "apple", "zz_corrupt.jpg"), false),
                (Path.Combine(tree, "train", "birch", "zz_truncated.jpg"), true),
            ],
            scan.Unreadable.Select(u => (u.Path, u.Reason.StartsWith("truncated", StringComparison.Ordinal))));

        File.Delete(Path.Combine(tree, "val", "cedar", "val_000.jpg"));
        File.WriteAllText(Path.Combine(tree, "extra.txt"), "not in the tree's classes");
        var missing = new RegisteredDataset { Name = "lists", Root = tree, Kind = "list", TrainList = WriteList("t.txt", "train/apple/train_000.jpg 0", "train/apple/gone.jpg 0"), TestList = WriteList("s.txt", "test/birch/test_000.jpg 1") };
        Assert.Equal([(Path.Combine(tree, "train/apple/gone.jpg"), "missing")], ImageFileDatasets.Scan(missing).Unreadable.Select(u => (u.Path, u.Reason)));
    }

    [Fact]
    public void ImageFolderWithoutSplitFolders_SplitsEachClassBySeed()
    {
        var flat = Path.Combine(_root, "flat");
        for (var c = 0; c < 2; c++)
            for (var i = 0; i < 20; i++)
                ImageTrees.WriteImage(Path.Combine(flat, $"class{c}", $"{i:D2}.jpg"), c, i);
        var dataset = ImageFileDatasets.Resolve(new DatasetRequest("flat", flat, ValFraction: 0.1, TestFraction: 0.2, SplitSeed: 3));
        var splits = ImageFileDatasets.Load(dataset);
        Assert.Equal([14L, 14], splits.Train.ClassCounts());
        Assert.Equal([2L, 2], splits.Val!.ClassCounts());
        Assert.Equal([4L, 4], splits.Test.ClassCounts());
        var all = new[] { splits.Train, splits.Val, splits.Test }.SelectMany(s => ((ImageFileSplit)s).Paths).ToList();
        Assert.Equal(40, all.Distinct().Count());
        // The same seed gives the same split; another seed another one.
        Assert.Equal(((ImageFileSplit)splits.Test).Paths, ((ImageFileSplit)ImageFileDatasets.Load(dataset).Test).Paths);
        Assert.NotEqual(((ImageFileSplit)splits.Test).Paths, ((ImageFileSplit)ImageFileDatasets.Load(dataset with { SplitSeed = 4 }).Test).Paths);
    }

    [Fact]
    public void BadRegistrations_AndBadListLines_GetClearErrors()
    {
        Directory.CreateDirectory(_root);
        string Refused(DatasetRequest request) => Assert.Throws<DatasetRequestException>(() => ImageFileDatasets.Resolve(request)).Message;
        Assert.Equal("root", Assert.Throws<DatasetRequestException>(() => ImageFileDatasets.Resolve(new DatasetRequest("mine", "relative/folder"))).Field);
        Assert.Equal("lists", Assert.Throws<DatasetRequestException>(() => ImageFileDatasets.Resolve(new DatasetRequest("inet", _root, "imagenet-lt"))).Field);
        Assert.Contains("absolute folder path", Refused(new DatasetRequest("mine", "relative/folder")), StringComparison.Ordinal);
        Assert.Contains("does not exist", Refused(new DatasetRequest("mine", Path.Combine(_root, "nowhere"))), StringComparison.Ordinal);
        Assert.Contains("built-in dataset cifar10", Refused(new DatasetRequest("cifar-10", _root)), StringComparison.Ordinal);
        Assert.Contains("not a dataset name", Refused(new DatasetRequest("My Data", _root)), StringComparison.Ordinal);
        Assert.Contains("ImageNet_LT_train.txt", Refused(new DatasetRequest("inet", _root, "imagenet-lt")), StringComparison.Ordinal);
        Assert.Contains("train list file", Refused(new DatasetRequest("mine", _root, "list")), StringComparison.Ordinal);

        var list = WriteList("bad.txt", "train/a.jpg 0", "train/b.jpg seven");
        var error = Assert.Throws<InvalidDataException>(() => ImageFileReaders.ReadList(list));
        Assert.Equal($"{list}, line 2: expected \"relative/path.jpg label\" with a whole-number label, found \"train/b.jpg seven\".", error.Message);
        var escape = WriteList("escape.txt", "../../etc/passwd 0");
        Assert.Contains("relative to the dataset's root", Assert.Throws<InvalidDataException>(() => ImageFileReaders.ReadList(escape)).Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(6, 3, new[] { 3, 3 })]
    [InlineData(7, 3, new[] { 3, 4 })]
    [InlineData(4, 3, new[] { 4 })]
    [InlineData(5, 2, new[] { 2, 3 })]
    [InlineData(8, 8, new[] { 8 })]
    [InlineData(9, 32, new[] { 9 })]
    public void MicroBatches_CoverTheBatch_AndNeverLeaveOneImageAlone(int size, int micro, int[] lengths)
    {
        var parts = Trainer.MicroBatches(size, micro).ToList();
        Assert.Equal(lengths, parts.Select(p => p.Length));
        Assert.Equal(Enumerable.Range(0, size), parts.SelectMany(p => Enumerable.Range(p.From, p.Length)));
    }

    [Fact]
    public void Decoder_RefusesTruncatedFiles_AndCutsTheViewsToSize()
    {
        var jpeg = Path.Combine(_root, "a.jpg");
        var png = Path.Combine(_root, "b.png");
        ImageTrees.WriteImage(jpeg, 0, 0, 60, 30);
        ImageTrees.WriteImage(png, 1, 0, 30, 60);
        Assert.Null(ImageDecoder.Problem(jpeg));
        Assert.Null(ImageDecoder.Problem(png));
        var half = File.ReadAllBytes(png);
        File.WriteAllBytes(png, half[..(half.Length / 2)]);
        Assert.Equal("truncated (no PNG IEND chunk)", ImageDecoder.Problem(png));
        Assert.Equal("missing", ImageDecoder.Problem(Path.Combine(_root, "none.jpg")));

        using var image = ImageDecoder.Decode(jpeg);
        Assert.Equal((60, 30), (image.Width, image.Height));
        var view = new byte[16 * 16 * 3];
        PixelOps.ResizeCentreCrop(image.GetPixelSpan(), image.Width, image.Height, 18, 16, view);
        // A reddish image stays reddish through resize and crop.
        Assert.True(view[0] > view[1] && view[0] > view[2]);
        PixelOps.ResizedCrop(image.GetPixelSpan(), image.Width, 10, 5, 20, 20, 16, view);
        Assert.True(view[0] > view[2]);

        var random = new Random(1);
        for (var i = 0; i < 200; i++)
        {
            var box = FileFeed.CropBox(60, 30, random);
            Assert.True(box.Left >= 0 && box.Top >= 0 && box.Right <= 60 && box.Bottom <= 30 && box.Width > 0 && box.Height > 0, box.ToString());
            var ratio = (double)box.Width / box.Height;
            Assert.InRange(ratio, 3.0 / 4 - 0.1, 4.0 / 3 + 0.1);
        }
        // A strip no box of ratio 3/4-4/3 and 8% of the area fits into: torchvision's centre fallback.
        Assert.Equal(SKRectI.Create(44, 0, 13, 10), FileFeed.CropBox(101, 10, new RiggedRandom()));
    }

    [Fact]
    public void RandAugment_GivesWholePixelValues_DeterministicPerSeed_AndFillsWithTheImageNetMean()
    {
        using var scope = NewDisposeScope();
        var x = rand(16, 3, 24, 24, generator: new TorchSharp.torch.Generator(5)).mul(255).round();
        var a = RandAugment.Apply(x, new Random(3));
        var b = RandAugment.Apply(x, new Random(3));
        Assert.Equal([16L, 3, 24, 24], a.shape);
        Assert.True(Same(a, b));
        Assert.False(Same(a, x));
        Assert.True(a.eq(a.round()).all().item<bool>());
        Assert.InRange(a.min().item<float>(), 0, 255);
        Assert.InRange(a.max().item<float>(), 0, 255);
        // Over many images every op is drawn; a large translation shows the fill colour at an edge.
        var many = zeros(400, 3, 16, 16);
        var out_ = RandAugment.Apply(many, new Random(11));
        var corner = out_[.., .., 0, 0];
        Assert.True(corner.eq(tensor(new float[] { 124, 116, 104 }).view(1, 3)).all(1).any().item<bool>());
    }

    [Theory]
    [InlineData("resnet50", 1, 23_508_032)]
    [InlineData("resnext50", 1, 22_979_904)]
    public void TorchvisionBackbones_HaveTorchvisionsCountsAndNames(string arch, int divisor, long backbone)
    {
        var config = new TrainingConfig { Arch = arch, WidthDivisor = divisor, FeatDim = 1024, UseNorm = true };
        using var model = new ProCoModel(ModelSpec.For(config, 3, 1000));
        Assert.Equal(backbone, ProCoModel.CountParameters(model.Encoder));
        Assert.Equal(ProCoModel.CountParameters(model), TrainingBudget.Of(config, 3, 224, 1000).Parameters);
        var shapes = model.state_dict().ToDictionary(p => p.Key, p => p.Value.shape);
        Assert.Equal([256L, 64, 1, 1], shapes["encoder.layer1.0.downsample.0.weight"]);
        Assert.Equal([2048L, 2048], shapes["head.0.weight"]);
        Assert.Equal([1024L, 2048], shapes["head.3.weight"]);
        Assert.Equal([2048L, 1000], shapes["fc.weight"]);
        Assert.Equal(arch == "resnext50" ? [256L, 8, 3, 3] : [128L, 128, 3, 3], shapes["encoder.layer2.0.conv2.weight"]);
        Assert.Contains("encoder.layer4.2.bn3.running_var", shapes.Keys);
        // Forward and backward at full width in both layouts and types: libtorch's own 1×1 convolution kernels
        // kill the process with SIGFPE here from 512 channels up (ComputeMode.Pointwise replaces them).
        foreach (var mode in Modes) BackwardIsFinite(model, mode, 64);
        // Weights written in PyTorch's layout name the architecture they came from.
        var file = Path.Combine(_root, $"{arch}.pt");
        Directory.CreateDirectory(_root);
        PyTorchWeights.Save(model, file);
        Assert.Equal(model.Spec, PyTorchWeights.InferSpec(PyTorchWeights.Read(file)));
    }

    private static readonly ComputeMode[] Modes =
    [
        new(ScalarType.Float32, false), new(ScalarType.Float32, true), new(ScalarType.BFloat16, false), new(ScalarType.BFloat16, true),
    ];

    // One forward and backward pass; every gradient must be finite.
    private static void BackwardIsFinite(ProCoModel model, ComputeMode mode, int size)
    {
        using var scope = NewDisposeScope();
        model.Mode = mode;
        model.zero_grad();
        var output = model.forward(randn(6, 3, size, size, generator: new TorchSharp.torch.Generator(3)));
        (output.Logits.logsumexp(1).sum() + output.Features.sum()).backward();
        var broken = model.named_parameters().Where(p => p.parameter.grad is null || !p.parameter.grad.isfinite().all().item<bool>()).Select(p => p.name).ToList();
        Assert.True(broken.Count == 0, $"{mode}: no finite gradient for {string.Join(", ", broken.Take(5))}");
    }

    [Theory]
    [InlineData("resnet50", 16)]
    [InlineData("resnet50", 8)]
    [InlineData("resnext50", 4)]
    public void ReducedBackbones_CountAsTheBudgetSays_AndRunForward(string arch, int divisor)
    {
        using var scope = NewDisposeScope();
        var config = new TrainingConfig { Arch = arch, WidthDivisor = divisor, FeatDim = 32, UseNorm = true };
        using var model = new ProCoModel(ModelSpec.For(config, 3, 5));
        Assert.Equal(ProCoModel.CountParameters(model), TrainingBudget.Of(config, 3, 64, 5).Parameters);
        // With a handful of channels libtorch's contiguous 1×1 kernels gave NaN weight gradients here.
        foreach (var mode in Modes) BackwardIsFinite(model, mode, 32);
        model.Mode = ComputeMode.Fp32;
        model.eval();
        var output = model.forward(randn(2, 3, 64, 64));
        Assert.Equal([2L, 5], output.Logits.shape);
        Assert.Equal([2L, 32], output.Features.shape);
    }

    private static bool Same(Tensor a, Tensor b) => a.shape.SequenceEqual(b.shape) && a.eq(b).all().item<bool>();

    private string WriteList(string name, params string[] lines)
    {
        Directory.CreateDirectory(_root);
        var path = Path.Combine(_root, name);
        File.WriteAllLines(path, lines);
        return path;
    }

    // Always draws the largest area: ten boxes that never fit a 101×10 strip.
    private sealed class RiggedRandom : Random
    {
        public override double NextDouble() => 0.999;
        public override int Next(int maxValue) => 0;
    }
}
