using Immunise.Sites;
using Immunise.Staff;
using Immunise.Web.Staff;
using Microsoft.AspNetCore.Mvc;

namespace Immunise.Web.Pages.Staff.Sites.Manage;

/// <summary>
/// Changes a site's details and the accessibility facts the booking journey shows. Every mistake the page can see is listed at
/// once; the use case checks the rest (a postcode not in the directory…). Saved changes are audited as <c>site.updated</c> with
/// the names of the fields changed. The products a site stocks and whether it is online are changed elsewhere and kept.
/// </summary>
[StaffAccess(StaffScope.Site, StaffRole.NationalAdministrator, StaffRole.RegionalManager, StaffRole.SiteManager)]
public sealed class EditModel(GetSites sites, SaveSite save) : SitePage
{
    [BindProperty]
    public string? Name { get; set; }

    [BindProperty]
    public string? Type { get; set; }

    [BindProperty]
    public string? Address { get; set; }

    [BindProperty]
    public string? Postcode { get; set; }

    [BindProperty]
    public string? Phone { get; set; }

    [BindProperty]
    public string? Email { get; set; }

    [BindProperty]
    public List<string> Services { get; set; } = [];

    [BindProperty]
    public List<string> Accessibility { get; set; } = [];

    [BindProperty]
    public string? Information { get; set; }

    public async Task<IActionResult> OnGetAsync(CancellationToken cancellationToken)
    {
        if (!await LoadSiteAsync(sites, cancellationToken))
        {
            return NotFound();
        }

        (Name, Type, Address, Postcode, Phone, Email, Information) = (Site.Name, Site.Type, Site.Address, Site.Postcode, Site.Phone, Site.Email, Site.Information);
        Services = [.. Site.Services];
        Accessibility = [.. Site.Accessibility];
        return Page();
    }

    public async Task<IActionResult> OnPostAsync(CancellationToken cancellationToken)
    {
        if (!await LoadSiteAsync(sites, cancellationToken))
        {
            return NotFound();
        }

        if (string.IsNullOrWhiteSpace(Name) || Name.Trim().Length > SiteRules.MaxNameLength)
        {
            AddError("name", $"Enter the site's name (at most {SiteRules.MaxNameLength} characters)");
        }

        if (!SiteRules.Types.Contains(Type ?? ""))
        {
            AddError("type", "Choose the type of site");
        }

        if (string.IsNullOrWhiteSpace(Address) || Address.Trim().Length > SiteRules.MaxAddressLength)
        {
            AddError("address", $"Enter the site's address (at most {SiteRules.MaxAddressLength} characters)");
        }

        if (!Geography.Postcode.TryNormalise(Postcode, out _))
        {
            AddError("postcode", "Enter a real postcode, like LS1 4AP");
        }

        if (!string.IsNullOrWhiteSpace(Phone) && !SiteRules.TryParsePhone(Phone, out _))
        {
            AddError("phone", "Enter a UK telephone number, like 0113 496 0000");
        }

        if (!string.IsNullOrWhiteSpace(Email) && (Email.Trim().Length > SiteRules.MaxEmailLength || !Email.Contains('@', StringComparison.Ordinal)))
        {
            AddError("email", "Enter an email address in the correct format, like vaccinations@example.nhs.uk");
        }

        if (Services.Count == 0)
        {
            AddError("services", "Choose at least one service the site offers");
        }

        if (Information is { Length: > SiteRules.MaxInformationLength })
        {
            AddError("information", $"Information for citizens must be {SiteRules.MaxInformationLength} characters or fewer");
        }

        if (Errors.Count > 0)
        {
            return PageWithErrors();
        }

        var details = new SiteDetails(Site.OdsCode, Name, Type, Address, Postcode, Accessibility, Information, Services, Site.Products, Site.Status, Phone, Email);
        var saved = await save.UpdateAsync(Site.OdsCode, details, Actor, cancellationToken);
        return saved.Succeeded ? Redirect($"/staff/sites/{Site.OdsCode}?done=saved") : Refused(saved.Failure!, "name");
    }
}
