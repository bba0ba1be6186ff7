using Immunise.SiteDay;
using Immunise.Stock;
using Immunise.Vaccines;
using Microsoft.AspNetCore.Mvc;

namespace Immunise.Web.Pages.Staff.Day;

/// <summary>
/// The recording form the vaccinate and walk-in pages share: a batch from the site's in-date stock of a vaccine that suits
/// the dose (choosing the batch chooses the product), route, body site and consent. The dose number is shown, never asked:
/// it follows the register.
/// </summary>
public abstract class VaccinationFormPage(VaccineCatalogue catalogue, TimeProvider clock) : DayPage
{
    /// <summary>Failure fields of the recording use case → this form's fields.</summary>
    protected static readonly IReadOnlyDictionary<string, string> FormFields = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["productCode"] = "batch",
        ["batchNumber"] = "batch",
        ["route"] = "route",
        ["bodySite"] = "bodySite",
        ["consent"] = "consent",
        ["overrideReason"] = "overrideReason",
        ["occurredAt"] = "batch",
        ["doseNumber"] = "batch",
    };

    [BindProperty]
    public string? Batch { get; set; }

    [BindProperty]
    public string? Route { get; set; }

    [BindProperty]
    public string? BodySite { get; set; }

    [BindProperty]
    public string? Consent { get; set; }

    public VaccinationPlan? Plan { get; protected set; }

    public VaccineCatalogue Catalogue => catalogue;

    /// <summary>Today, Europe/London.</summary>
    protected DateOnly Today => Records.London.Today(clock);

    public StockStatus StatusOf(StockBatch batch) => StockRules.Status(batch, Today);

    public string ProductName(string code) => catalogue.FindProduct(code)?.ShortName ?? code;

    /// <summary>The chosen batch's product and number: an id of one of the site's batches, else nothing (the use case then refuses it).</summary>
    protected async Task<(string? ProductCode, string? BatchNumber)> ChosenBatchAsync(SiteStock stock, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(Batch))
        {
            return (null, null);
        }

        var batch = await stock.FindAsync(Site, Batch.Trim(), cancellationToken);
        return batch is null ? ("-", null) : (batch.ProductCode, batch.BatchNumber);
    }

    /// <summary>The form's own checks before the use case's: something chosen in each group.</summary>
    protected void CheckChoices((string? ProductCode, string? BatchNumber) chosen)
    {
        if (chosen.ProductCode is null)
        {
            AddError("batch", "Choose the vaccine and batch you used.");
        }
        else if (chosen.BatchNumber is null)
        {
            AddError("batch", "This batch is not in the site's stock: choose one of the batches listed.");
        }

        if (string.IsNullOrWhiteSpace(Route))
        {
            AddError("route", "Choose how the vaccine was given.");
        }

        if (string.IsNullOrWhiteSpace(BodySite))
        {
            AddError("bodySite", "Choose where on the body the vaccine was given.");
        }

        if (string.IsNullOrWhiteSpace(Consent))
        {
            AddError("consent", "Choose who gave consent.");
        }
    }

    /// <summary>A code's alias as a label: "left-upper-arm" → "Left upper arm".</summary>
    public static string Humanise(string alias) => alias.Length == 0 ? alias : char.ToUpperInvariant(alias[0]) + alias[1..].Replace('-', ' ');
}
