using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using ProCo.Web.Runs;

namespace ProCo.Web.Cli;

/// <summary>Configuration for command-line verbs, read the way the web host reads it.</summary>
internal static class CliConfiguration
{
    // The configuration switches taken off this invocation's arguments before the verb parsed them.
    private static readonly AsyncLocal<string[]?> TakenSwitches = new();

    /// <summary>
    /// Takes the configuration switches (<c>--ProCo:DataDir=/srv/proco</c>, or the key and its value as two
    /// arguments) off <paramref name="args"/>, wherever they stand, and keeps them for <see cref="Build"/>; returns
    /// the rest for the verb to parse. Without this a switch after a verb whose positional arguments are optional
    /// (<c>train --preset X --ProCo:Datasets:cifar10=PATH</c>) would be parsed as one of them.
    /// </summary>
    public static string[] TakeSwitches(string[] args)
    {
        var switches = new List<string>();
        var rest = new List<string>();
        for (var i = 0; i < args.Length; i++)
        {
            if (!IsSwitch(args[i]))
            {
                rest.Add(args[i]);
                continue;
            }
            switches.Add(args[i]);
            if (!args[i].Contains('=', StringComparison.Ordinal) && i + 1 < args.Length) switches.Add(args[++i]);
        }
        TakenSwitches.Value = [.. switches];
        return [.. rest];
    }

    // A configuration key has a section (ProCo:DataDir); no option of a verb has a colon in its name.
    private static bool IsSwitch(string token) =>
        token.StartsWith("--", StringComparison.Ordinal) && token.IndexOf(':', StringComparison.Ordinal) is var colon && colon > 2 &&
        (token.IndexOf('=', StringComparison.Ordinal) is var equals && (equals < 0 || colon < equals));

    /// <summary>The configuration switches of this invocation: those taken off before parsing, then any left unmatched.</summary>
    public static string[] Switches(ParseResult parse) => [.. TakenSwitches.Value ?? [], .. parse.UnmatchedTokens];

    /// <summary>
    /// appsettings.json beside the binary, environment variables, then configuration switches
    /// (<c>--ProCo:DataDir=/srv/proco</c> or <c>--ProCo:DataDir /srv/proco</c>). Any other token the
    /// verb did not recognise is an error, so a mistyped option is never silently ignored.
    /// </summary>
    public static IConfiguration Build(ParseResult parse)
    {
        // A mistyped option followed by a value is taken for a positional argument ('train --epoch 60'
        // makes '--epoch' the dataset): a positional value that looks like an option is one.
        foreach (var argument in parse.CommandResult.Children.OfType<ArgumentResult>())
            foreach (var token in argument.Tokens.Select(t => t.Value))
                if (token.StartsWith('-') && !double.TryParse(token, NumberStyles.Float, CultureInfo.InvariantCulture, out _))
                    throw Unrecognised(parse, token);
        var tokens = parse.UnmatchedTokens;
        for (var i = 0; i < tokens.Count; i++)
        {
            var token = tokens[i];
            if (!IsSwitch(token)) throw Unrecognised(parse, token);
            if (!token.Contains('=', StringComparison.Ordinal)) i++; // the value follows
        }
        return new ConfigurationBuilder()
            .SetBasePath(AppContext.BaseDirectory)
            .AddJsonFile("appsettings.json", optional: true)
            .AddEnvironmentVariables()
            .AddCommandLine(Switches(parse))
            .Build();
    }

    private static ArgumentException Unrecognised(ParseResult parse, string token) =>
        new($"Unrecognised argument '{token}'. See '{parse.CommandResult.Command.Name} --help'.");

    /// <summary>The data folder layout the configuration describes.</summary>
    public static DataPaths Paths(ParseResult parse) => new(RunServiceCollectionExtensions.ReadOptions(Build(parse)));
}
