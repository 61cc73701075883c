using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using ProCo.Web.Hosting;

namespace ProCo.Web.Cli;

/// <summary>Configuration for command-line verbs, read the way the web host reads it.</summary>
internal static class CliConfiguration
{
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
            if (!token.StartsWith("--", StringComparison.Ordinal) || !token.Contains(':', StringComparison.Ordinal))
                throw Unrecognised(parse, token);
            if (!token.Contains('=', StringComparison.Ordinal)) i++; // the value follows
        }
        return new ConfigurationBuilder()
            .SetBasePath(AppContext.BaseDirectory)
            .AddJsonFile("appsettings.json", optional: true)
            .AddEnvironmentVariables()
            .AddCommandLine(tokens.ToArray())
            .Build();
    }

    private static ArgumentException Unrecognised(ParseResult parse, string token) =>
        new($"Unrecognised argument '{token}'. See '{parse.CommandResult.Command.Name} --help'.");

    /// <summary>The data folder layout the configuration describes.</summary>
    public static DataPaths Paths(ParseResult parse) => new(CoreServiceCollectionExtensions.ReadOptions(Build(parse)));
}
