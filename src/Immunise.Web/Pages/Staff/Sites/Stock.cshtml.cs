using Immunise.Staff;
using Immunise.Stock;
using Immunise.Vaccines;
using Immunise.Web.Api;
using Immunise.Web.Staff;
using Microsoft.AspNetCore.Mvc;

namespace Immunise.Web.Pages.Staff.Sites;

/// <summary>A site's stock: in-date doses per vaccine, and every batch with what is left and whether it is running out.</summary>
[StaffAccess(StaffScope.Site, StaffRole.NationalAdministrator, StaffRole.RegionalManager, StaffRole.SiteManager, StaffRole.Clinician, StaffRole.Receptionist)]
public sealed class StockModel(SiteStock stock, VaccineCatalogue catalogue) : StaffPage
{
    [FromRoute]
    public string OdsCode { get; set; } = "";

    public SiteStockView? View { get; private set; }

    /// <summary>Whether the signed-in member of staff may receive batches and record wastage here.</summary>
    public bool CanChange { get; private set; }

    public string ProductName(string code) => catalogue.FindProduct(code)?.Name ?? code;

    public async Task<IActionResult> OnGetAsync(CancellationToken cancellationToken)
    {
        var view = await stock.ViewAsync(OdsCode, cancellationToken);
        if (!view.Succeeded)
        {
            return NotFound();
        }

        View = view.Value;
        CanChange = new StaffAccessAttribute(StaffScope.Site, StaffEndpoints.StockWriters).Admits(StaffClaims.Grants(User), View!.SiteOdsCode, null);
        return Page();
    }
}
