using System.CommandLine;
using ProCo.Training.Engine;
using ProCo.Training.Models;

namespace ProCo.Web.Cli;

/// <summary><c>proco model</c>: the architecture summary with parameter counts.</summary>
internal static class ModelCommand
{
    public static Command Create() => Create(Console.Out);

    /// <summary>The verb, printing to <paramref name="output"/>; it exits 2 for a configuration that cannot be built.</summary>
    internal static Command Create(TextWriter output)
    {
        var arch = new Option<string>("--arch")
        {
            Description = "cifar (a CIFAR ResNet of --depth and --width), resnet50 or resnext50 (torchvision's layout)",
            DefaultValueFactory = _ => Architectures.Cifar,
        };
        arch.AcceptOnlyFromAmong(Architectures.Cifar, Architectures.ResNet50, Architectures.ResNeXt50);
        var divisor = new Option<int>("--width-divisor") { Description = "resnet50/resnext50: channels ÷ this", DefaultValueFactory = _ => 1 };
        var depth = new Option<int>("--depth") { Description = "ResNet depth 6n+2", DefaultValueFactory = _ => 32 };
        var width = new Option<int>("--width") { Description = "Width multiplier", DefaultValueFactory = _ => 1 };
        var channels = new Option<int>("--channels") { Description = "Input channels (1 or 3)", DefaultValueFactory = _ => 3 };
        var classes = new Option<int?>("--classes") { Description = "Number of classes (default 100 for cifar, 1000 otherwise)" };
        var featDim = new Option<int?>("--feat-dim") { Description = "Contrastive feature dimension (default 128 for cifar, 1024 otherwise, as published)" };
        var useNorm = new Option<bool?>("--use-norm") { Description = "Cosine classifier (default off for cifar, on otherwise, as published)" };
        var command = new Command("model", "Print a ProCo model's layers and parameter counts.");
        foreach (var option in new Option[] { arch, depth, width, divisor, channels, classes, featDim, useNorm }) command.Options.Add(option);
        // Each option is read through its own object: a name would be looked up among every verb's options.
        command.SetAction(parse =>
        {
            try
            {
                var name = parse.GetValue(arch)!;
                var imagenet = Architectures.IsTorchvision(name);
                var config = new TrainingConfig
                {
                    Arch = name,
                    Depth = parse.GetValue(depth),
                    Width = parse.GetValue(width),
                    WidthDivisor = parse.GetValue(divisor),
                    FeatDim = parse.GetValue(featDim) ?? (imagenet ? 1024 : 128),
                    UseNorm = parse.GetValue(useNorm) ?? imagenet,
                };
                Print(ModelSpec.For(config, parse.GetValue(channels), parse.GetValue(classes) ?? (imagenet ? 1000 : 100)), output);
                return 0;
            }
            catch (ArgumentException e)
            {
                output.WriteLine(e.Message);
                return 2;
            }
        });
        return command;
    }

    public static void Print(ModelSpec spec, TextWriter output)
    {
        using var model = new ProCoModel(spec);
        output.WriteLine(spec.Describe());
        foreach (var (name, child) in model.named_children())
        {
            output.WriteLine($"  {name,-10} {ProCoModel.CountParameters(child),12:N0}");
            if (name != "encoder") continue;
            foreach (var (inner, part) in child.named_children())
                output.WriteLine($"    {inner,-8} {ProCoModel.CountParameters(part),12:N0}");
        }
        output.WriteLine($"  {"total",-10} {ProCoModel.CountParameters(model),12:N0}");
    }
}
