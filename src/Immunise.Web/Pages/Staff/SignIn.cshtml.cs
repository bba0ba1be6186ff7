using Immunise.Staff;
using Immunise.Web.Staff;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.RateLimiting;

namespace Immunise.Web.Pages.Staff;

/// <summary>Staff sign-in: email and password; rate-limited per client address; every attempt audited by the use case.</summary>
[AllowAnonymous]
[EnableRateLimiting(StaffCookie.SignInRateLimit)]
public sealed class SignInModel(SignIn signIn) : StaffPage
{
    [BindProperty]
    public string? Email { get; set; }

    [BindProperty]
    public string? Password { get; set; }

    [BindProperty(SupportsGet = true)]
    public string? ReturnUrl { get; set; }

    public void OnGet()
    {
    }

    public async Task<IActionResult> OnPostAsync(CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(Email))
        {
            AddError("email", "Enter your email address.");
        }

        if (string.IsNullOrEmpty(Password))
        {
            AddError("password", "Enter your password.");
        }

        if (Errors.Count > 0)
        {
            return PageWithErrors();
        }

        var result = await signIn.HandleAsync(Email, Password, HttpContext.TraceIdentifier, cancellationToken);
        Password = null;
        if (!result.Succeeded)
        {
            AddError("email", result.Failure!.Message);
            return PageWithErrors();
        }

        var user = result.Value!;
        await StaffCookie.SignInAsync(HttpContext, user);
        if (user.MustChangePassword)
        {
            return Redirect("/staff/password");
        }

        return LocalRedirect(IsStaffPath(ReturnUrl) ? ReturnUrl! : "/staff");
    }

    /// <summary>Only this service's own staff pages are places to return to (no open redirects).</summary>
    private static bool IsStaffPath(string? url) =>
        url is not null && url.StartsWith("/staff", StringComparison.Ordinal) && !url.StartsWith("//", StringComparison.Ordinal)
        && !url.Contains('\\', StringComparison.Ordinal) && Uri.IsWellFormedUriString(url, UriKind.Relative);
}
