using System.Globalization;
using Immunise.Staff;
using Immunise.Stock;
using Immunise.Vaccines;
using Immunise.Web.Staff;
using Microsoft.AspNetCore.Mvc;

namespace Immunise.Web.Pages.Staff.Sites;

/// <summary>Receives a batch into a site's stock (refused when already expired or already received).</summary>
[StaffAccess(StaffScope.Site, StaffRole.NationalAdministrator, StaffRole.SiteManager, StaffRole.Clinician)]
public sealed class ReceiveModel(SiteStock stock, VaccineCatalogue catalogue) : StaffPage
{
    [FromRoute]
    public string OdsCode { get; set; } = "";

    [BindProperty]
    public string? ProductCode { get; set; }

    [BindProperty]
    public string? BatchNumber { get; set; }

    [BindProperty]
    public string? ExpiresDay { get; set; }

    [BindProperty]
    public string? ExpiresMonth { get; set; }

    [BindProperty]
    public string? ExpiresYear { get; set; }

    [BindProperty]
    public string? DosesReceived { get; set; }

    public IReadOnlyList<VaccineProduct> Products => [.. catalogue.Products.OrderBy(p => p.Name, StringComparer.Ordinal)];

    public void OnGet()
    {
    }

    public async Task<IActionResult> OnPostAsync(CancellationToken cancellationToken)
    {
        var expires = ReadDate("expiresOn", ExpiresDay, ExpiresMonth, ExpiresYear, "Expiry date");
        int? doses = int.TryParse(DosesReceived, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : null;
        if (doses is null)
        {
            AddError("dosesReceived", "Enter the number of doses received, like 300.");
        }

        if (Errors.Count > 0)
        {
            return PageWithErrors();
        }

        var received = await stock.ReceiveAsync(OdsCode, new ReceiveBatchRequest(ProductCode, BatchNumber, expires, doses), Actor, cancellationToken);
        if (!received.Succeeded)
        {
            AddError(received.Failure!);
            return PageWithErrors(received.Failure!.Kind);
        }

        return Redirect($"/staff/sites/{received.Value!.SiteOdsCode}/stock");
    }
}
