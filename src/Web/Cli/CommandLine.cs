using System.CommandLine;

namespace ProCo.Web.Cli;

/// <summary>The verbs of the <c>proco</c> executable.</summary>
public static class CommandLine
{
    /// <summary>True when the arguments ask for the web app (no verb, <c>serve</c>, or host options only).</summary>
    public static bool IsServe(string[] args) =>
        args.Length == 0 || args[0] == "serve" || (args[0].StartsWith('-') && args[0] is not ("--help" or "-h" or "-?" or "--version"));

    /// <summary>The arguments handed to the ASP.NET host (the verb removed).</summary>
    public static string[] ServeArguments(string[] args) =>
        args.Length > 0 && args[0] == "serve" ? args[1..] : args;

    /// <summary>Parses and runs a verb other than serve.</summary>
    public static async Task<int> RunAsync(string[] args)
    {
        var root = new RootCommand(
            "ProCo Studio: queue, watch and compare ProCo long-tailed training runs.\n" +
            "Without a verb, or with 'serve', it starts the web app (default http://127.0.0.1:5000).");
        var serve = new Command("serve", "Start the web app (the default). ASP.NET options such as --urls pass through.");
        serve.TreatUnmatchedTokensAsErrors = false;
        root.Subcommands.Add(serve);
        root.Subcommands.Add(DoctorCommand.Create());
        root.Subcommands.Add(TrainCommand.Create());
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
        var parse = root.Parse(CliConfiguration.TakeSwitches(args));
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
