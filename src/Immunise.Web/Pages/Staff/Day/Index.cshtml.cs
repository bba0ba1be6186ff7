using System.Globalization;
using Immunise.Common;
using Immunise.Records;
using Immunise.SiteDay;
using Immunise.Staff;
using Immunise.Web.Staff;
using Microsoft.AspNetCore.Mvc;

namespace Immunise.Web.Pages.Staff.Day;

/// <summary>
/// The site's appointments on a day (today by default): filtered by status (in the address: no personal data) and searched
/// by name, NHS number or booking reference (posted, so what is typed stays out of the address). Every person shown is
/// audited by the use case. Check-in and recording buttons appear for the staff who may use them.
/// </summary>
[StaffAccess(StaffScope.Site, StaffRole.NationalAdministrator, StaffRole.RegionalManager, StaffRole.SiteManager, StaffRole.Clinician, StaffRole.Receptionist)]
public sealed class IndexModel(GetSiteDay day, TimeProvider clock) : DayPage
{
    [BindProperty(SupportsGet = true)]
    public string? Date { get; set; }

    [BindProperty(SupportsGet = true)]
    public string? Status { get; set; }

    [BindProperty]
    public string? Query { get; set; }

    public SiteDayList? Day { get; private set; }

    public DateOnly Today => London.Today(clock);

    /// <summary>The day shown (or asked for).</summary>
    public DateOnly On { get; private set; }

    public bool IsToday => On == Today;

    public string DayUrl(DateOnly on, string? status = null) =>
        $"{ListUrl}?date={on.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)}{(status is null ? "" : "&status=" + status)}";

    public Task<IActionResult> OnGetAsync(CancellationToken cancellationToken) => LoadAsync(null, cancellationToken);

    /// <summary>The search form.</summary>
    public Task<IActionResult> OnPostAsync(CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(Query))
        {
            AddError("query", "Enter a name, NHS number or booking reference to search for.");
        }

        return LoadAsync(Query, cancellationToken);
    }

    private async Task<IActionResult> LoadAsync(string? search, CancellationToken cancellationToken)
    {
        On = Today;
        if (!string.IsNullOrWhiteSpace(Date))
        {
            if (!DateOnly.TryParseExact(Date.Trim(), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var on))
            {
                return NotFound();
            }

            On = on;
        }

        var status = Status is { Length: > 0 } s && DayStatuses.All.Contains(s) ? s : null;
        var result = await day.HandleAsync(new SiteDayQuery(OdsCode, On, status, Errors.Count > 0 ? null : search), Actor, HttpContext.TraceIdentifier, cancellationToken);
        if (!result.Succeeded && result.Failure!.Code == SiteDayCodes.InvalidSearch.Code)
        {
            AddError("query", result.Failure.Message);
            result = await day.HandleAsync(new SiteDayQuery(OdsCode, On, status), Actor, HttpContext.TraceIdentifier, cancellationToken);
        }

        if (!result.Succeeded)
        {
            return result.Failure!.Kind == FailureKind.NotFound ? NotFound() : BadRequest();
        }

        Day = result.Value;
        Status = status;
        return Errors.Count > 0 ? PageWithErrors() : Page();
    }
}
