using MudBlazor;

namespace ProCo.Web.Components.Shared;

/// <summary>The question a Cancel button asks first, the same on the runs list and a run's page.</summary>
public static class CancelConfirmation
{
    /// <summary>The confirming button's text (tests press it).</summary>
    public const string Yes = "Stop the run";

    /// <summary>True when the person confirms stopping <paramref name="runName"/>.</summary>
    public static async Task<bool> AskAsync(IDialogService dialogs, long runId, string runName) =>
        await dialogs.ShowMessageBoxAsync($"Stop run #{runId}?",
            $"\"{runName}\" stops at its next step and is marked cancelled. Its checkpoints stay: Resume continues it from the last one.",
            yesText: Yes, cancelText: "Keep training") == true;
}
