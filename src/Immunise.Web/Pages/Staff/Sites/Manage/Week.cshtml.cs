using Immunise.Availability;
using Immunise.Records;
using Immunise.Sites;
using Immunise.Staff;
using Immunise.Web.Staff;
using Microsoft.AspNetCore.Mvc;

namespace Immunise.Web.Pages.Staff.Sites.Manage;

/// <summary>
/// A week's bookings against capacity (<c>?week=yyyy-MM-dd</c>, this week by default): per day and per session, places,
/// booked, being chosen (held), cancelled and still free. Tables, so that it reads the same to everyone.
/// </summary>
[StaffAccess(StaffScope.Site, StaffRole.NationalAdministrator, StaffRole.RegionalManager, StaffRole.SiteManager)]
public sealed class WeekModel(GetSites sites, SiteSchedule schedule, TimeProvider clock) : SitePage
{
    public static readonly IReadOnlyList<string> Columns = ["Places", "Booked", "Being chosen", "Cancelled", "Still free"];

    [FromQuery(Name = "week")]
    public string? WeekAsked { get; set; }

    public ScheduleWeek Week { get; private set; } = null!;

    public async Task<IActionResult> OnGetAsync(CancellationToken cancellationToken)
    {
        if (!await LoadSiteAsync(sites, cancellationToken))
        {
            return NotFound();
        }

        Week = (await schedule.WeekAsync(OdsCode, SiteManagement.WeekFrom(WeekAsked, London.Today(clock)), cancellationToken)).Value!;
        return Page();
    }

    public static IReadOnlyList<int> Values(DayFigures d) => [d.Capacity, d.Booked, d.Held, d.Cancelled, d.Remaining];

    public static IReadOnlyList<int> Values(SessionFigures s) => [s.Capacity, s.Booked, s.Held, s.Cancelled, s.Remaining];
}
