using Immunise.Web.Staff;
using Microsoft.AspNetCore.Mvc;

namespace Immunise.Web.Pages.Staff;

/// <summary>Signs out (a form post, so another site cannot sign someone out with a link).</summary>
[StaffAccess(StaffScope.SignedIn)]
public sealed class SignOutModel : StaffPage
{
    public void OnGet()
    {
    }

    public async Task<IActionResult> OnPostAsync()
    {
        await StaffCookie.SignOutAsync(HttpContext);
        return Redirect(StaffCookie.SignInPath);
    }
}
