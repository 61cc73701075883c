using ProCo.Tests;
using ProCo.Training.Models;
using static TorchSharp.torch;

namespace ProCo.Training.Tests;

/// <summary>
/// Weights files are checked from their zip directory and pickle before anything is inflated: files
/// PyTorch would never write (tests/Shared/TorchFiles.cs declares them) are refused with their reason,
/// and a bomb costs no memory to check.
/// </summary>
public class TorchArchiveTests
{
    private static readonly ModelSpec Tiny = new(8, 1, 3, 10, 16);

    private static string TempFile() => Path.Combine(Path.GetTempPath(), $"proco-archive-{Guid.NewGuid():N}.pt");

    private static List<DeclaredTensor> TinyTensors()
    {
        using var model = new ProCoModel(Tiny);
        return TorchFiles.Of(model);
    }

    private static List<DeclaredTensor> With(List<DeclaredTensor> tensors, string name, Func<DeclaredTensor, DeclaredTensor> change) =>
        tensors.Select(t => t.Name == name ? change(t) : t).ToList();

    [Fact]
    public void AFileDeclaredAsTorchSaveDoes_ReadsBackExactly_AndItsSpecComesFromShapesAlone()
    {
        using var model = new ProCoModel(Tiny);
        var path = TempFile();
        try
        {
            TorchFiles.Write(path, TorchFiles.Of(model));
            using (var archive = TorchArchive.Open(path))
            {
                Assert.Equal(Tiny, PyTorchWeights.InferSpec(archive.Shapes()));
                archive.Verify();
            }
            var back = PyTorchWeights.Read(path);
            foreach (var (key, tensor) in model.state_dict()) Assert.True(tensor.equal(back[key]).all().item<bool>(), key);
            using var again = new ProCoModel(Tiny);
            using (var archive = TorchArchive.Open(path)) PyTorchWeights.LoadInto(again, archive);
            foreach (var (key, tensor) in again.state_dict()) Assert.True(tensor.equal(model.state_dict()[key]).all().item<bool>(), key);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void AViewOfPartOfAStorage_ReadsTheValuesItCovers()
    {
        // Two tensors over one storage, the second transposed and offset: torch.save keeps views so.
        var values = Enumerable.Range(0, 12).Select(i => (float)i).ToArray();
        var bytes = values.SelectMany(BitConverter.GetBytes).ToArray();
        var path = TempFile();
        try
        {
            TorchFiles.Write(path, [
                new DeclaredTensor("a", "FloatStorage", [3, 4], [4, 1], 0, "0", 12, bytes),
                new DeclaredTensor("b", "FloatStorage", [2, 3], [1, 2], 6, "0", 12, bytes),
            ]);
            var read = PyTorchWeights.Read(path);
            Assert.Equal(values, read["a"].data<float>().ToArray());
            Assert.Equal(new long[] { 2, 3 }, read["b"].shape);
            Assert.Equal(new float[] { 6, 8, 10, 7, 9, 11 }, read["b"].contiguous().data<float>().ToArray());
        }
        finally
        {
            File.Delete(path);
        }
    }

    public static TheoryData<string, string> Malformed => new()
    {
        { "rank", "'fc.weight' has 1 dimensions ([640]), not 2" },
        { "huge", "'fc.weight' declares shape [2147483647, 2147483647]: each dimension must be between 0 and 16,777,216" },
        { "negative", "'fc.weight' declares shape [-10, 16]: each dimension must be between 0 and 16,777,216" },
        { "stride", "'fc.weight' (shape [10, 64], strides [1000000, 1], offset 0) does not lie densely within its storage of 640 elements" },
        { "offset", "'fc.weight' (shape [10, 64], strides [64, 1], offset 150) does not lie densely within its storage of 640 elements" },
        { "short", "of 'fc.weight' holds 100 bytes, not the 2,560 its pickle declares" },
        { "missing", "storage 'nowhere' of 'fc.weight' is missing" },
        { "dtype", "a storage of type torch.ComplexFloatStorage, which this program does not read" },
        { "classes", "The weights describe 200,000 classes; this program builds models with 1 to 100,000" },
    };

    [Theory]
    [MemberData(nameof(Malformed))]
    public void WhatPyTorchNeverWrites_IsRefusedWithItsReason_BeforeAnyStorageIsRead(string change, string reason)
    {
        var tensors = With(TinyTensors(), "fc.weight", t => change switch
        {
            "rank" => t with { Shape = [640], Stride = [1] },
            "huge" => t with { Shape = [int.MaxValue, int.MaxValue], Stride = [int.MaxValue, 1] },
            "negative" => t with { Shape = [-10, 16] },
            "stride" => t with { Stride = [1_000_000, 1] },
            "offset" => t with { Offset = 150 },
            "short" => t with { Data = t.Data![..100] },
            "missing" => t with { Key = "nowhere", Data = null },
            "dtype" => t with { StorageType = "ComplexFloatStorage" },
            "classes" => t with { Shape = [200_000, 16], Stride = [16, 1], StorageElements = 3_200_000, Data = null, ZeroBytes = 12_800_000 },
            _ => throw new ArgumentException(change),
        });
        var path = TempFile();
        try
        {
            TorchFiles.Write(path, tensors);
            var allocated = GC.GetAllocatedBytesForCurrentThread();
            var refused = Assert.Throws<InvalidDataException>(() =>
            {
                using var archive = TorchArchive.Open(path, "upload.pt");
                PyTorchWeights.InferSpec(archive.Shapes());
                archive.Verify();
            });
            Assert.Contains(reason, refused.Message, StringComparison.Ordinal);
            // What the archive declares wrongly is named with the file; a model this program has no room for, by its shapes.
            if (change is not ("rank" or "classes")) Assert.StartsWith("upload.pt", refused.Message, StringComparison.Ordinal);
            Assert.True(GC.GetAllocatedBytesForCurrentThread() - allocated < 4 << 20, $"{GC.GetAllocatedBytesForCurrentThread() - allocated:N0} bytes allocated");
            // Reading the tensors refuses what the archive itself declares wrongly (no native error, no out-of-memory);
            // a wrong rank or class count is a question of the model, asked of the shapes.
            if (change is not ("rank" or "classes")) Assert.Throws<InvalidDataException>(() => PyTorchWeights.Read(path));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void ABomb_IsCheckedAsAStream_AndAHugePickleIsRefusedUnread()
    {
        // A storage that deflates 400 MB of zeros into about 400 KB, declared as a 100,000-class classifier:
        // plausible shapes, so it is accepted, and checking it holds one 64 KB buffer, not 400 MB.
        var bomb = With(TinyTensors(), "fc.weight", t => t with { Shape = [100_000, 1000], Stride = [1000, 1], StorageElements = 100_000_000, Data = null, ZeroBytes = 400_000_000 });
        var path = TempFile();
        try
        {
            TorchFiles.Write(path, bomb);
            Assert.True(new FileInfo(path).Length < 2_000_000, $"{new FileInfo(path).Length:N0} bytes");
            var allocated = GC.GetAllocatedBytesForCurrentThread();
            using (var archive = TorchArchive.Open(path))
            {
                Assert.Equal(100_000, PyTorchWeights.InferSpec(archive.Shapes()).NumClasses);
                archive.Verify();
            }
            Assert.True(GC.GetAllocatedBytesForCurrentThread() - allocated < 4 << 20, $"{GC.GetAllocatedBytesForCurrentThread() - allocated:N0} bytes allocated");

            // A pickle that inflates to 40 MiB (a string beside the tensors) is refused from the zip's directory.
            TorchFiles.Write(path, TinyTensors(), note: new string('x', 40 << 20));
            allocated = GC.GetAllocatedBytesForCurrentThread();
            var refused = Assert.Throws<InvalidDataException>(() => TorchArchive.Open(path));
            Assert.Contains("its pickle declares 41,9", refused.Message, StringComparison.Ordinal);
            Assert.Contains("more than the 16,777,216 a weights file may hold", refused.Message, StringComparison.Ordinal);
            Assert.True(GC.GetAllocatedBytesForCurrentThread() - allocated < 1 << 20, $"{GC.GetAllocatedBytesForCurrentThread() - allocated:N0} bytes allocated");
        }
        finally
        {
            File.Delete(path);
        }
    }
}
