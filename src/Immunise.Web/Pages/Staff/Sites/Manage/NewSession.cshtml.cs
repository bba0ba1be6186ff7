using Immunise.Audit;
using Immunise.Availability;
using Immunise.Sites;
using Immunise.Staff;
using Immunise.Web.Staff;
using Microsoft.AspNetCore.Mvc;

namespace Immunise.Web.Pages.Staff.Sites.Manage;

/// <summary>
/// Publishes one session at the site (<see cref="PublishSessions"/>): its slots can be booked at once (while the site is online).
/// Refused when it overlaps another session of the site that day. Audited as <c>session.created</c>.
/// </summary>
[StaffAccess(StaffScope.Site, StaffRole.NationalAdministrator, StaffRole.RegionalManager, StaffRole.SiteManager)]
public sealed class NewSessionModel(GetSites sites, PublishSessions publish, AuditLog audit) : SessionFormPage
{
    [BindProperty(Name = "date-day")]
    public string? DateDay { get; set; }

    [BindProperty(Name = "date-month")]
    public string? DateMonth { get; set; }

    [BindProperty(Name = "date-year")]
    public string? DateYear { get; set; }

    public async Task<IActionResult> OnGetAsync(CancellationToken cancellationToken)
    {
        if (!await LoadSiteAsync(sites, cancellationToken))
        {
            return NotFound();
        }

        (SlotMinutes, Capacity) = ("10", "1");
        return Page();
    }

    public async Task<IActionResult> OnPostAsync(CancellationToken cancellationToken)
    {
        if (!await LoadSiteAsync(sites, cancellationToken))
        {
            return NotFound();
        }

        var date = ReadDate("date", DateDay, DateMonth, DateYear, "The session's date");
        CheckSessionFields();
        if (Errors.Count > 0)
        {
            return PageWithErrors();
        }

        var created = await publish.CreateAsync(OdsCode, new SessionDetails(date, From, Until, SiteManagement.Whole(SlotMinutes), SiteManagement.Whole(Capacity), Services),
            cancellationToken);
        if (!created.Succeeded)
        {
            return Refused(created.Failure!, "from");
        }

        var session = created.Value!;
        await audit.WriteAsync(new AuditEntry(Actor, "session.created", ResourceType: "Session", ResourceId: session.Id,
            Purpose: $"site {OdsCode}, {SiteManagement.Iso(session.Date)} {session.From}-{session.Until}"), cancellationToken);
        return Redirect($"/staff/sites/{OdsCode}/sessions?week={SiteManagement.Iso(SiteSchedule.WeekOf(session.Date))}&done=created");
    }
}
