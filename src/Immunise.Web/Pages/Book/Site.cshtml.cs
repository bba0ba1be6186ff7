using Immunise.Availability;
using Immunise.Sites;
using Immunise.Vaccines;
using Immunise.Web.Pages.Shared;
using Microsoft.AspNetCore.Mvc;

namespace Immunise.Web.Pages.Book;

/// <summary>
/// The nearest sites to the citizen's postcode that offer their service and have a free place, with distance and next
/// free date; for a second appointment, only sites with the first dose's vaccine and a free place inside the dose window.
/// </summary>
public sealed class SiteModel(BookingJourneyStore store, FindSites findSites, GetAvailability availability, VaccineCatalogue catalogue, TimeProvider clock)
    : AppointmentStep(store, catalogue, clock)
{
    public const int MaxMiles = 50;
    public const int Shown = 10;

    public override string Title => Which == "appointment" ? "Choose a vaccination site" : $"Choose a vaccination site for your {Which}";

    public override string? BackLink => Appointment == 1 ? "/book/postcode" : $"/book/appointment-{Appointment - 1}/time";

    public IReadOnlyList<NearbySite> Sites { get; private set; } = [];

    public string? Hint { get; private set; }

    public string? Selected { get; private set; }

    public IReadOnlyList<RadioItem> Items => Sites.Select(s => new RadioItem(
        s.Site.OdsCode,
        s.Site.Name,
        $"{s.Site.Address}, {s.Site.Postcode}. {Miles(s.DistanceMiles)} away. Next available: {(s.NextFreeDate is { } d ? Day(d) : "none")}.")).ToList();

    public async Task<IActionResult> OnGetAsync(CancellationToken cancellationToken)
    {
        if (Guard() is { } elsewhere)
        {
            return elsewhere;
        }

        Selected = Choice.SiteOdsCode ?? First?.SiteOdsCode;
        await FindAsync(cancellationToken);
        return Page();
    }

    public async Task<IActionResult> OnPostAsync([FromForm(Name = "site")] string? site, CancellationToken cancellationToken)
    {
        if (Guard() is { } elsewhere)
        {
            return elsewhere;
        }

        await FindAsync(cancellationToken);
        var chosen = Sites.FirstOrDefault(s => s.Site.OdsCode == site);
        if (chosen is null)
        {
            Errors.Add(Sites.Count > 0 ? "site" : "postcode", "Select a vaccination site");
            return Page();
        }

        var changed = Choice.SiteOdsCode != chosen.Site.OdsCode;
        Save(Journey.WithDose(Index, changed ? new DoseChoice { SiteOdsCode = chosen.Site.OdsCode } : Choice, dropLater: false));
        return RedirectToPage("/Book/Day", new { appointment = Appointment });
    }

    private async Task FindAsync(CancellationToken cancellationToken)
    {
        var window = Window()!.Value;
        var found = await findSites.HandleAsync(
            new FindSitesRequest(Journey.Postcode, Service, Limit: FindSites.MaxLimit, MaxMiles: MaxMiles, ProductCode: Product?.Code),
            cancellationToken);
        var sites = found.Succeeded ? found.Value!.Sites : [];
        if (window.From == Today)
        {
            Sites = sites.Where(s => s.NextFreeDate is { } d && d <= window.To).Take(Shown).ToList();
            Hint = $"These are the nearest sites to {Journey.Postcode} with free appointments.";
            return;
        }

        // Appointments from a later day (a later dose, or a dose not due yet): the first free day from then, which the site
        // list's "next free date" (from today) does not say.
        var inWindow = new List<NearbySite>();
        foreach (var site in sites)
        {
            var days = await availability.HandleAsync(new AvailabilityQuery(site.Site.OdsCode, window.From, window.To, Service), cancellationToken);
            if (days.Succeeded && days.Value!.Days.FirstOrDefault(d => d.Free > 0) is { } first)
            {
                inWindow.Add(site with { NextFreeDate = first.Date });
                if (inWindow.Count == Shown)
                {
                    break;
                }
            }
        }

        Sites = inWindow;
        Hint = Product is { } product
            ? $"Your second dose must be the same vaccine as your first ({product.ShortName}), between {Day(window.From)} and {Day(window.To)}. These sites have it."
            : $"These are the nearest sites to {Journey.Postcode} with free appointments from {Day(window.From)}.";
    }
}
