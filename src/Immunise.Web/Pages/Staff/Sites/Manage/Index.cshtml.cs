using Immunise.Sites;
using Immunise.Staff;
using Immunise.Web.Staff;
using Microsoft.AspNetCore.Mvc;

namespace Immunise.Web.Pages.Staff.Sites.Manage;

/// <summary>
/// The sites the signed-in member of staff manages: every site for national administrators (a page at a time, or straight
/// to one by ODS code), the sites of their region for regional managers, their own sites for site managers.
/// </summary>
[StaffAccess(StaffScope.AnyScope, StaffRole.NationalAdministrator, StaffRole.RegionalManager, StaffRole.SiteManager)]
public sealed class IndexModel(GetSites sites) : StaffPage
{
    public const int PageSize = 50;
    public const int RegionLimit = 500;

    [FromQuery(Name = "page")]
    public int PageNumber { get; set; } = 1;

    [FromQuery(Name = "ods")]
    public string? Find { get; set; }

    public bool National { get; private set; }

    public long Total { get; private set; }

    public List<Site> Sites { get; } = [];

    /// <summary>Organisations the person manages that are not (yet) in the sites directory.</summary>
    public List<string> NotSites { get; } = [];

    public async Task<IActionResult> OnGetAsync(CancellationToken cancellationToken)
    {
        var grants = StaffClaims.Grants(User).Where(g => SiteManagement.Roles.Contains(g.Role)).ToList();
        National = grants.Any(g => g.ScopeType == ScopeType.National);
        if (!string.IsNullOrWhiteSpace(Find))
        {
            if (SiteRules.TryParseOdsCode(Find, out var ods) && await sites.FindAsync(ods, cancellationToken) is { } found)
            {
                return Redirect($"/staff/sites/{found.OdsCode}");
            }

            AddError("ods", "No site has this ODS code. Check it and try again.");
        }

        if (National)
        {
            PageNumber = Math.Max(1, PageNumber);
            var page = await sites.ListAsync(new SiteQuery(Page: PageNumber, PageSize: PageSize), cancellationToken);
            Total = page.Value?.Total ?? 0;
            Sites.AddRange(page.Value?.Sites ?? []);
            return Errors.Count > 0 ? PageWithErrors() : Page();
        }

        foreach (var region in grants.Where(g => g.ScopeType == ScopeType.Region).Select(g => g.ScopeCode).Distinct(StringComparer.Ordinal))
        {
            var page = await sites.ListAsync(new SiteQuery(Region: region, PageSize: RegionLimit), cancellationToken);
            Total += page.Value?.Total ?? 0;
            Sites.AddRange(page.Value?.Sites ?? []);
        }

        foreach (var ods in grants.Where(g => g.ScopeType == ScopeType.Organisation).Select(g => g.ScopeCode).Distinct(StringComparer.Ordinal))
        {
            if (Sites.Any(s => s.OdsCode == ods))
            {
                continue;
            }

            if (await sites.FindAsync(ods, cancellationToken) is { } site)
            {
                Sites.Add(site);
                Total++;
            }
            else
            {
                NotSites.Add(ods);
            }
        }

        return Errors.Count > 0 ? PageWithErrors() : Page();
    }
}
