using Immunise.Availability;
using Immunise.Sites;
using Immunise.Staff;
using Immunise.Web.Staff;
using Microsoft.AspNetCore.Mvc;

namespace Immunise.Web.Pages.Staff.Sites.Manage;

/// <summary>The weekly templates applied at the site, latest first: each can be applied again to another range of dates.</summary>
[StaffAccess(StaffScope.Site, StaffRole.NationalAdministrator, StaffRole.RegionalManager, StaffRole.SiteManager)]
public sealed class TemplatesModel(GetSites sites, SiteSchedule schedule) : SitePage
{
    public IReadOnlyList<SessionTemplate> Templates { get; private set; } = [];

    public async Task<IActionResult> OnGetAsync(CancellationToken cancellationToken)
    {
        if (!await LoadSiteAsync(sites, cancellationToken))
        {
            return NotFound();
        }

        Templates = await schedule.TemplatesAsync(OdsCode, cancellationToken);
        return Page();
    }

    /// <summary>A weekly session in a sentence: "Monday, Wednesday, 09:00 to 12:00, every 10 minutes, 3 at a time: COVID-19, 18 and over".</summary>
    public static string Describe(WeeklySession weekly) =>
        $"{SiteManagement.Weekdays(weekly.Days)}, {weekly.From} to {weekly.Until}, every {weekly.SlotMinutes} minutes, {weekly.Capacity} at a time: "
        + string.Join("; ", (weekly.Services ?? []).Select(s => SiteManagement.Service(SiteRules.CanonicalService(s) ?? s)));
}
