using System.Globalization;
using Immunise.People;
using Immunise.SiteDay;
using Immunise.Staff;
using Immunise.Stock;
using Immunise.Vaccines;
using Immunise.Web.Staff;
using Microsoft.AspNetCore.Mvc;

namespace Immunise.Web.Pages.Staff.Day;

/// <summary>
/// A walk-in without a booking (clinicians only): find the person in the register (NHS number, or name and date of birth),
/// run the eligibility check for the programme today (<c>Find</c>), then record the vaccination (<c>Record</c>). When the
/// check says no for a reason that may be overridden, the clinician must record why they vaccinate anyway; other refusals
/// cannot be overridden. The NHS number travels in the form, never in the address.
/// </summary>
[StaffAccess(StaffScope.Site, StaffRole.Clinician)]
public sealed class WalkInModel(VaccinationPlanner planner, RecordSiteVaccination record, SiteStock stock, RegisterOptions register, VaccineCatalogue catalogue,
    TimeProvider clock) : VaccinationFormPage(catalogue, clock)
{
    public static readonly IReadOnlyList<(string Code, string Display)> Programmes = [("FLU", "Flu"), ("COVID19", "COVID-19"), ("RSV", "RSV")];

    [BindProperty]
    public string? NhsNumber { get; set; }

    [BindProperty]
    public string? GivenName { get; set; }

    [BindProperty]
    public string? FamilyName { get; set; }

    [BindProperty]
    public string? BornDay { get; set; }

    [BindProperty]
    public string? BornMonth { get; set; }

    [BindProperty]
    public string? BornYear { get; set; }

    [BindProperty]
    public string? Postcode { get; set; }

    [BindProperty]
    public string? Programme { get; set; }

    [BindProperty]
    public string? OverrideReason { get; set; }

    public string ProgrammeName => Programmes.FirstOrDefault(p => p.Code == Plan?.Programme).Display ?? Plan?.Programme ?? "";

    public void OnGet()
    {
    }

    public async Task<IActionResult> OnPostFindAsync(CancellationToken cancellationToken)
    {
        if (!Programmes.Any(p => p.Code == Programme))
        {
            AddError("programme", "Choose the vaccination the person has come for.");
        }

        DateOnly? born = null;
        if (string.IsNullOrWhiteSpace(NhsNumber))
        {
            if (string.IsNullOrWhiteSpace(FamilyName))
            {
                AddError("nhsNumber", "Enter the NHS number, or the person's name and date of birth.");
            }
            else if ((born = ReadBirthDate()) is null)
            {
                AddError("born", "Enter the date of birth as a real date in the past, like 14 3 1950.");
            }
        }

        if (Errors.Count > 0)
        {
            return PageWithErrors();
        }

        var found = await planner.FindAsync(new WalkInSearch(NhsNumber, GivenName, FamilyName, born, Postcode), register, cancellationToken);
        if (!found.Succeeded)
        {
            AddError(found.Failure!.Field == "postcode" ? "postcode" : "nhsNumber", found.Failure.Message);
            return PageWithErrors(found.Failure.Kind);
        }

        NhsNumber = found.Value.Value;
        return await PlanAsync(found.Value, cancellationToken) ?? Page();
    }

    public async Task<IActionResult> OnPostRecordAsync(CancellationToken cancellationToken)
    {
        if (!register.TryParseNhsNumber(NhsNumber, out var nhs, out var reason))
        {
            AddError("nhsNumber", reason);
            return PageWithErrors();
        }

        if (await PlanAsync(nhs, cancellationToken) is { } refused)
        {
            return refused;
        }

        var chosen = await ChosenBatchAsync(stock, cancellationToken);
        CheckChoices(chosen);
        if (Plan!.NeedsOverride && string.IsNullOrWhiteSpace(OverrideReason))
        {
            AddError("overrideReason", "Record why you are vaccinating although the check said no, or do not vaccinate.");
        }

        if (Errors.Count > 0)
        {
            return PageWithErrors();
        }

        var result = await record.ForWalkInAsync(OdsCode, new WalkInVaccinationRequest(nhs, Programme,
            new SiteVaccinationRequest(chosen.ProductCode, chosen.BatchNumber, BodySite, Route, Consent), Plan.NeedsOverride ? OverrideReason : null), Me, cancellationToken);
        if (!result.Succeeded)
        {
            AddFailure(result.Failure!, FormFields, "batch");
            return PageWithErrors(result.Failure!.Kind);
        }

        var v = result.Value!;
        return BackToList($"Walk-in vaccination recorded for {Plan.Person.GivenName} {Plan.Person.FamilyName}: {ProductName(v.Event.ProductCode)}, dose {v.Event.DoseNumber}, batch {v.Event.BatchNumber}{(v.Overridden ? " (eligibility overridden)" : "")}.");
    }

    private async Task<IActionResult?> PlanAsync(Immunise.People.NhsNumber nhs, CancellationToken cancellationToken)
    {
        var plan = await planner.ForWalkInAsync(OdsCode, nhs, Programme, Actor, cancellationToken);
        if (plan.Succeeded)
        {
            Plan = plan.Value;
            return null;
        }

        AddError(plan.Failure!.Field == "programme" ? "programme" : "nhsNumber", plan.Failure.Message);
        return PageWithErrors(plan.Failure.Kind);
    }

    private DateOnly? ReadBirthDate() =>
        int.TryParse(BornDay, NumberStyles.None, CultureInfo.InvariantCulture, out var d)
        && int.TryParse(BornMonth, NumberStyles.None, CultureInfo.InvariantCulture, out var m)
        && int.TryParse(BornYear, NumberStyles.None, CultureInfo.InvariantCulture, out var y)
        && y is >= 1880 and <= 9999 && m is >= 1 and <= 12 && d >= 1 && d <= DateTime.DaysInMonth(y, m)
        && new DateOnly(y, m, d) is var day && day <= Today
            ? day
            : null;
}
