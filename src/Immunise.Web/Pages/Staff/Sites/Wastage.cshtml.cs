using System.Globalization;
using Immunise.Staff;
using Immunise.Stock;
using Immunise.Web.Staff;
using Microsoft.AspNetCore.Mvc;

namespace Immunise.Web.Pages.Staff.Sites;

/// <summary>Records doses wasted from one of the site's batches, with a reason.</summary>
[StaffAccess(StaffScope.Site, StaffRole.NationalAdministrator, StaffRole.SiteManager, StaffRole.Clinician)]
public sealed class WastageModel(SiteStock stock) : StaffPage
{
    [FromRoute]
    public string OdsCode { get; set; } = "";

    [FromRoute]
    public string BatchId { get; set; } = "";

    [BindProperty]
    public string? Doses { get; set; }

    [BindProperty]
    public string? Reason { get; set; }

    public StockBatch? Batch { get; private set; }

    public async Task<IActionResult> OnGetAsync(CancellationToken cancellationToken)
    {
        Batch = await stock.FindAsync(OdsCode, BatchId, cancellationToken);
        return Batch is null ? NotFound() : Page();
    }

    public async Task<IActionResult> OnPostAsync(CancellationToken cancellationToken)
    {
        Batch = await stock.FindAsync(OdsCode, BatchId, cancellationToken);
        if (Batch is null)
        {
            return NotFound();
        }

        int? doses = int.TryParse(Doses, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : null;
        var result = await stock.RecordWastageAsync(OdsCode, BatchId, doses, Reason, Actor, cancellationToken);
        if (!result.Succeeded)
        {
            AddError(result.Failure!);
            return PageWithErrors(result.Failure!.Kind);
        }

        return Redirect($"/staff/sites/{Batch.SiteOdsCode}/stock");
    }
}
