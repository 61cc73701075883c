using ProCo.Tests;
using ProCo.Training.Datasets;

namespace ProCo.Training.Tests;

public sealed class DatasetReaderTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "proco-data-" + Guid.NewGuid().ToString("N"));

    public DatasetReaderTests() => Directory.CreateDirectory(_root);

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public void KnownDatasets_GiveEachDatasetsShapeClassesAndNormalisation_AndNameTheKnownOnesForAnUnknownKey()
    {
        Assert.Equal(["fashion-mnist", "cifar10", "cifar100"], DatasetCatalog.Keys);
        foreach (var (key, channels, size, classes) in new[] { ("fashion-mnist", 1, 28, 10), ("cifar10", 3, 32, 10), ("cifar100", 3, 32, 100) })
        {
            var info = KnownDatasets.Get(key);
            Assert.Equal((channels, size, classes), (info.Channels, info.Size, info.NumClasses));
            Assert.Equal(channels, info.Mean.Length);
            Assert.Equal(channels, info.Std.Length);
            Assert.Equal(classes, DatasetLoader.ClassNames(key).Distinct().Count());
        }
        Assert.Equal("Trouser", DatasetLoader.ClassNames("fashion-mnist")[1]);
        Assert.Equal("worm", DatasetLoader.ClassNames("cifar100")[99]);
        Assert.Equal("cifar100", DatasetCatalog.NormalizeKey(" CIFAR_100 "));
        Assert.Equal("fashion-mnist", DatasetCatalog.NormalizeKey("fmnist"));
        Assert.Equal("Unknown dataset 'imagenet'. Known datasets: fashion-mnist, cifar10, cifar100.",
            Assert.Throws<ArgumentException>(() => DatasetCatalog.NormalizeKey("imagenet")).Message);
    }

    private static long[] Labels(int count, int classes) => Enumerable.Range(0, count).Select(i => (long)(i * 7 % classes)).ToArray();

    private string WriteCifar(string key, string format, int perFile)
    {
        var cifar100 = key == "cifar100";
        var folder = Path.Combine(_root, (key, format) switch
        {
            ("cifar10", "binary") => "cifar-10-batches-bin",
            ("cifar10", _) => "cifar-10-batches-py",
            ("cifar100", "binary") => "cifar-100-binary",
            _ => "cifar-100-python",
        });
        Directory.CreateDirectory(folder);
        var files = cifar100
            ? new[] { "train", "test" }
            : Enumerable.Range(1, 5).Select(i => $"data_batch_{i}").Append("test_batch").ToArray();
        for (var f = 0; f < files.Length; f++)
        {
            var labels = Labels(perFile, cifar100 ? 100 : 10).Select(l => (l + f) % (cifar100 ? 100 : 10)).ToArray();
            var pixels = DatasetFiles.Pixels(perFile, 3072).Select(b => (byte)(b ^ f)).ToArray();
            if (format == "binary") DatasetFiles.WriteCifarBinary(Path.Combine(folder, files[f] + ".bin"), pixels, labels, cifar100);
            else DatasetFiles.WriteCifarPython(Path.Combine(folder, files[f]), pixels, labels, cifar100);
        }
        return folder;
    }

    [Theory]
    [InlineData("cifar10")]
    [InlineData("cifar100")]
    public void Cifar_BinaryAndPythonDistributions_LoadToTheSameImages(string key)
    {
        WriteCifar(key, "binary", perFile: 12);
        WriteCifar(key, "python", perFile: 12);
        var catalog = new DatasetCatalog(_root, searchSystemFolders: false);
        Assert.Equal("binary", catalog.Probe(key).Format);

        var binaryStatus = catalog.Probe(key);
        var binary = CifarReader.Load(key, binaryStatus.Location!, "binary");
        var python = CifarReader.Load(key, binaryStatus.Location!.Replace(key == "cifar10" ? "cifar-10-batches-bin" : "cifar-100-binary",
            key == "cifar10" ? "cifar-10-batches-py" : "cifar-100-python", StringComparison.Ordinal), "python");

        var trainFiles = key == "cifar10" ? 5 : 1;
        Assert.Equal(12 * trainFiles, binary.Train.Count);
        Assert.Equal(12, binary.Test.Count);
        Assert.Equal(((ImageDataset)binary.Train).Pixels, ((ImageDataset)python.Train).Pixels);
        Assert.Equal(binary.Train.Labels, python.Train.Labels);
        Assert.Equal(binary.Test.Labels, python.Test.Labels);
        Assert.Equal(key == "cifar10" ? 10 : 100, binary.Train.NumClasses);
        // First test image: pixels of image 0 of the last file, label (0 + file index) mod classes.
        var lastFile = trainFiles;
        Assert.Equal(DatasetFiles.Pixels(1, 3072).Select(b => (byte)(b ^ lastFile)), ((ImageDataset)binary.Test).Pixels.Take(3072));
        Assert.Equal(lastFile % binary.Train.NumClasses, binary.Test.Labels[0]);
    }

    [Fact]
    public void CifarBinary_TruncatedFile_NamesTheFileAndTheLeftOverBytes()
    {
        var folder = WriteCifar("cifar10", "binary", perFile: 4);
        var path = Path.Combine(folder, "data_batch_3.bin");
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..^100]);
        var error = Assert.Throws<InvalidDataException>(() => CifarReader.Load("cifar10", folder, "binary"));
        Assert.Contains(path, error.Message, StringComparison.Ordinal);
        Assert.Contains("2973 bytes left over", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CifarPython_TruncatedPickle_NamesTheFile()
    {
        var folder = WriteCifar("cifar100", "python", perFile: 3);
        var path = Path.Combine(folder, "train");
        File.WriteAllBytes(path, File.ReadAllBytes(path)[..5000]);
        var error = Assert.Throws<InvalidDataException>(() => CifarReader.Load("cifar100", folder, "python"));
        Assert.Contains(path, error.Message, StringComparison.Ordinal);
        Assert.Contains("truncated", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Pickle_WithAGlobalOtherThanNumpy_IsRefused()
    {
        // PROTO 2, GLOBAL os.system, SHORT_BINSTRING "id", TUPLE1, REDUCE, STOP
        byte[] evil = [0x80, 0x02, .. "cos\nsystem\n"u8, (byte)'U', 0x02, .. "id"u8, 0x85, (byte)'R', (byte)'.'];
        var error = Assert.Throws<InvalidDataException>(() => Pickle.Load(evil));
        Assert.Contains("refusing pickle global os.system", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Idx_PlainAndGzipped_LoadWithShapeAndLabels(bool gzip)
    {
        var folder = Path.Combine(_root, "fashion-mnist");
        Directory.CreateDirectory(folder);
        var trainLabels = Labels(30, 10).Select(l => (byte)l).ToArray();
        DatasetFiles.WriteIdx(Path.Combine(folder, "train-{kind}"), 30, 28, 28, DatasetFiles.Pixels(30, 784), trainLabels, gzip);
        DatasetFiles.WriteIdx(Path.Combine(folder, "t10k-{kind}"), 10, 28, 28, DatasetFiles.Pixels(10, 784), Labels(10, 10).Select(l => (byte)l).ToArray(), gzip);

        var catalog = new DatasetCatalog(_root, searchSystemFolders: false);
        var splits = DatasetLoader.Load(catalog, "fashion-mnist");
        Assert.Equal((30, 1, 28, 28), (splits.Train.Count, splits.Train.Channels, ((ImageDataset)splits.Train).Height, ((ImageDataset)splits.Train).Width));
        Assert.Equal(trainLabels.Select(l => (long)l), splits.Train.Labels);
        Assert.Equal(DatasetFiles.Pixels(30, 784), ((ImageDataset)splits.Train).Pixels);
        Assert.Equal(10, splits.Test.Count);
    }

    [Fact]
    public void Idx_TruncatedImages_SayHowManyBytesAreMissing()
    {
        var folder = Path.Combine(_root, "fashion-mnist");
        Directory.CreateDirectory(folder);
        DatasetFiles.WriteIdx(Path.Combine(folder, "train-{kind}"), 5, 28, 28, DatasetFiles.Pixels(5, 784), new byte[5], gzip: false);
        var path = Path.Combine(folder, "train-images-idx3-ubyte");
        File.WriteAllBytes(path, File.ReadAllBytes(path)[..^10]);
        var error = Assert.Throws<InvalidDataException>(() => IdxReader.ReadImages(path));
        Assert.Equal($"{path}: the header promises 5 images of 28x28 (3920 bytes) but the file holds 3910 bytes of pixels (truncated).", error.Message);
    }

    [Fact]
    public void Missing_Dataset_SaysWhereToPutIt()
    {
        var catalog = new DatasetCatalog(_root, searchSystemFolders: false);
        var error = Assert.Throws<DatasetMissingException>(() => DatasetLoader.Load(catalog, "CIFAR-100"));
        Assert.Contains(Path.Combine(_root, "cifar-100-python"), error.Message, StringComparison.Ordinal);
        Assert.Contains("Extract cifar-100-binary.tar.gz or cifar-100-python.tar.gz", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FashionMnist_FromTheDebianPackage_HasItsPublishedSize()
    {
        var catalog = new DatasetCatalog(_root);
        var status = catalog.Probe("fashion-mnist");
        Assert.True(status.Present, "Install the Debian package dataset-fashion-mnist (test.sh does).");
        var splits = DatasetLoader.Load(catalog, "fashion-mnist");
        Assert.Equal(60000, splits.Train.Count);
        Assert.Equal(10000, splits.Test.Count);
        Assert.All(splits.Train.ClassCounts(), c => Assert.Equal(6000, c));
    }
}
