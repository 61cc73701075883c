using ProCo.Training.Engine;

namespace ProCo.Web.Cli;

/// <summary>
/// A run's configuration as the <c>proco train</c> command that trains it again headless: the dataset, imbalance and
/// epochs by name, then every field that differs from its published default (a field left at its default is not
/// written, as the command starts from the defaults).
/// </summary>
public static class TrainCommandLine
{
    /// <summary>The command, its values quoted for a POSIX shell where they need it.</summary>
    public static string Of(TrainingConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var defaults = new TrainingConfig();
        var always = new[] { nameof(TrainingConfig.Dataset), nameof(TrainingConfig.ImbalanceFactor), nameof(TrainingConfig.Epochs) };
        var parts = new List<string> { "proco", "train" };
        foreach (var field in ConfigSchema.Fields.OrderBy(f => Array.IndexOf(always, f.Property) is var i && i >= 0 ? i : always.Length))
        {
            var value = field.Get(config);
            if (!always.Contains(field.Property) && Equals(value, field.Get(defaults))) continue;
            parts.Add("--" + field.Option);
            parts.Add(Quote(value is null ? "" : field.Format(value)));
        }
        return string.Join(' ', parts);
    }

    // Single quotes around anything a shell would split or expand; a quote inside becomes '\''.
    private static string Quote(string text) =>
        text.Length > 0 && text.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_' or '/' or ',' or ':' or '+' or '=')
            ? text
            : "'" + text.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
}
