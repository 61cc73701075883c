using Microsoft.JSInterop;

namespace ProCo.Web.Components.Shared;

/// <summary>The pages' handle on wwwroot/js/studio.js and the charts it mounted.</summary>
public sealed class ChartModule(IJSRuntime js) : IAsyncDisposable
{
    private IJSObjectReference? _module;
    private int? _handle;

    /// <summary>True once charts are mounted.</summary>
    public bool Mounted => _handle is not null;

    /// <summary>Calls a mount function of the module (mountRun, mountCompare) once.</summary>
    public async Task MountAsync(string function, params object[] args)
    {
        if (_handle is not null) return;
        _module ??= await js.InvokeAsync<IJSObjectReference>("import", "./js/studio.js");
        _handle = await _module.InvokeAsync<int>(function, args);
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
            if (_module is not null)
            {
                if (_handle is { } handle) await _module.InvokeVoidAsync("dispose", handle);
                await _module.DisposeAsync();
            }
        }
        catch (JSDisconnectedException)
        {
            // The browser is gone; so are its charts.
        }
    }
}
