using Immunise.Audit;
using Immunise.Availability;
using Immunise.Records;
using Immunise.Sites;
using Immunise.Staff;
using Immunise.Web.Staff;
using Microsoft.AspNetCore.Mvc;

namespace Immunise.Web.Pages.Staff.Sites.Manage;

/// <summary>
/// Changes a session's times, appointment length, places or services (<see cref="EditSession"/>). When the change would move
/// or cancel appointments, the page first says how many (a preview: the same change rolled back) and asks to confirm; then
/// the appointments are moved or cancelled and each person told, as the booking service does. Audited as <c>session.changed</c>.
/// </summary>
[StaffAccess(StaffScope.Site, StaffRole.NationalAdministrator, StaffRole.RegionalManager, StaffRole.SiteManager)]
public sealed class ChangeSessionModel(GetSites sites, SiteSchedule schedule, EditSession edit, AuditLog audit, TimeProvider clock) : SessionFormPage
{
    [FromRoute]
    public string SessionId { get; set; } = "";

    /// <summary>"yes" once the person has seen what the change does to appointments and confirmed it.</summary>
    [BindProperty]
    public string? Confirm { get; set; }

    public SessionFigures Current { get; private set; } = null!;

    /// <summary>What the change would do, when it needs confirming.</summary>
    public Displaced? Preview { get; private set; }

    public bool Changeable => Current.Session.Status == "active" && Current.Session.Date >= London.Today(clock);

    public async Task<IActionResult> OnGetAsync(CancellationToken cancellationToken)
    {
        if (!await LoadAsync(cancellationToken))
        {
            return NotFound();
        }

        var s = Current.Session;
        (From, Until, SlotMinutes, Capacity, Services) = (s.From, s.Until, Num(s.SlotMinutes), Num(s.Capacity), [.. s.Services]);
        return Page();
    }

    public async Task<IActionResult> OnPostAsync(CancellationToken cancellationToken)
    {
        if (!await LoadAsync(cancellationToken))
        {
            return NotFound();
        }

        if (!Changeable)
        {
            AddError("from", "This session has been cancelled or its day has passed: it cannot be changed.");
            return PageWithErrors(Common.FailureKind.Conflict);
        }

        CheckSessionFields();
        if (Errors.Count > 0)
        {
            return PageWithErrors();
        }

        var details = new SessionDetails(null, From, Until, SiteManagement.Whole(SlotMinutes), SiteManagement.Whole(Capacity), Services);
        if (Confirm != "yes")
        {
            var preview = await edit.PreviewAsync(SessionId, details, cancellationToken);
            if (!preview.Succeeded)
            {
                return Refused(preview.Failure!, "from");
            }

            if (preview.Value!.Bookings != Displaced.None)
            {
                Preview = preview.Value.Bookings;
                return Page();
            }
        }

        var changed = await edit.HandleAsync(SessionId, details, cancellationToken);
        if (!changed.Succeeded)
        {
            return Refused(changed.Failure!, "from");
        }

        var moved = changed.Value!.Bookings;
        await audit.WriteAsync(new AuditEntry(Actor, "session.changed", ResourceType: "Session", ResourceId: SessionId,
            Purpose: $"site {OdsCode}, {From}-{Until}; {moved.Moved} moved, {moved.Cancelled} cancelled, {moved.HoldsReleased} holds released"), cancellationToken);
        return Redirect($"/staff/sites/{OdsCode}/sessions?week={SiteManagement.Iso(SiteSchedule.WeekOf(Current.Session.Date))}&done=changed&moved={moved.Moved}&cancelled={moved.Cancelled}");
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

    private static string Num(int value) => value.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
