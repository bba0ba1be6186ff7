using Immunise.Audit;
using Immunise.Availability;
using Immunise.Sites;
using Immunise.Staff;
using Immunise.Web.Staff;
using Microsoft.AspNetCore.Mvc;

namespace Immunise.Web.Pages.Staff.Sites.Manage;

/// <summary>
/// Creates a weekly template (a session on chosen weekdays) and applies it over a range of dates (<see cref="PublishSessions"/>):
/// one session on each matching day from today on. Refused, all of it, when any of them would overlap a session of the site.
/// Audited as <c>template.applied</c>.
/// </summary>
[StaffAccess(StaffScope.Site, StaffRole.NationalAdministrator, StaffRole.RegionalManager, StaffRole.SiteManager)]
public sealed class NewTemplateModel(GetSites sites, PublishSessions publish, AuditLog audit) : TemplatePage
{
    public static readonly IReadOnlyList<string> Weekdays = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"];

    [BindProperty]
    public List<string> Days { get; set; } = [];

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

        var (from, to) = ReadRange();
        if (Days.Count == 0)
        {
            AddError("days", "Choose the days of the week the session runs on");
        }

        CheckSessionFields();
        if (Errors.Count > 0)
        {
            return PageWithErrors();
        }

        var weekly = new WeeklySession(Days, From, Until, SiteManagement.Whole(SlotMinutes), SiteManagement.Whole(Capacity), Services);
        return await ApplyAsync(publish, audit, this, new WeeklyTemplate(from, to, [weekly]), cancellationToken);
    }

    /// <summary>Applies a template for a page, audits it and goes to the first week it made sessions in; or shows why not.</summary>
    internal static async Task<IActionResult> ApplyAsync(PublishSessions publish, AuditLog audit, TemplatePage page, WeeklyTemplate template, CancellationToken cancellationToken)
    {
        var applied = await publish.ApplyTemplateAsync(page.OdsCode, template, page.User.StaffId(), cancellationToken);
        if (!applied.Succeeded)
        {
            return page.RefusedTemplate(applied.Failure!);
        }

        var result = applied.Value!;
        await audit.WriteAsync(new AuditEntry(Immunise.Audit.Actor.Staff(page.User.StaffId()), "template.applied", ResourceType: "SessionTemplate", ResourceId: result.TemplateId,
            Purpose: $"site {page.OdsCode}, {SiteManagement.Iso(result.From)} to {SiteManagement.Iso(result.To)}, {result.Sessions.Count} sessions"), cancellationToken);
        var first = result.Sessions.Count > 0 ? result.Sessions[0].Date : result.From;
        return new RedirectResult($"/staff/sites/{page.OdsCode}/sessions?week={SiteManagement.Iso(SiteSchedule.WeekOf(first))}&done=applied&sessions={result.Sessions.Count}");
    }
}
