using System.CommandLine;
using ProCo.Training.Engine;

namespace ProCo.Web.Cli;

/// <summary>
/// A named option for every field of <see cref="TrainingConfig"/>, made from
/// <see cref="ConfigSchema"/> (shared by train and bench): a field added there is an option here.
/// </summary>
internal sealed class ConfigOptions
{
    private readonly Option<string?> _preset = new("--preset") { Description = "Start from a preset: " + string.Join(", ", Presets.All.Select(p => p.Id)) };
    private readonly List<(ConfigField Field, Option Option)> _fields = ConfigSchema.Fields.Select(f => (f, Create(f))).ToList();

    // A switch may be given alone (--use-norm) or with a value (--use-norm false).
    private static Option Create(ConfigField field) => field.Kind == ConfigFieldKind.Switch
        ? new Option<bool>("--" + field.Option) { Description = field.Describe() }
        : new Option<string?>("--" + field.Option) { Description = field.Describe() };

    public void AddTo(Command command)
    {
        command.Options.Add(_preset);
        foreach (var (_, option) in _fields) command.Options.Add(option);
    }

    /// <summary>Writes every field error of <paramref name="config"/> ("Field: message"); true when there is none.</summary>
    public static bool ReportErrors(TrainingConfig config, TextWriter output)
    {
        var errors = config.Validate();
        foreach (var (field, message) in errors) output.WriteLine($"{field}: {message}");
        return errors.Count == 0;
    }

    /// <summary>True when the option of <paramref name="property"/> is on the command line.</summary>
    public bool Given(ParseResult parse, string property) => Given(parse, _fields.Single(f => f.Field.Property == property).Option);

    // Given on the command line: not a result the parser made up for an option left out (a switch's implicit false
    // once turned a preset's cosine classifier off).
    private static bool Given(ParseResult parse, Option option) => parse.GetResult(option) is { Implicit: false };

    /// <summary>The preset (or the paper's defaults), overridden by the positional form and each option given.</summary>
    public TrainingConfig Build(ParseResult parse, string? dataset, double? imbalance, int? epochs)
    {
        var presetId = parse.GetValue(_preset);
        var config = presetId is null
            ? new TrainingConfig()
            : Presets.All.FirstOrDefault(p => p.Id == presetId)?.Config
              ?? throw new ArgumentException($"Unknown preset '{presetId}'. Presets: {string.Join(", ", Presets.All.Select(p => p.Id))}.");
        // The positional form of the public script (DATASET IMBALANCE EPOCHS) names three fields too.
        var positional = new Dictionary<string, object?>
        {
            [nameof(TrainingConfig.Dataset)] = dataset,
            [nameof(TrainingConfig.ImbalanceFactor)] = imbalance is { } f ? ConfigSchema.Get(nameof(TrainingConfig.ImbalanceFactor)).Normalize(f) : null,
            [nameof(TrainingConfig.Epochs)] = epochs,
        };
        foreach (var (field, option) in _fields)
        {
            object? named = null;
            var given = Given(parse, option);
            if (given)
            {
                try
                {
                    named = option is Option<bool> flag ? parse.GetValue(flag) : field.Parse(parse.GetValue((Option<string?>)option) ?? "");
                }
                catch (FormatException e)
                {
                    throw new ArgumentException($"--{field.Option}: {e.Message}", e);
                }
            }
            var first = positional.GetValueOrDefault(field.Property);
            // A value given both positionally and by name must agree.
            if (first is not null && given && !Equals(first, named))
                throw new ArgumentException($"The {field.Option} is given twice, as '{field.Format(first)}' and as --{field.Option} '{field.Format(named)}'; give it once.");
            if (first is not null) config = field.With(config, first);
            else if (given) config = field.With(config, named);
        }
        return config;
    }
}
