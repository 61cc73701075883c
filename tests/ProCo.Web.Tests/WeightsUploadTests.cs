using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using ProCo.Tests;
using ProCo.Training.Models;

namespace ProCo.Web.Tests;

/// <summary>
/// <c>POST /api/weights</c> with files PyTorch would never write: each is a 400 naming its reason, nothing is
/// stored, and a file that declares hundreds of megabytes is checked and listed without being inflated.
/// </summary>
[Collection(AppHost.Name)]
public sealed class WeightsUploadTests(StudioFactory factory) : IClassFixture<StudioFactory>
{
    private static byte[] File(List<DeclaredTensor> tensors, string? note = null)
    {
        var path = Path.Combine(Path.GetTempPath(), $"proco-upload-{Guid.NewGuid():N}.pt");
        try
        {
            TorchFiles.Write(path, tensors, note);
            return System.IO.File.ReadAllBytes(path);
        }
        finally
        {
            System.IO.File.Delete(path);
        }
    }

    private static List<DeclaredTensor> Tiny(Func<DeclaredTensor, DeclaredTensor>? fc = null)
    {
        // The demo's architecture: ResNet-8, one input channel, 10 classes, feature dimension 16.
        using var model = new ProCoModel(new ModelSpec(8, 1, 1, 10, 16));
        return TorchFiles.Of(model).Select(t => t.Name == "fc.weight" && fc is not null ? fc(t) : t).ToList();
    }

    private static async Task<(HttpStatusCode Status, string Body)> UploadAsync(HttpClient http, string name, byte[] bytes)
    {
        using var form = new MultipartFormDataContent { { new ByteArrayContent(bytes), "file", name } };
        var response = await http.PostAsync(new Uri("/api/weights", UriKind.Relative), form);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task MalformedWeights_Are400WithTheirReason_AndABombIsListedWithoutBeingInflated()
    {
        using var http = factory.CreateClient();
        var cases = new (string Name, byte[] Bytes, string Reason)[]
        {
            ("rank.pt", File(Tiny(t => t with { Shape = [t.Shape[0] * t.Shape[1]], Stride = [1] })), "'fc.weight' has 1 dimensions"),
            ("huge.pt", File(Tiny(t => t with { Shape = [int.MaxValue, int.MaxValue], Stride = [int.MaxValue, 1] })), "each dimension must be between 0 and 16,777,216"),
            ("negative.pt", File(Tiny(t => t with { Shape = [-1, 16] })), "declares shape [-1, 16]"),
            ("strides.pt", File(Tiny(t => t with { Stride = [1L << 40, 1] })), "strides [1099511627776, 1]"),
            ("outside.pt", File(Tiny(t => t with { Stride = [100, 1] })), "does not lie densely within its storage of 640 elements"),
            ("pickle.pt", File(Tiny(), note: new string('x', 40 << 20)), "more than the 16,777,216 a weights file may hold"),
            ("classes.pt", File(Tiny(t => t with { Shape = [200_000, 16], Stride = [16, 1], StorageElements = 3_200_000, Data = null, ZeroBytes = 12_800_000 })), "200,000 classes"),
        };
        foreach (var (name, bytes, reason) in cases)
        {
            var (status, body) = await UploadAsync(http, name, bytes);
            Assert.True(status == HttpStatusCode.BadRequest, $"{name}: {status} {body}");
            Assert.Contains(reason, body, StringComparison.Ordinal);
        }
        var library = Path.Combine(factory.DataDir, "weights");
        Assert.DoesNotContain(Directory.Exists(library) ? Directory.GetFiles(library) : [], f => cases.Any(c => Path.GetFileName(f) == c.Name) || Path.GetFileName(f).StartsWith(".upload", StringComparison.Ordinal));

        // 400 MB of zeros deflated into under a megabyte, declared as a 100,000-class classifier: plausible, so stored,
        // and described from its pickle; a run of another architecture naming it is refused before it is read.
        var bomb = File(Tiny(t => t with { Shape = [100_000, 1000], Stride = [1000, 1], StorageElements = 100_000_000, Data = null, ZeroBytes = 400_000_000 })
            .Select(t => t.Name == "fc.bias" ? t with { Shape = [100_000], StorageElements = 100_000, Data = null, ZeroBytes = 400_000 } : t).ToList());
        var (stored, storedBody) = await UploadAsync(http, "wide.pt", bomb);
        Assert.True(stored == HttpStatusCode.OK, storedBody);
        Assert.Equal(100_000, JsonDocument.Parse(storedBody).RootElement.GetProperty("numClasses").GetInt32());
        var listed = JsonDocument.Parse(await http.GetStringAsync(new Uri("/api/weights", UriKind.Relative))).RootElement.EnumerateArray()
            .Single(w => w.GetProperty("name").GetString() == "wide.pt");
        Assert.Equal(100_000, listed.GetProperty("numClasses").GetInt32());
        var refused = await http.PostAsJsonAsync(new Uri("/api/runs", UriKind.Relative), new { config = new { dataset = "fashion-mnist", depth = 8, featDim = 16, initFrom = "wide.pt" } });
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Contains("100000 classes, feat_dim 16", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }
}
