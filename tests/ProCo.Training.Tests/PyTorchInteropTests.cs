using System.Diagnostics;
using ProCo.Training.Models;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace ProCo.Training.Tests;

/// <summary>
/// Weights across to PyTorch and back, against fixtures Debian's python3-torch wrote
/// (Fixtures/pytorch/make_fixtures.py): a state_dict with the public code's module names, a dict laid
/// out like the authors' released checkpoints, and PyTorch's own features and logits of both.
/// </summary>
public class PyTorchInteropTests
{
    private static string Fixture(string name) => Path.Combine(AppContext.BaseDirectory, "Fixtures", "pytorch", name);

    private static Dictionary<string, Tensor> Expected() =>
        PyTorchUnpickler.UnpickleStateDict(Fixture("expected.pt")).Cast<System.Collections.DictionaryEntry>()
            .ToDictionary(e => (string)e.Key, e => (Tensor)e.Value!);

    private static ProCoModel Loaded(string file, out ModelSpec spec)
    {
        var weights = PyTorchWeights.Read(Fixture(file));
        spec = PyTorchWeights.InferSpec(weights);
        var model = new ProCoModel(spec);
        PyTorchWeights.LoadInto(model, weights);
        model.eval();
        return model;
    }

    private static void AssertClose(Tensor expected, Tensor actual, string what)
    {
        Assert.Equal(expected.shape, actual.shape);
        var difference = (expected - actual).abs().max().item<float>();
        Assert.True(difference < 1e-4, $"{what}: largest difference {difference}");
    }

    [Fact]
    public void AStateDictWithThePublicNames_GivesPyTorchsLogits()
    {
        using var model = Loaded("state_dict.pt", out var spec);
        Assert.Equal(new ModelSpec(32, 1, 3, 100, 128, UseNorm: false), spec);
        var expected = Expected();
        using var noGrad = no_grad();
        var output = model.forward(expected["inputs"]);
        AssertClose(expected["logits"], output.Logits, "logits");
        AssertClose(expected["features"], output.Features, "features");
        // BatchNorm's statistics came across too.
        var counts = model.state_dict().Where(kv => kv.Key.EndsWith("num_batches_tracked", StringComparison.Ordinal)).Select(kv => kv.Value.item<long>());
        Assert.All(counts, c => Assert.Equal(1234, c));
    }

    [Fact]
    public void AReleasedCheckpointLayout_LoadsOnlyItsTensors_AndGivesPyTorchsLogits()
    {
        // 'module.' prefixes, a cosine classifier stored [in, out], an optimizer state and a pickled
        // object of a class that exists only in the script that wrote it.
        using var model = Loaded("checkpoint.pth.tar", out var spec);
        Assert.True(spec.UseNorm);
        Assert.Equal(100, spec.NumClasses);
        var expected = Expected();
        using var noGrad = no_grad();
        var output = model.forward(expected["inputs"]);
        AssertClose(expected["cos_logits"], output.Logits, "logits");
        AssertClose(expected["cos_features"], output.Features, "features");
    }

    [Fact]
    public void ExportedWeights_ReadBackTheSame_AndLoadInPyTorchWhenItIsHere()
    {
        using var model = Loaded("state_dict.pt", out _);
        var path = Path.Combine(Path.GetTempPath(), $"proco-export-{Guid.NewGuid():N}.pt");
        try
        {
            PyTorchWeights.Save(model, path);
            Assert.True(PyTorchWeights.IsPyTorchFile(path));
            var back = PyTorchWeights.Read(path);
            foreach (var (key, tensor) in model.state_dict()) Assert.True(tensor.equal(back[key]).all().item<bool>(), key);

            // With Debian's python3-torch on this machine, PyTorch itself loads the file and gives the same logits.
            if (File.Exists("/usr/bin/python3") && Process.Start(new ProcessStartInfo("/usr/bin/python3", ["-c", "import torch"]) { RedirectStandardError = true })!
                    is var probe && probe.WaitForExit(60_000) && probe.ExitCode == 0)
            {
                var run = Process.Start(new ProcessStartInfo("/usr/bin/python3", [Fixture("make_fixtures.py"), path]) { RedirectStandardOutput = true, RedirectStandardError = true })!;
                var printed = run.StandardOutput.ReadToEnd();
                var errors = run.StandardError.ReadToEnd();
                run.WaitForExit();
                Assert.True(run.ExitCode == 0, errors);
                Assert.True(double.Parse(printed.Trim(), System.Globalization.CultureInfo.InvariantCulture) < 1e-4, printed);
            }
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void OtherNamesOrShapes_AreRefused_NamingTheFirstMismatch()
    {
        var weights = PyTorchWeights.Read(Fixture("state_dict.pt"));
        using var tenClasses = new ProCoModel(new ModelSpec(32, 1, 3, 10, 128));
        var shape = Assert.Throws<InvalidDataException>(() => PyTorchWeights.LoadInto(tenClasses, weights));
        Assert.Contains("'fc.weight' has shape [100, 64] in the file, [10, 64] here", shape.Message, StringComparison.Ordinal);

        using var shallower = new ProCoModel(new ModelSpec(20, 1, 3, 100, 128));
        var extra = Assert.Throws<InvalidDataException>(() => PyTorchWeights.LoadInto(shallower, weights));
        Assert.Matches(@"The weights hold 'encoder\.layer\d\.[34]\.[^']+', which this model does not have", extra.Message);

        var missing = new Dictionary<string, Tensor>(weights);
        missing.Remove("head.1.running_var");
        using var model = new ProCoModel(new ModelSpec(32, 1, 3, 100, 128));
        Assert.Contains("no 'head.1.running_var'", Assert.Throws<InvalidDataException>(() => PyTorchWeights.LoadInto(model, missing)).Message, StringComparison.Ordinal);

        var notPyTorch = Path.GetTempFileName();
        try
        {
            File.WriteAllText(notPyTorch, "not a zip");
            Assert.False(PyTorchWeights.IsPyTorchFile(notPyTorch));
            Assert.Throws<InvalidDataException>(() => PyTorchWeights.Read(notPyTorch));
        }
        finally
        {
            File.Delete(notPyTorch);
        }
    }
}
