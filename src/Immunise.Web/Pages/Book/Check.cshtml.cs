using System.Globalization;
using Immunise.Booking;
using Immunise.People;
using Immunise.Records;
using Immunise.Sites;
using Immunise.Vaccines;
using Immunise.Web.WaitingRoom;
using Microsoft.AspNetCore.Mvc;

namespace Immunise.Web.Pages.Book;

/// <summary>
/// Check your answers, then confirm: each held appointment is confirmed in order (<see cref="ConfirmBooking"/> checks the hold
/// and eligibility again). A hold that lapsed sends the citizen back to choose that time again, saying why.
/// </summary>
public sealed class CheckModel(BookingJourneyStore store, ConfirmBooking confirm, GetSites sites, VaccineCatalogue catalogue, WaitingRoomDoor waitingRoom) : BookingPage(store)
{
    public sealed record Row(int Appointment, string Label, string When, string SiteName, string Address, string? Vaccine);

    public override string Title => Rows.Count == 1 ? "Check your appointment" : "Check your appointments";

    public override string? BackLink => "/book/contact";

    public IReadOnlyList<Row> Rows { get; private set; } = [];

    public string? NhsNumber => Journey.NhsNumber is { } n ? People.NhsNumber.FromStored(n).Display : null;

    /// <summary>When the first hold lapses, as a Europe/London time.</summary>
    public string? HeldUntil { get; private set; }

    public async Task<IActionResult> OnGetAsync(CancellationToken cancellationToken)
    {
        if (Guard() is { } elsewhere)
        {
            return elsewhere;
        }

        await ReadAsync(cancellationToken);
        return Page();
    }

    public async Task<IActionResult> OnPostAsync(CancellationToken cancellationToken)
    {
        if (Guard() is { } elsewhere)
        {
            return elsewhere;
        }

        var references = new List<string>();
        for (var i = 0; i < Journey.Eligibility!.Appointments; i++)
        {
            var choice = Journey.Doses[i];
            var confirmed = await confirm.HandleAsync(new ConfirmBookingRequest(choice.HoldId, Journey.Mobile, Journey.Email), cancellationToken);
            if (!confirmed.Succeeded)
            {
                var failure = confirmed.Failure!;
                if (failure.Code is "hold-expired" or "hold-not-found" or "slot-unavailable")
                {
                    // Keep the site and day; the time must be chosen (and held) again. A later appointment depends on this one.
                    Save(Journey.WithDose(i, choice with { SlotId = null, HoldId = null, Reference = null, HoldExpiresAt = null }, dropLater: i == 0 && references.Count == 0));
                    return RedirectToPage("/Book/Time", new { appointment = i + 1, reason = failure.Code == "slot-unavailable" ? "taken" : "expired" });
                }

                if (failure.Field is "mobile" or "email")
                {
                    return RedirectToPage("/Book/Contact");
                }

                Errors.Add($"change-appointment-{i + 1}", $"We could not book your {(Journey.Eligibility.Appointments == 2 ? (i == 0 ? "first" : "second") + " " : "")}appointment: {failure.Message.TrimEnd('.')}");
                Save(Journey.WithDose(i, choice with { SlotId = null, HoldId = null, Reference = null, HoldExpiresAt = null }, dropLater: i == 0));
                await ReadAsync(cancellationToken);
                return Page();
            }

            references.Add(confirmed.Value!.Reference);
        }

        Save(Journey with { Confirmed = references });
        await waitingRoom.FinishAsync(HttpContext); // a place in the queue is one turn
        return RedirectToPage("/Book/Confirmation");
    }

    private IActionResult? Guard()
    {
        if (Load(BookingStage.Searched) is { } elsewhere)
        {
            return elsewhere;
        }

        for (var i = 0; i < Journey.Eligibility!.Appointments; i++)
        {
            if (Journey.Dose(i) is not { HoldId: not null })
            {
                return RedirectToPage("/Book/Site", new { appointment = i + 1 });
            }
        }

        return Journey.ContactGiven ? null : RedirectToPage("/Book/Contact");
    }

    private async Task ReadAsync(CancellationToken cancellationToken)
    {
        var rows = new List<Row>();
        var count = Journey.Eligibility!.Appointments;
        for (var i = 0; i < count && i < Journey.Doses.Count; i++)
        {
            var choice = Journey.Doses[i];
            if (choice.HoldId is null)
            {
                continue;
            }

            var site = choice.SiteOdsCode is { } ods ? await sites.FindAsync(ods, cancellationToken) : null;
            var label = count == 2 ? (i == 0 ? "First appointment" : "Second appointment") : "Appointment";
            var when = $"{AppointmentStep.Day(choice.Day!.Value)} at {AppointmentStep.Time(choice.StartTime ?? "00:00")}";
            var vaccine = Programme.Slug == "covid-19" && choice.ProductCode is { } code ? catalogue.FindProduct(code)?.ShortName : null;
            rows.Add(new Row(i + 1, label, when, site?.Name ?? "", site is null ? "" : $"{site.Address}, {site.Postcode}", vaccine));
        }

        Rows = rows;
        var until = Journey.Doses.Where(d => d.HoldExpiresAt is not null).Select(d => d.HoldExpiresAt!.Value).DefaultIfEmpty().Min();
        HeldUntil = until == default ? null : TimeOnly.FromDateTime(TimeZoneInfo.ConvertTime(until, London.Zone).DateTime).ToString("h:mmtt", CultureInfo.InvariantCulture).ToLowerInvariant();
    }
}
