using Microsoft.JSInterop;

namespace ProCo.Web.Components.Shared;

/// <summary>The pages' handle on wwwroot/js/studio.js and the charts it mounted.</summary>
public sealed class ChartModule(IJSRuntime js) : IAsyncDisposable
{
    private IJSObjectReference? _module;
    private int? _handle;
    private Task? _mounting;

    /// <summary>
    /// Calls a mount function of the module (mountRun, mountCompare) once, however often a page
    /// renders while the charts are still loading.
    /// </summary>
    public Task MountAsync(string function, params object[] args) => _mounting ??= MountOnceAsync(function, args);

    private async Task MountOnceAsync(string function, object[] args)
    {
        var module = await ModuleAsync();
        _handle = await module.InvokeAsync<int>(function, args);
    }

    /// <summary>Calls a module function with the mounted handle first (e.g. setSmoothing).</summary>
    public async Task InvokeAsync(string function, params object[] args)
    {
        if (_module is not null && _handle is { } handle) await _module.InvokeVoidAsync(function, [handle, .. args]);
    }

    /// <summary>The module itself, for calls that need no handle (settings).</summary>
    public async Task<IJSObjectReference> ModuleAsync() =>
        _module ??= await js.InvokeAsync<IJSObjectReference>("import", "./js/studio.js");

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
