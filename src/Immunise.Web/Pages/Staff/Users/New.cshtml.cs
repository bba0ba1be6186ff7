using Immunise.Common;
using Immunise.Staff;
using Immunise.Web.Staff;
using Microsoft.AspNetCore.Mvc;

namespace Immunise.Web.Pages.Staff.Users;

/// <summary>Creates an account with one role; the temporary password is shown once.</summary>
[StaffAccess(StaffScope.AnyScope, StaffRole.NationalAdministrator, StaffRole.SiteManager)]
public sealed class NewModel(StaffDirectory directory, ManageStaff manage) : StaffPage
{
    [BindProperty]
    public string? DisplayName { get; set; }

    [BindProperty]
    public string? Email { get; set; }

    [BindProperty]
    public string? Role { get; set; }

    [BindProperty]
    public string? ScopeCode { get; set; }

    public IReadOnlyList<StaffRole> Grantable { get; private set; } = [];

    public CreatedStaffUser? Created { get; private set; }

    public async Task OnGetAsync(CancellationToken cancellationToken) => await LoadAsync(cancellationToken);

    public async Task<IActionResult> OnPostAsync(CancellationToken cancellationToken)
    {
        var me = await LoadAsync(cancellationToken);
        if (me is null)
        {
            return Forbid();
        }

        var grant = GrantForm.Read(this, Role, ScopeCode, AddError);
        if (grant is null)
        {
            return PageWithErrors();
        }

        var created = await manage.CreateAsync(me, Actor, Email, DisplayName, grant, cancellationToken: cancellationToken);
        if (!created.Succeeded)
        {
            AddError(created.Failure!, created.Failure!.Field is "scope" or "role" ? "role" : created.Failure.Field);
            return PageWithErrors(created.Failure.Kind);
        }

        Created = created.Value;
        return Page();
    }

    private async Task<StaffUser?> LoadAsync(CancellationToken cancellationToken)
    {
        var me = await directory.FindAsync(StaffId, cancellationToken);
        Grantable = me is null ? [] : GrantForm.GrantableBy(me);
        return me;
    }
}
