using Immunise.Audit;
using Immunise.Availability;
using Immunise.Records;
using Immunise.Sites;
using Immunise.Staff;
using Immunise.Web.Staff;
using Microsoft.AspNetCore.Mvc;

namespace Immunise.Web.Pages.Staff.Sites.Manage;

/// <summary>
/// Cancels a session (<see cref="CancelSessions"/>): the page first says how many appointments will be cancelled; then each is
/// cancelled and the person told (text message, email or letter), as the booking service does. Audited as <c>session.cancelled</c>.
/// </summary>
[StaffAccess(StaffScope.Site, StaffRole.NationalAdministrator, StaffRole.RegionalManager, StaffRole.SiteManager)]
public sealed class CancelSessionModel(GetSites sites, SiteSchedule schedule, CancelSessions cancel, AuditLog audit, TimeProvider clock) : SitePage
{
    [FromRoute]
    public string SessionId { get; set; } = "";

    public SessionFigures Current { get; private set; } = null!;

    public bool Cancellable => Current.Session.Status == "active" && Current.Session.Date >= London.Today(clock);

    public async Task<IActionResult> OnGetAsync(CancellationToken cancellationToken) =>
        await LoadAsync(cancellationToken) ? Page() : NotFound();

    public async Task<IActionResult> OnPostAsync(CancellationToken cancellationToken)
    {
        if (!await LoadAsync(cancellationToken))
        {
            return NotFound();
        }

        var cancelled = await cancel.SessionAsync(SessionId, cancellationToken);
        if (!cancelled.Succeeded)
        {
            return Refused(cancelled.Failure!, "cancel");
        }

        var displaced = cancelled.Value!.Bookings;
        await audit.WriteAsync(new AuditEntry(Actor, "session.cancelled", ResourceType: "Session", ResourceId: SessionId,
            Purpose: $"site {OdsCode}, {SiteManagement.Iso(Current.Session.Date)} {Current.Session.From}-{Current.Session.Until}; {displaced.Cancelled} cancelled, {displaced.HoldsReleased} holds released"),
            cancellationToken);
        return Redirect($"/staff/sites/{OdsCode}/sessions?week={SiteManagement.Iso(SiteSchedule.WeekOf(Current.Session.Date))}&done=cancelled&cancelled={displaced.Cancelled}");
    }

    private async Task<bool> LoadAsync(CancellationToken cancellationToken)
    {
        if (!await LoadSiteAsync(sites, cancellationToken) || await schedule.SessionAsync(OdsCode, SessionId, cancellationToken) is not { } current)
        {
            return false;
        }

        Current = current;
        return true;
    }
}
