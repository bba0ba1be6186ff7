using Immunise.Audit;
using Immunise.Availability;
using Immunise.Sites;
using Immunise.Staff;
using Immunise.Web.Staff;
using Microsoft.AspNetCore.Mvc;

namespace Immunise.Web.Pages.Staff.Sites.Manage;

/// <summary>Applies a template used before at the site again, over a new range of dates. Audited as <c>template.applied</c>.</summary>
[StaffAccess(StaffScope.Site, StaffRole.NationalAdministrator, StaffRole.RegionalManager, StaffRole.SiteManager)]
public sealed class ApplyTemplateModel(GetSites sites, SiteSchedule schedule, PublishSessions publish, AuditLog audit) : TemplatePage
{
    [FromRoute]
    public string TemplateId { get; set; } = "";

    public SessionTemplate Template { get; private set; } = null!;

    public async Task<IActionResult> OnGetAsync(CancellationToken cancellationToken) =>
        await LoadAsync(cancellationToken) ? Page() : NotFound();

    public async Task<IActionResult> OnPostAsync(CancellationToken cancellationToken)
    {
        if (!await LoadAsync(cancellationToken))
        {
            return NotFound();
        }

        var (from, to) = ReadRange();
        if (Errors.Count > 0)
        {
            return PageWithErrors();
        }

        return await NewTemplateModel.ApplyAsync(publish, audit, this, new WeeklyTemplate(from, to, Template.Sessions), cancellationToken);
    }

    /// <summary>Only the dates are on this form: everything else is said beside the first date.</summary>
    protected override string FieldOnForm(string field) => Field(field) == "toDate" ? "toDate" : "fromDate";

    private async Task<bool> LoadAsync(CancellationToken cancellationToken)
    {
        if (!await LoadSiteAsync(sites, cancellationToken) || await schedule.TemplateAsync(OdsCode, TemplateId, cancellationToken) is not { } template)
        {
            return false;
        }

        Template = template;
        return true;
    }
}
