using System.Globalization;
using Immunise.Availability;
using Immunise.Booking;
using Immunise.People;
using Immunise.Sites;
using Immunise.Vaccines;
using Immunise.Web.Pages.Shared;
using Microsoft.AspNetCore.Mvc;

namespace Immunise.Web.Pages.Book;

/// <summary>
/// The free times on the chosen day. Choosing one holds a place for 5 minutes (<see cref="HoldSlot"/>); when someone else
/// took the last place in the meantime, the page says so and shows the times still free.
/// </summary>
public sealed class TimeModel(
    BookingJourneyStore store, GetAvailability availability, GetSites sites, HoldSlot hold, VaccineCatalogue catalogue, TimeProvider clock)
    : AppointmentStep(store, catalogue, clock)
{
    public const string TakenMessage = "Sorry, the time you chose has just been booked by someone else. Choose another time";
    public const string ExpiredMessage = "We held your appointment for 5 minutes and that time has passed. Choose a time again";

    public override string Title => Which == "appointment" ? "Choose a time" : $"Choose a time for your {Which}";

    public override string? BackLink => $"/book/appointment-{Appointment}/day";

    public IReadOnlyList<AvailableSlot> Slots { get; private set; } = [];

    public string SiteName { get; private set; } = "";

    public string? Selected { get; private set; }

    public string Hint => $"{SiteName}, {(Choice.Day is { } d ? Day(d) : "")}.";

    public IReadOnlyList<RadioItem> Items => Slots.Select(s => new RadioItem(
        s.SlotId.ToString(CultureInfo.InvariantCulture), $"{Time(s.From)} to {Time(s.Until)}")).ToList();

    /// <summary><paramref name="reason"/>: why the citizen was sent back here (<c>taken</c>, <c>expired</c>); not personal data.</summary>
    public async Task<IActionResult> OnGetAsync([FromQuery] string? reason, CancellationToken cancellationToken)
    {
        if (Guard() is { } elsewhere)
        {
            return elsewhere;
        }

        if (Choice.Day is null)
        {
            return RedirectToPage("/Book/Day", new { appointment = Appointment });
        }

        if (reason == "taken")
        {
            Errors.Add("slot", TakenMessage);
        }
        else if (reason == "expired")
        {
            Errors.Add("slot", ExpiredMessage);
        }

        Selected = Choice.SlotId?.ToString(CultureInfo.InvariantCulture);
        await ReadAsync(cancellationToken);
        return Page();
    }

    public async Task<IActionResult> OnPostAsync([FromForm(Name = "slot")] string? slot, CancellationToken cancellationToken)
    {
        if (Guard() is { } elsewhere)
        {
            return elsewhere;
        }

        if (Choice.Day is null)
        {
            return RedirectToPage("/Book/Day", new { appointment = Appointment });
        }

        if (!long.TryParse(slot, NumberStyles.None, CultureInfo.InvariantCulture, out var slotId))
        {
            Errors.Add("slot", "Select a time");
            await ReadAsync(cancellationToken);
            return Page();
        }

        var held = await hold.HandleAsync(
            new HoldSlotRequest(
                NhsNumber.FromStored(Journey.NhsNumber!), Journey.DateOfBirth!.Value, slotId, Service,
                ProductCode: Product?.Code, FirstDoseReference: First?.Reference),
            "citizen-web", cancellationToken);
        if (!held.Succeeded)
        {
            Errors.Add("slot", held.Failure!.Code switch
            {
                "slot-full" or "slot-unavailable" or "slot-in-past" or "slot-not-found" => TakenMessage,
                "already-booked" => "You already have an appointment for this dose. You can change or cancel it in Manage your appointments",
                "product-not-available" => "This site does not have the vaccine you need on this day. Choose a different site",
                _ => "You cannot book this time: " + held.Failure.Message.TrimEnd('.'),
            });
            await ReadAsync(cancellationToken);
            return Page();
        }

        var appointment = held.Value!;
        var choice = Choice with
        {
            SlotId = appointment.SlotId,
            HoldId = appointment.HoldId,
            Reference = appointment.Reference,
            ProductCode = appointment.ProductCode,
            StartTime = appointment.StartTime,
            Day = appointment.Date,
            HoldExpiresAt = appointment.HoldExpiresAt,
        };

        // A new first appointment starts a new course: a second appointment chosen against the old one is chosen again. Whether
        // there is a second follows from the vaccine held: the first dose of a two-dose primary course needs one.
        var journey = Journey.WithDose(Index, choice, dropLater: true);
        if (Index == 0 && Catalogue.FindProduct(appointment.ProductCode) is { } product)
        {
            var decision = journey.Eligibility!;
            journey = journey with { Eligibility = decision with { Appointments = decision.Primary && product.DosesInPrimaryCourse > decision.DoseNumber ? 2 : 1 } };
        }

        Save(journey);
        return Next();
    }

    private async Task ReadAsync(CancellationToken cancellationToken)
    {
        SiteName = (await sites.FindAsync(Choice.SiteOdsCode!, cancellationToken))?.Name ?? "";
        var day = Choice.Day!.Value;
        var found = await availability.HandleAsync(new AvailabilityQuery(Choice.SiteOdsCode, day, day, Service), cancellationToken);
        Slots = found.Succeeded ? found.Value!.Days.SelectMany(d => d.Slots).Where(s => s.Free > 0).ToList() : [];
    }
}
