using System.Globalization;
using Immunise.Availability;
using Immunise.Sites;
using Immunise.Vaccines;
using Immunise.Web.Pages.Shared;
using Microsoft.AspNetCore.Mvc;

namespace Immunise.Web.Pages.Book;

/// <summary>The days at the chosen site with a free place for the service, inside the appointment's window.</summary>
public sealed class DayModel(BookingJourneyStore store, GetAvailability availability, GetSites sites, VaccineCatalogue catalogue, TimeProvider clock)
    : AppointmentStep(store, catalogue, clock)
{
    public override string Title => Which == "appointment" ? "Choose a day" : $"Choose a day for your {Which}";

    public override string? BackLink => $"/book/appointment-{Appointment}/site";

    public IReadOnlyList<AvailableDay> Days { get; private set; } = [];

    public string SiteName { get; private set; } = "";

    public string? Selected { get; private set; }

    public string Hint => $"At {SiteName}. The number of free times is shown for each day.";

    public IReadOnlyList<RadioItem> Items => Days.Select(d => new RadioItem(
        d.Date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
        Day(d.Date),
        d.Free == 1 ? "1 time free" : $"{d.Free.ToString(CultureInfo.InvariantCulture)} times free")).ToList();

    public async Task<IActionResult> OnGetAsync(CancellationToken cancellationToken)
    {
        if (Guard() is { } elsewhere)
        {
            return elsewhere;
        }

        if (Choice.SiteOdsCode is null)
        {
            return RedirectToPage("/Book/Site", new { appointment = Appointment });
        }

        Selected = Choice.Day?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        await ReadAsync(cancellationToken);
        return Page();
    }

    public async Task<IActionResult> OnPostAsync([FromForm(Name = "day")] string? day, CancellationToken cancellationToken)
    {
        if (Guard() is { } elsewhere)
        {
            return elsewhere;
        }

        if (Choice.SiteOdsCode is null)
        {
            return RedirectToPage("/Book/Site", new { appointment = Appointment });
        }

        await ReadAsync(cancellationToken);
        if (!DateOnly.TryParseExact(day, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date) || Days.All(d => d.Date != date))
        {
            Errors.Add("day", "Select a day");
            return Page();
        }

        // A new day keeps the place held until a new time is held (choosing a time replaces the hold).
        Save(Journey.WithDose(Index, Choice with { Day = date }, dropLater: false));
        return RedirectToPage("/Book/Time", new { appointment = Appointment });
    }

    private async Task ReadAsync(CancellationToken cancellationToken)
    {
        var window = Window()!.Value;
        SiteName = (await sites.FindAsync(Choice.SiteOdsCode!, cancellationToken))?.Name ?? "";
        var found = await availability.HandleAsync(new AvailabilityQuery(Choice.SiteOdsCode, window.From, window.To, Service), cancellationToken);
        Days = found.Succeeded ? found.Value!.Days.Where(d => d.Free > 0).ToList() : [];
    }
}
