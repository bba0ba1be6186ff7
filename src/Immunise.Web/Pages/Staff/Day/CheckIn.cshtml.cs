using Immunise.Staff;
using Immunise.Web.Staff;
using Microsoft.AspNetCore.Mvc;

namespace Immunise.Web.Pages.Staff.Day;

/// <summary>
/// Checks in an arrival (the appointment list's "Check in" button posts here), then goes back to the list with a notice.
/// A refusal (another site or day, cancelled, already closed) is shown here with its reason and changes nothing.
/// </summary>
[StaffAccess(StaffScope.Site, StaffRole.SiteManager, StaffRole.Clinician, StaffRole.Receptionist)]
public sealed class CheckInModel(Immunise.SiteDay.CheckIn checkIn) : DayPage
{
    [BindProperty]
    public string? Reference { get; set; }

    public void OnGet()
    {
    }

    public async Task<IActionResult> OnPostAsync(CancellationToken cancellationToken)
    {
        var result = await checkIn.HandleAsync(OdsCode, Reference, Me, cancellationToken);
        if (!result.Succeeded)
        {
            AddError("reference", result.Failure!.Message);
            return PageWithErrors(result.Failure.Kind);
        }

        var a = result.Value!;
        return BackToList($"{a.GivenName} {a.FamilyName} is checked in for their {a.StartTime} appointment (booking {a.Reference}), arrived {Time(a.CheckedInAt!.Value)}.");
    }
}
