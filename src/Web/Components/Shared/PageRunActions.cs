using System.Security.Claims;
using MudBlazor;
using ProCo.Web.Hosting;
using ProCo.Web.Runs;

namespace ProCo.Web.Components.Shared;

/// <summary>
/// What a page's run buttons do, the same on every page: ask first where an action is hard to
/// undo, count against the person's actions a minute (<see cref="ActionBudget"/>, as the REST API
/// does), act, and say the outcome in a toast. One per circuit.
/// </summary>
public sealed class PageRunActions(RunService runs, ActionBudget budget, ISnackbar snackbar, IDialogService dialogs)
{
    /// <summary>True (and the refusal shown) when <paramref name="actions"/> more would exceed the person's budget.</summary>
    public bool OverBudget(ClaimsPrincipal user, int actions = 1)
    {
        if (budget.Take(user, null, actions) is not { } refusal) return false;
        snackbar.Add(refusal.Message, Severity.Warning);
        return true;
    }

    /// <summary>Asks (<see cref="CancelConfirmation"/>), then cancels; true when the run was asked to stop.</summary>
    public async Task<bool> CancelAsync(ClaimsPrincipal user, long id, string name)
    {
        if (!await CancelConfirmation.AskAsync(dialogs, id, name) || OverBudget(user)) return false;
        var (error, message) = await runs.CancelAsync(id, user);
        snackbar.Add($"#{id} {name}: {message}", error == RunActionError.None ? Severity.Info : Severity.Warning);
        return error == RunActionError.None;
    }

    public async Task<bool> ResumeAsync(ClaimsPrincipal user, long id, string name)
    {
        if (OverBudget(user)) return false;
        var (error, message) = await runs.ResumeAsync(id, user);
        snackbar.Add($"#{id} {name}: {message}", error == RunActionError.None ? Severity.Success : Severity.Warning);
        return error == RunActionError.None;
    }

    /// <summary>Asks, then deletes the run with its metrics and checkpoints.</summary>
    public async Task<bool> DeleteAsync(ClaimsPrincipal user, long id, string name)
    {
        var confirmed = await dialogs.ShowMessageBoxAsync("Delete run?",
            $"Delete \"{name}\" with its metrics and checkpoints? This cannot be undone.", yesText: "Delete", cancelText: "Keep it");
        if (confirmed != true || OverBudget(user)) return false;
        var (error, message) = await runs.DeleteAsync(id, user);
        snackbar.Add($"#{id} {name}: {message}", error == RunActionError.None ? Severity.Success : Severity.Error);
        return error == RunActionError.None;
    }
}
