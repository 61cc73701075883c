using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using ProCo.Tests;
using ProCo.Training.Datasets;

namespace ProCo.Web.Tests;

/// <summary>
/// <c>ProCo:DatasetRoots</c> compared by real path: a class folder or a list entry that reaches outside the allowed
/// folder through a symbolic link is refused with the file's name, at registration and whenever the dataset is read.
/// </summary>
[Collection(AppHost.Name)]
public sealed class DatasetRootsTests : IClassFixture<DatasetRootsTests.RootsFactory>
{
    public sealed class RootsFactory : StudioFactory
    {
        public string Allowed => Path.Combine(DataDir, "allowed");

        public string Elsewhere => Path.Combine(DataDir, "elsewhere");

        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            builder.UseSetting("ProCo:DatasetRoots:0", Allowed);
            builder.UseSetting("ProCo:Workers", "0");
        }
    }

    private readonly RootsFactory _factory;

    public DatasetRootsTests(RootsFactory factory) => _factory = factory;

    private static async Task<(HttpStatusCode Status, string Body)> RegisterAsync(HttpClient http, object request)
    {
        var response = await http.PostAsJsonAsync(new Uri("/api/datasets", UriKind.Relative), request);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task LinksLeadingOutOfTheRoots_AreRefusedWithTheFilesName()
    {
        using var http = _factory.CreateClient();
        // Inside, without links: registered.
        var inside = ImageTrees.SplitFolders(Path.Combine(_factory.Allowed, "plants"), [3, 2], 1);
        var (status, body) = await RegisterAsync(http, new { name = "plants", root = inside });
        Assert.True(status is HttpStatusCode.OK or HttpStatusCode.Created, body);

        // A linked class folder inside the root whose images are elsewhere.
        var outside = ImageTrees.SplitFolders(Path.Combine(_factory.Elsewhere, "secret"), [2, 2], 1);
        var linkedTree = ImageTrees.SplitFolders(Path.Combine(_factory.Allowed, "linked"), [3, 2], 1);
        Directory.CreateSymbolicLink(Path.Combine(linkedTree, "train", "cedar"), Path.Combine(outside, "train", "apple"));
        foreach (var split in new[] { "val", "test" }) Directory.CreateDirectory(Path.Combine(linkedTree, split, "cedar"));
        (status, body) = await RegisterAsync(http, new { name = "linked", root = linkedTree });
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains(Path.Combine(linkedTree, "train", "cedar", "train_000.jpg") + " leads to " + Path.Combine(outside, "train", "apple", "train_000.jpg"), body, StringComparison.Ordinal);
        Assert.Contains("ProCo:DatasetRoots", body, StringComparison.Ordinal);

        // A list whose entries pass through a linked folder.
        var listed = Path.Combine(_factory.Allowed, "listed");
        ImageTrees.ListFiles(listed, listed, "train.txt", "val.txt", "test.txt", [3, 2], 1);
        Directory.CreateSymbolicLink(Path.Combine(listed, "through"), Path.Combine(outside, "train"));
        File.AppendAllLines(Path.Combine(listed, "train.txt"), ["through/birch/train_001.jpg 1"]);
        (status, body) = await RegisterAsync(http, new { name = "listed", root = listed, kind = "list", trainList = "train.txt", valList = "val.txt", testList = "test.txt" });
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains(Path.Combine(listed, "through", "birch", "train_001.jpg") + " leads to " + Path.Combine(outside, "train", "birch", "train_001.jpg"), body, StringComparison.Ordinal);

        // A link added after registration: the server's next read of the dataset (a check, a run's loading) refuses it.
        Directory.CreateSymbolicLink(Path.Combine(inside, "train", "cedar"), Path.Combine(outside, "train", "birch"));
        var registered = _factory.Services.GetRequiredService<DatasetCatalog>().Registered("plants")!;
        var read = Assert.Throws<InvalidDataException>(() => ImageFileDatasets.Load(registered));
        Assert.Contains(Path.Combine(inside, "train", "cedar") + Path.DirectorySeparatorChar, read.Message, StringComparison.Ordinal);
        Assert.Contains(" leads to " + Path.Combine(outside, "train", "birch"), read.Message, StringComparison.Ordinal);
    }
}
