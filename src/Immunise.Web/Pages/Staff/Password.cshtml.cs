using Immunise.Staff;
using Immunise.Web.Staff;
using Microsoft.AspNetCore.Mvc;

namespace Immunise.Web.Pages.Staff;

/// <summary>A member of staff changes their own password; their other sign-ins end, this one carries on.</summary>
[StaffAccess(StaffScope.SignedIn)]
public sealed class PasswordModel(ChangePassword change, StaffDirectory directory) : StaffPage
{
    [BindProperty]
    public string? CurrentPassword { get; set; }

    [BindProperty]
    public string? NewPassword { get; set; }

    [BindProperty(SupportsGet = true, Name = "changed")]
    public bool Changed { get; set; }

    public bool MustChange => User.HasClaim(StaffClaims.MustChangePassword, "true");

    public void OnGet()
    {
    }

    public async Task<IActionResult> OnPostAsync(CancellationToken cancellationToken)
    {
        var result = await change.HandleAsync(StaffId, CurrentPassword, NewPassword, cancellationToken);
        (CurrentPassword, NewPassword) = (null, null);
        if (!result.Succeeded)
        {
            AddError(result.Failure!);
            return PageWithErrors(result.Failure!.Kind);
        }

        var user = await directory.FindAsync(StaffId, cancellationToken);
        if (user is null)
        {
            return Redirect(StaffCookie.SignInPath);
        }

        await StaffCookie.SignInAsync(HttpContext, user); // the new security stamp
        return Redirect("/staff/password?changed=true");
    }
}
