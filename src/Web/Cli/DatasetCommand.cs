using System.CommandLine;
using ProCo.Training.Datasets;
using ProCo.Training.Engine;

namespace ProCo.Web.Cli;

/// <summary><c>proco dataset add|list|show|verify|remove</c>: the registered image datasets of the data folder.</summary>
internal static class DatasetCommand
{
    public static Command Create()
    {
        var command = new Command("dataset", "Register image datasets on disk (ImageNet-LT, iNaturalist 2018, list files, ImageFolder trees) and inspect them.");
        command.Subcommands.Add(Add());
        command.Subcommands.Add(List());
        command.Subcommands.Add(Show());
        command.Subcommands.Add(Verify());
        command.Subcommands.Add(Remove());
        // Configuration switches (--ProCo:DataDir=...) pass through to CliConfiguration, which refuses anything else.
        foreach (var verb in command.Subcommands) verb.TreatUnmatchedTokensAsErrors = false;
        return command;
    }

    private static Command Add()
    {
        var name = new Argument<string>("name") { Description = "The key runs name it by (lower-case letters, digits, '-', '_')" };
        var root = new Argument<string>("path") { Description = "The dataset's root folder (image paths are relative to it)" };
        var kind = new Option<string?>("--kind")
        {
            Description = "imagenet-lt, inat2018 (the public code's list files), list (your own list files) or folder (an ImageFolder tree); " +
                          "guessed from the folder when left out",
        };
        var lists = new Option<string?>("--lists") { Description = "imagenet-lt/inat2018: the folder of the list files (default: the root or its ImageNet_LT/ or iNaturalist18/)" };
        var train = new Option<string?>("--train") { Description = "list: the training list (\"relative/path.jpg label\" lines)" };
        var val = new Option<string?>("--val") { Description = "list: the validation list (the model is chosen on it)" };
        var test = new Option<string?>("--test") { Description = "list: the test list" };
        var valFraction = new Option<double>("--val-fraction") { Description = "folder without train/val/test folders: validation share of each class", DefaultValueFactory = _ => 0.1 };
        var testFraction = new Option<double>("--test-fraction") { Description = "folder without train/val/test folders: test share of each class", DefaultValueFactory = _ => 0.1 };
        var splitSeed = new Option<int>("--split-seed") { Description = "folder without train/val/test folders: seed of the split", DefaultValueFactory = _ => 0 };
        var command = new Command("add", "Register (or re-register) an image dataset and count its images per split and class.");
        command.Arguments.Add(name);
        command.Arguments.Add(root);
        foreach (var option in new Option[] { kind, lists, train, val, test, valFraction, testFraction, splitSeed }) command.Options.Add(option);
        command.SetAction(parse =>
        {
            var registry = Registry(parse);
            RegisteredDataset dataset;
            DatasetScan scan;
            try
            {
                // The operator's own shell: a relative folder is relative to where the command runs (the server's API asks for absolute ones).
                static string? Full(string? path) => string.IsNullOrWhiteSpace(path) ? path : Path.GetFullPath(path);
                dataset = ImageFileDatasets.Resolve(new DatasetRequest(parse.GetValue(name)!, Full(parse.GetValue(root))!, parse.GetValue(kind), Full(parse.GetValue(lists)),
                    parse.GetValue(train), parse.GetValue(val), parse.GetValue(test), parse.GetValue(valFraction), parse.GetValue(testFraction),
                    parse.GetValue(splitSeed)));
                scan = ImageFileDatasets.Scan(dataset);
            }
            catch (Exception e) when (e is ArgumentException or InvalidDataException or IOException)
            {
                Console.Error.WriteLine(e.Message);
                return 2;
            }
            registry.Save(dataset with { Scan = scan });
            Console.WriteLine($"Registered '{dataset.Name}' ({dataset.Kind}) at {dataset.Root}.");
            Print(dataset with { Scan = scan }, Console.Out);
            var preset = dataset.Kind == ImageFamilies.INaturalist2018.Kind ? "inat2018-r50-e90" : "imagenet-lt-r50-e90";
            Console.WriteLine($"Train on it with the public ImageNet recipe: proco train --preset {preset} --dataset {dataset.Name} " +
                              "(or pick it in the new-run form; other rows: proco train --help lists the presets).");
            return 0;
        });
        return command;
    }

    private static Command List()
    {
        var command = new Command("list", "List the registered image datasets.");
        command.SetAction(parse =>
        {
            var all = Registry(parse).All();
            if (all.Count == 0) Console.WriteLine("No image dataset is registered. Add one with: proco dataset add NAME PATH");
            foreach (var dataset in all)
            {
                var scan = dataset.Scan;
                var counts = scan is null ? "not scanned" : string.Join(", ", scan.Splits.Select(s => $"{s.Key} {s.Value.Sum():N0}")) +
                                                            $", {scan.ClassNames.Count:N0} classes, {scan.Unreadable.Count} unreadable";
                Console.WriteLine($"  {dataset.Name,-16} {dataset.Kind,-12} {dataset.Root}  ({counts})");
            }
            return 0;
        });
        return command;
    }

    private static Command Show()
    {
        var name = new Argument<string>("name");
        var command = new Command("show", "Show a registered dataset: images and classes per split, the class-size profile, unreadable files.");
        command.Arguments.Add(name);
        command.SetAction(parse =>
        {
            if (Registry(parse).Find(parse.GetValue(name)!) is not { } dataset) return NotFound(parse.GetValue(name)!);
            Print(dataset, Console.Out);
            return 0;
        });
        return command;
    }

    private static Command Verify()
    {
        var name = new Argument<string>("name");
        var threads = new Option<int>("--threads") { Description = "Decoding threads (default: every core)", DefaultValueFactory = _ => 0 };
        var command = new Command("verify", "Decode every image of a registered dataset and record the ones that cannot be read, by path.");
        command.Arguments.Add(name);
        command.Options.Add(threads);
        command.SetAction(parse =>
        {
            var registry = Registry(parse);
            if (registry.Find(parse.GetValue(name)!) is not { } dataset) return NotFound(parse.GetValue(name)!);
            var watch = System.Diagnostics.Stopwatch.StartNew();
            var scan = ImageFileDatasets.Scan(dataset, decode: true, parse.GetValue(threads),
                new Progress<int>(done => Console.Error.Write($"\r  {done:N0} images decoded")));
            Console.Error.WriteLine();
            if (!registry.SaveScan(dataset, scan))
                Console.Error.WriteLine($"'{dataset.Name}' was registered again or removed while this ran: the result below is not kept.");
            var images = scan.Splits.Values.Sum(c => c.Sum());
            Console.WriteLine($"Decoded {images:N0} images in {watch.Elapsed.TotalSeconds:0.0} s ({images / Math.Max(0.001, watch.Elapsed.TotalSeconds):0} images/s).");
            Print(dataset with { Scan = scan }, Console.Out);
            return scan.Unreadable.Count == 0 ? 0 : 1;
        });
        return command;
    }

    private static Command Remove()
    {
        var name = new Argument<string>("name");
        var command = new Command("remove", "Forget a registered dataset (its files stay where they are).");
        command.Arguments.Add(name);
        command.SetAction(parse =>
        {
            if (!Registry(parse).Remove(parse.GetValue(name)!.Trim().ToLowerInvariant())) return NotFound(parse.GetValue(name)!);
            Console.WriteLine($"Removed '{parse.GetValue(name)}' from the registry; its files are untouched.");
            return 0;
        });
        return command;
    }

    private static DatasetRegistry Registry(ParseResult parse) => new(CliConfiguration.Paths(parse).DatasetRegistryFile);

    private static int NotFound(string name)
    {
        Console.Error.WriteLine($"No registered dataset is called '{name}' (proco dataset list shows them).");
        return 2;
    }

    /// <summary>Images and classes per split, the class-size profile in many/medium/few bands, and the unreadable files.</summary>
    public static void Print(RegisteredDataset dataset, TextWriter output)
    {
        output.WriteLine($"{dataset.Name}: {dataset.Family?.Title ?? dataset.Kind} at {dataset.Root}");
        foreach (var list in new[] { ("train list", dataset.TrainList), ("val list", dataset.ValList), ("test list", dataset.TestList) })
        {
            if (list.Item2 is not null) output.WriteLine($"  {list.Item1,-11} {list.Item2}");
        }
        if (dataset.Scan is not { } scan)
        {
            output.WriteLine("  not scanned yet");
            return;
        }
        foreach (var (split, counts) in scan.Splits)
        {
            var present = counts.Count(c => c > 0);
            output.WriteLine($"  {split,-6} {counts.Sum(),10:N0} images, {present:N0} of {counts.Length:N0} classes" +
                             (counts.Length > 0 ? $", {counts.Max():N0} to {counts.Min():N0} per class" : ""));
        }
        if (scan.Splits.TryGetValue("train", out var train))
        {
            var bands = ShotAccuracy.From(train, new double[train.Length]);
            output.WriteLine($"  classes by training images: many (>{ShotAccuracy.ManyThreshold}) {bands.ManyClasses:N0}, " +
                             $"medium {bands.MediumClasses:N0}, few (<{ShotAccuracy.FewThreshold}) {bands.FewClasses:N0}");
        }
        output.WriteLine(scan.Unreadable.Count == 0
            ? $"  every file {(scan.Decoded ? "decodes" : "exists (proco dataset verify decodes them all)")}"
            : $"  {scan.Unreadable.Count:N0} unreadable file(s):");
        foreach (var bad in scan.Unreadable) output.WriteLine($"    {bad.Path}: {bad.Reason}");
    }
}
