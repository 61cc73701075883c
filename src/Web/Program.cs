using ProCo.Web.Cli;
using ProCo.Web.Hosting;

// `proco` with no verb, or with only host options (--urls ...), serves the web app.
if (CommandLine.IsServe(args))
{
    var app = await WebApp.BuildAsync(CommandLine.ServeArguments(args));
    await app.RunAsync();
    return 0;
}
return await CommandLine.RunAsync(args);

/// <summary>Entry point type, public so tests can host the real app.</summary>
public partial class Program;
