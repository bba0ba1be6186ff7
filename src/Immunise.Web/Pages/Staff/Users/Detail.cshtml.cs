using Immunise.Common;
using Immunise.Staff;
using Immunise.Web.Staff;
using Microsoft.AspNetCore.Mvc;

namespace Immunise.Web.Pages.Staff.Users;

/// <summary>One account: its roles (grant, revoke) and a temporary password. Accounts the viewer may not manage are not found.</summary>
[StaffAccess(StaffScope.AnyScope, StaffRole.NationalAdministrator, StaffRole.SiteManager)]
public sealed class DetailModel(StaffDirectory directory, ManageStaff manage) : StaffPage
{
    [FromRoute]
    public string Id { get; set; } = "";

    public StaffUser? Account { get; private set; }

    public IReadOnlyList<StaffRole> Grantable { get; private set; } = [];

    public string? Message { get; private set; }

    public string? TemporaryPassword { get; private set; }

    public async Task<IActionResult> OnGetAsync(CancellationToken cancellationToken) =>
        await LoadAsync(cancellationToken) is null ? NotFound() : Page();

    public async Task<IActionResult> OnPostGrantAsync(string? role, string? scopeCode, CancellationToken cancellationToken)
    {
        var me = await LoadAsync(cancellationToken);
        if (me is null)
        {
            return NotFound();
        }

        var grant = GrantForm.Read(this, role, scopeCode, AddError);
        if (grant is null)
        {
            return PageWithErrors();
        }

        var result = await manage.GrantAsync(me, Actor, Id, grant, cancellationToken);
        return await AfterAsync(result.Succeeded ? null : result.Failure, result.Value ? $"Added: {grant.Describe()}." : "The account already has this role.", cancellationToken);
    }

    public async Task<IActionResult> OnPostRevokeAsync(string? grant, CancellationToken cancellationToken)
    {
        var me = await LoadAsync(cancellationToken);
        if (me is null)
        {
            return NotFound();
        }

        if (!Grant.TryParse(grant, out var parsed))
        {
            AddError("role", "Choose a role to remove.");
            return PageWithErrors();
        }

        var result = await manage.RevokeAsync(me, Actor, Id, parsed, cancellationToken);
        return await AfterAsync(result.Succeeded ? null : result.Failure, $"Removed: {parsed.Describe()}.", cancellationToken);
    }

    public async Task<IActionResult> OnPostResetAsync(CancellationToken cancellationToken)
    {
        var me = await LoadAsync(cancellationToken);
        if (me is null)
        {
            return NotFound();
        }

        var result = await manage.SetTemporaryPasswordAsync(me, Actor, Id, cancellationToken);
        if (result.Succeeded)
        {
            TemporaryPassword = result.Value;
        }

        return await AfterAsync(result.Succeeded ? null : result.Failure, null, cancellationToken);
    }

    private async Task<IActionResult> AfterAsync(Failure? failure, string? message, CancellationToken cancellationToken)
    {
        await LoadAsync(cancellationToken); // show the account as it is now
        if (failure is not null)
        {
            AddError(failure, failure.Field is "scope" or "scopeCode" ? "scopeCode" : "role");
            return PageWithErrors(failure.Kind);
        }

        Message = message;
        return Page();
    }

    /// <summary>Loads the viewer and the account; null when the account does not exist or is not theirs to manage.</summary>
    private async Task<StaffUser?> LoadAsync(CancellationToken cancellationToken)
    {
        var me = await directory.FindAsync(StaffId, cancellationToken);
        var account = await directory.FindAsync(Id, cancellationToken);
        if (me is null || account is null || !StaffPermissions.CanManage(me, account))
        {
            Account = null;
            return null;
        }

        Account = account;
        Grantable = GrantForm.GrantableBy(me);
        return me;
    }
}
