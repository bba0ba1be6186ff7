using Immunise.Availability;
using Immunise.Sites;
using Immunise.Staff;
using Immunise.Web.Staff;
using Microsoft.AspNetCore.Mvc;

namespace Immunise.Web.Pages.Staff.Sites.Manage;

/// <summary>
/// Takes the site offline (it is no longer offered to citizens and takes no new bookings; the confirmed appointments it has
/// stay, and the page says how many) or puts it back online. Audited as <c>site.taken-offline</c> or <c>site.back-online</c>.
/// </summary>
[StaffAccess(StaffScope.Site, StaffRole.NationalAdministrator, StaffRole.RegionalManager, StaffRole.SiteManager)]
public sealed class StatusModel(GetSites sites, SiteSchedule schedule, SetSiteStatus setStatus) : SitePage
{
    public int BookingsAhead { get; private set; }

    public bool IsOnline => Site.Status == SiteRules.Online;

    public async Task<IActionResult> OnGetAsync(CancellationToken cancellationToken)
    {
        if (!await LoadSiteAsync(sites, cancellationToken))
        {
            return NotFound();
        }

        BookingsAhead = await schedule.BookingsAheadAsync(OdsCode, cancellationToken);
        return Page();
    }

    /// <summary><paramref name="status"/>: the status the form asked for (the button pressed), online or offline.</summary>
    public async Task<IActionResult> OnPostAsync(string? status, CancellationToken cancellationToken)
    {
        if (!await LoadSiteAsync(sites, cancellationToken))
        {
            return NotFound();
        }

        var changed = await setStatus.HandleAsync(OdsCode, status, Actor, cancellationToken);
        if (!changed.Succeeded)
        {
            BookingsAhead = await schedule.BookingsAheadAsync(OdsCode, cancellationToken);
            return Refused(changed.Failure!, "status", _ => "status");
        }

        return Redirect($"/staff/sites/{OdsCode}?done={changed.Value!.Site.Status}");
    }
}
