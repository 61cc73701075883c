using Microsoft.JSInterop;

namespace ProCo.Web.Components.Shared;

/// <summary>
/// A page's handle on its JavaScript module (the <c>.razor.js</c> beside it, or a shared one) and
/// the charts it mounted.
/// </summary>
/// <param name="js">The circuit's JS runtime.</param>
/// <param name="path">The module, e.g. "./Components/Pages/Runs/RunPage.razor.js".</param>
public sealed class ChartModule(IJSRuntime js, string path) : IAsyncDisposable
{
    private IJSObjectReference? _module;
    private int? _handle;
    private Task? _mounting;

    /// <summary>
    /// Calls the module's <c>mount</c> once, however often a page renders while the charts are
    /// still loading.
    /// </summary>
    public Task MountAsync(params object[] args) => _mounting ??= MountOnceAsync(args);

    private async Task MountOnceAsync(object[] args)
    {
        try
        {
            var module = await ModuleAsync();
            _handle = await module.InvokeAsync<int>("mount", args);
        }
        catch (JSException e)
        {
            // The page stays usable and says so, instead of the circuit ending on an unhandled error.
            Error = e.Message.Split('\n')[0];
        }
    }

    /// <summary>Why the charts could not be drawn (a script error in the browser), or null.</summary>
    public string? Error { get; private set; }

    /// <summary>Calls a module function with the mounted handle first (e.g. setSmoothing).</summary>
    public async Task InvokeAsync(string function, params object[] args)
    {
        if (_module is not null && _handle is { } handle) await _module.InvokeVoidAsync(function, [handle, .. args]);
    }

    /// <summary>The module itself, for calls that need no handle (settings).</summary>
    public async Task<IJSObjectReference> ModuleAsync() =>
        _module ??= await js.InvokeAsync<IJSObjectReference>("import", path);

    public async ValueTask DisposeAsync()
    {
        try
        {
            // Charts still loading are disposed once they are there, not left connected.
            if (_mounting is not null) await _mounting;
            if (_module is not null)
            {
                if (_handle is { } handle) await _module.InvokeVoidAsync("dispose", handle);
                await _module.DisposeAsync();
            }
        }
        catch (Exception e) when (e is JSDisconnectedException or JSException or TaskCanceledException)
        {
            // The browser is gone (so are its charts), or they never mounted.
        }
    }
}
