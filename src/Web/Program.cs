using ProCo.Training;
using ProCo.Web.Cli;
using ProCo.Web.Hosting;
using ProCo.Web.Runs;

// Before any thread allocates: a thread's malloc arena is fixed at its first allocation, and only
// threads that share the one main arena keep their activations between training steps.
NativeAllocator.Tune();

// `proco` with no verb, or with only host options (--urls ...), serves the web app.
if (CommandLine.IsServe(args))
{
    WebApplication app;
    try
    {
        app = await WebApp.BuildAsync(CommandLine.ServeArguments(args));
    }
    catch (StartupRefusedException refused)
    {
        await Console.Error.WriteLineAsync(refused.Message);
        return 2;
    }
    var listening = string.Join(", ", Exposure.ListenUrls(app.Configuration));
    try
    {
        await app.RunAsync();
    }
    catch (Exception bind) when (bind is System.Net.Sockets.SocketException
        || bind is IOException { InnerException: Microsoft.AspNetCore.Connections.AddressInUseException or System.Net.Sockets.SocketException })
    {
        // Kestrel could not listen (the port is taken, the address is not this machine's): the host has logged the
        // details; the last line says what to change.
        await Console.Error.WriteLineAsync($"ProCo Studio could not listen on {listening}: {bind.Message} Choose another address or port with --urls.");
        return 2;
    }
    return 0;
}
return await CommandLine.RunAsync(args);

/// <summary>Entry point type, public so tests can host the real app.</summary>
public partial class Program;
