namespace ProCo.Web.Components.Shared;

/// <summary>
/// Turns a burst of change notifications (from any thread) into one reload after a short delay,
/// run on the component's renderer.
/// </summary>
/// <param name="delay">How long to gather notifications.</param>
/// <param name="invokeOnRenderer">The component's InvokeAsync.</param>
/// <param name="reload">Reloads and re-renders.</param>
public sealed class RefreshCoalescer(TimeSpan delay, Func<Func<Task>, Task> invokeOnRenderer, Func<Task> reload)
{
    private int _pending;

    /// <summary>Asks for a reload; requests made while one is pending join it.</summary>
    public void Request()
    {
        if (Interlocked.Exchange(ref _pending, 1) == 1) return;
        _ = invokeOnRenderer(async () =>
        {
            await Task.Delay(delay);
            Interlocked.Exchange(ref _pending, 0);
            await reload();
        });
    }
}
