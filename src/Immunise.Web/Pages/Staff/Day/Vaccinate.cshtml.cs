using Immunise.SiteDay;
using Immunise.Staff;
using Immunise.Stock;
using Immunise.Vaccines;
using Immunise.Web.Staff;
using Microsoft.AspNetCore.Mvc;

namespace Immunise.Web.Pages.Staff.Day;

/// <summary>
/// Records the vaccination of one of today's appointments (clinicians only). The list's "Vaccinate" button posts the
/// booking reference here (<c>Open</c>): the person, the dose the register says is next, and the site's in-date batches of
/// vaccines for it. The form posts back (<c>Record</c>): recorded in one transaction with the dose taken from stock and the
/// appointment closed, then back to the list. The booking reference travels in the form, never in the address.
/// </summary>
[StaffAccess(StaffScope.Site, StaffRole.Clinician)]
public sealed class VaccinateModel(VaccinationPlanner planner, RecordSiteVaccination record, SiteStock stock, VaccineCatalogue catalogue, TimeProvider clock)
    : VaccinationFormPage(catalogue, clock)
{
    [BindProperty]
    public string? Reference { get; set; }

    /// <summary>Why this appointment cannot be recorded (the register's history, the booking), when it cannot.</summary>
    public string? Refusal { get; private set; }

    public void OnGet()
    {
    }

    public async Task<IActionResult> OnPostOpenAsync(CancellationToken cancellationToken) => await PlanAsync(cancellationToken) ?? Page();

    public async Task<IActionResult> OnPostRecordAsync(CancellationToken cancellationToken)
    {
        if (await PlanAsync(cancellationToken) is { } refused)
        {
            return refused;
        }

        var chosen = await ChosenBatchAsync(stock, cancellationToken);
        CheckChoices(chosen);
        if (Errors.Count > 0)
        {
            return PageWithErrors();
        }

        var result = await record.ForAppointmentAsync(OdsCode, Reference,
            new SiteVaccinationRequest(chosen.ProductCode, chosen.BatchNumber, BodySite, Route, Consent), Me, cancellationToken);
        if (result.Succeeded)
        {
            var v = result.Value!;
            return BackToList($"Vaccination recorded for {Plan!.Person.GivenName} {Plan.Person.FamilyName}: {ProductName(v.Event.ProductCode)}, dose {v.Event.DoseNumber}, batch {v.Event.BatchNumber}.");
        }

        if (result.Failure!.Code == SiteDayCodes.AlreadyVaccinated.Code)
        {
            return BackToList($"The vaccination for booking {Reference} was already recorded: nothing more was recorded.");
        }

        AddFailure(result.Failure, FormFields, "batch");
        return PageWithErrors(result.Failure.Kind);
    }

    /// <summary>Reads the plan; answers the page with the refusal when the appointment cannot be recorded, null when it can.</summary>
    private async Task<IActionResult?> PlanAsync(CancellationToken cancellationToken)
    {
        var plan = await planner.ForAppointmentAsync(OdsCode, Reference, Actor, cancellationToken);
        if (plan.Succeeded)
        {
            Plan = plan.Value;
            return null;
        }

        if (plan.Failure!.Code == SiteDayCodes.AlreadyVaccinated.Code)
        {
            return BackToList($"The vaccination for booking {Reference} is already recorded.");
        }

        Refusal = plan.Failure.Message;
        AddError("refusal", plan.Failure.Message);
        return PageWithErrors(plan.Failure.Kind);
    }
}
