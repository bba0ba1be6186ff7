using Immunise.Availability;
using Immunise.Records;
using Immunise.Sites;
using Immunise.Staff;
using Immunise.Web.Staff;
using Microsoft.AspNetCore.Mvc;

namespace Immunise.Web.Pages.Staff.Sites.Manage;

/// <summary>The site's sessions in a week (<c>?week=yyyy-MM-dd</c>, this week by default), each with its bookings, to change or cancel.</summary>
[StaffAccess(StaffScope.Site, StaffRole.NationalAdministrator, StaffRole.RegionalManager, StaffRole.SiteManager)]
public sealed class SessionsModel(GetSites sites, SiteSchedule schedule, TimeProvider clock) : SitePage
{
    [FromQuery(Name = "week")]
    public string? WeekAsked { get; set; }

    /// <summary>What was just done, for the confirmation banner: <c>created</c>, <c>applied</c>, <c>changed</c>, <c>cancelled</c>.</summary>
    [FromQuery(Name = "done")]
    public string? Done { get; set; }

    /// <summary>With <see cref="Done"/>: sessions made, or appointments moved and cancelled.</summary>
    [FromQuery(Name = "sessions")]
    public int Made { get; set; }

    [FromQuery(Name = "moved")]
    public int Moved { get; set; }

    [FromQuery(Name = "cancelled")]
    public int Cancelled { get; set; }

    public ScheduleWeek Week { get; private set; } = null!;

    public DateOnly Today { get; private set; }

    public async Task<IActionResult> OnGetAsync(CancellationToken cancellationToken)
    {
        if (!await LoadSiteAsync(sites, cancellationToken))
        {
            return NotFound();
        }

        Today = London.Today(clock);
        Week = (await schedule.WeekAsync(OdsCode, SiteManagement.WeekFrom(WeekAsked, Today), cancellationToken)).Value!;
        return Page();
    }

    public string DoneMessage => Done switch
    {
        "created" => "Session added. Its times can be booked now.",
        "applied" => $"Template applied: {SiteManagement.Plural(Made, "session", "sessions")} added.",
        "changed" => $"Session changed. {SiteManagement.Plural(Moved, "appointment", "appointments")} moved to another time, {SiteManagement.Number(Cancelled)} cancelled.",
        _ => $"Session cancelled. {SiteManagement.Plural(Cancelled, "appointment", "appointments")} cancelled.",
    };

    /// <summary>Whether a session can still be changed or cancelled: active and not on a past day.</summary>
    public bool CanChange(Session session) => session.Status == "active" && session.Date >= Today;
}
