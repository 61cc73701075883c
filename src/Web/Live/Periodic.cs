namespace ProCo.Web.Live;

/// <summary>The loop of the live path's background services: one tick every interval until the host stops.</summary>
internal static class Periodic
{
    public static async Task RunAsync(TimeSpan interval, Func<CancellationToken, Task> tick, CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(interval);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken)) await tick(stoppingToken);
        }
        catch (OperationCanceledException)
        {
        }
    }
}
