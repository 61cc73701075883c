using System.CommandLine;
using ProCo.Training.Models;

namespace ProCo.Web.Cli;

/// <summary><c>proco model</c>: the architecture summary with parameter counts.</summary>
internal static class ModelCommand
{
    public static Command Create()
    {
        var depth = new Option<int>("--depth") { Description = "ResNet depth 6n+2", DefaultValueFactory = _ => 32 };
        var width = new Option<int>("--width") { Description = "Width multiplier", DefaultValueFactory = _ => 1 };
        var channels = new Option<int>("--channels") { Description = "Input channels (1 or 3)", DefaultValueFactory = _ => 3 };
        var classes = new Option<int>("--classes") { Description = "Number of classes", DefaultValueFactory = _ => 100 };
        var featDim = new Option<int>("--feat-dim") { Description = "Contrastive feature dimension", DefaultValueFactory = _ => 128 };
        var useNorm = new Option<bool>("--use-norm") { Description = "Cosine classifier" };
        var command = new Command("model", "Print a ProCo model's layers and parameter counts.");
        foreach (var option in new Option[] { depth, width, channels, classes, featDim, useNorm }) command.Options.Add(option);
        command.SetAction(parse =>
        {
            try
            {
                Print(new ModelSpec(parse.GetValue(depth), parse.GetValue(width), parse.GetValue(channels), parse.GetValue(classes),
                    parse.GetValue(featDim), parse.GetValue(useNorm)), Console.Out);
                return 0;
            }
            catch (ArgumentException e)
            {
                Console.WriteLine(e.Message);
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
