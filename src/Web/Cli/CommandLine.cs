using System.CommandLine;

namespace ProCo.Web.Cli;

/// <summary>The verbs of the <c>proco</c> executable.</summary>
public static class CommandLine
{
    private static readonly string[] HelpTokens = ["--help", "-h", "-?", "/?", "/h"];

    /// <summary>True when the arguments ask for the web app (no verb, <c>serve</c>, or host options only), not for its help.</summary>
    public static bool IsServe(string[] args) =>
        !args.Any(HelpTokens.Contains) &&
        (args.Length == 0 || args[0] == "serve" || (args[0].StartsWith('-') && args[0] != "--version"));

    /// <summary>The arguments handed to the ASP.NET host (the verb removed).</summary>
    public static string[] ServeArguments(string[] args) =>
        args.Length > 0 && args[0] == "serve" ? args[1..] : args;

    /// <summary>Every verb of the executable, as <see cref="RunAsync"/> parses them.</summary>
    public static RootCommand Root()
    {
        var root = new RootCommand(
            "ProCo Studio: queue, watch and compare ProCo long-tailed training runs.\n" +
            "Without a verb, or with 'serve', it starts the web app (default http://127.0.0.1:5000).");
        var serve = new Command("serve",
            "Start the web app (the default), on http://127.0.0.1:5000 with its data in ./data. ASP.NET options pass through " +
            "(--urls http://127.0.0.1:8080, --environment), and so does any setting as a switch (--ProCo:DataDir=/srv/proco, " +
            "--ProCo:Auth:Enabled=true; the README's Configuration section lists them).");
        serve.TreatUnmatchedTokensAsErrors = false;
        root.Subcommands.Add(serve);
        root.Subcommands.Add(DoctorCommand.Create());
        root.Subcommands.Add(TrainCommand.Create());
        root.Subcommands.Add(SweepCommand.Create());
        root.Subcommands.Add(EvalCommand.Create());
        root.Subcommands.Add(ModelCommand.Create());
        root.Subcommands.Add(BenchCommand.Create());
        root.Subcommands.Add(DownloadCommand.Create());
        root.Subcommands.Add(DatasetCommand.Create());
        root.Subcommands.Add(WorkerCommand.Create());
        root.Subcommands.Add(TensorBoardCommands.Import());
        root.Subcommands.Add(TensorBoardCommands.Export());
        root.Subcommands.Add(AccountCommands.User());
        root.Subcommands.Add(AccountCommands.Token());
        return root;
    }

    /// <summary>Parses and runs a verb other than serve (and the help of serve).</summary>
    public static async Task<int> RunAsync(string[] args)
    {
        var parse = Root().Parse(CliConfiguration.TakeSwitches(args));
        try
        {
            return await parse.InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
        }
        catch (ArgumentException e)
        {
            // Bad input (an unknown option, an invalid value) gets its message, not a stack trace.
            await Console.Error.WriteLineAsync(e.Message);
            return 2;
        }
    }
}
