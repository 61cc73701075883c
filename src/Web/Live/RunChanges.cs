using ProCo.Data.Entities;

namespace ProCo.Web.Live;

/// <summary>Run rows that changed in this process, for the Blazor components showing them.</summary>
public sealed class RunChanges
{
    /// <summary>Raised on the caller's thread.</summary>
    public event Action<RunMessage>? Changed;

    public void Raise(RunMessage message) => Changed?.Invoke(message);
}
