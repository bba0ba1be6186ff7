using Immunise.Availability;
using Immunise.Records;
using Immunise.Sites;
using Immunise.Staff;
using Immunise.Web.Staff;
using Microsoft.AspNetCore.Mvc;

namespace Immunise.Web.Pages.Staff.Sites.Manage;

/// <summary>A site's home: its details as citizens see them, whether it takes bookings, this week's figures, and where to go next.</summary>
[StaffAccess(StaffScope.Site, StaffRole.NationalAdministrator, StaffRole.RegionalManager, StaffRole.SiteManager)]
public sealed class HomeModel(GetSites sites, SiteSchedule schedule, TimeProvider clock) : SitePage
{
    /// <summary>What was just done, for the confirmation banner (<c>saved</c>, <c>offline</c>, <c>online</c>).</summary>
    [FromQuery(Name = "done")]
    public string? Done { get; set; }

    public ScheduleWeek Week { get; private set; } = null!;

    public int BookingsAhead { get; private set; }

    public DateOnly Today { get; private set; }

    public async Task<IActionResult> OnGetAsync(CancellationToken cancellationToken)
    {
        if (!await LoadSiteAsync(sites, cancellationToken))
        {
            return NotFound();
        }

        Today = London.Today(clock);
        Week = (await schedule.WeekAsync(OdsCode, Today, cancellationToken)).Value!;
        BookingsAhead = await schedule.BookingsAheadAsync(OdsCode, cancellationToken);
        return Page();
    }
}
