using Immunise.SiteDay;
using Immunise.Staff;
using Immunise.Web.Staff;
using Microsoft.AspNetCore.Mvc;

namespace Immunise.Web.Pages.Staff.Day;

/// <summary>
/// Records that a person at today's appointment was not vaccinated, with a reason (clinicians only): opened from the list or
/// the vaccinate page with the booking reference in the form (<c>Open</c>), recorded (<c>Record</c>), back to the list.
/// </summary>
[StaffAccess(StaffScope.Site, StaffRole.Clinician)]
public sealed class NotVaccinatedModel(GetSiteDay day, RecordNotVaccinated record) : DayPage
{
    [BindProperty]
    public string? Reference { get; set; }

    [BindProperty]
    public string? Reason { get; set; }

    public DayAppointment? Appointment { get; private set; }

    public void OnGet()
    {
    }

    public async Task<IActionResult> OnPostOpenAsync(CancellationToken cancellationToken) => await LoadAsync(cancellationToken) ?? Page();

    public async Task<IActionResult> OnPostRecordAsync(CancellationToken cancellationToken)
    {
        if (await LoadAsync(cancellationToken) is { } refused)
        {
            return refused;
        }

        var result = await record.HandleAsync(OdsCode, Reference, Reason, Me, cancellationToken);
        if (!result.Succeeded)
        {
            AddError(result.Failure!.Field == "reason" ? "reason" : "reference", result.Failure.Message);
            return PageWithErrors(result.Failure.Kind);
        }

        var a = result.Value!;
        return BackToList($"Recorded that {a.GivenName} {a.FamilyName} was not vaccinated: {NotVaccinatedReasons.Display(a.NotVaccinatedReason!).ToLowerInvariant()}.");
    }

    private async Task<IActionResult?> LoadAsync(CancellationToken cancellationToken)
    {
        var found = await day.AppointmentAsync(OdsCode, Reference, Actor, HttpContext.TraceIdentifier, cancellationToken);
        if (found.Succeeded)
        {
            Appointment = found.Value;
            return null;
        }

        AddError("reference", found.Failure!.Message);
        return PageWithErrors(found.Failure.Kind);
    }
}
