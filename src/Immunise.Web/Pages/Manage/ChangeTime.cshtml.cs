using System.Globalization;
using Immunise.Availability;
using Immunise.Booking;
using Immunise.Web.Pages.Book;
using Immunise.Web.Pages.Shared;
using Microsoft.AspNetCore.Mvc;

namespace Immunise.Web.Pages.Manage;

/// <summary>Moving an appointment, then the time: the free times on the new day; choosing one moves the booking (same reference).</summary>
public sealed class ChangeTimeModel(ManageStateStore store, GetBooking bookings, GetAvailability availability, RescheduleBooking reschedule)
    : ManagePage(store, bookings)
{
    public override string Title => "Choose a new time";

    public override string? BackLink => "/manage/change/day";

    public IReadOnlyList<AvailableSlot> Slots { get; private set; } = [];

    public string Hint => $"{Appointment.SiteName}, {(State.NewDay is { } d ? AppointmentStep.Day(d) : "")}.";

    public IReadOnlyList<RadioItem> Items => Slots.Select(s => new RadioItem(
        s.SlotId.ToString(CultureInfo.InvariantCulture), $"{AppointmentStep.Time(s.From)} to {AppointmentStep.Time(s.Until)}")).ToList();

    public async Task<IActionResult> OnGetAsync(CancellationToken cancellationToken)
    {
        if (await LoadAsync(mustBeActive: true, cancellationToken) is { } elsewhere)
        {
            return elsewhere;
        }

        if (State.NewDay is null)
        {
            return RedirectToPage("/Manage/ChangeDay");
        }

        await ReadAsync(cancellationToken);
        return Page();
    }

    public async Task<IActionResult> OnPostAsync([FromForm(Name = "slot")] string? slot, CancellationToken cancellationToken)
    {
        if (await LoadAsync(mustBeActive: true, cancellationToken) is { } elsewhere)
        {
            return elsewhere;
        }

        if (State.NewDay is null)
        {
            return RedirectToPage("/Manage/ChangeDay");
        }

        if (!long.TryParse(slot, NumberStyles.None, CultureInfo.InvariantCulture, out var slotId))
        {
            Errors.Add("slot", "Select a time");
            await ReadAsync(cancellationToken);
            return Page();
        }

        var moved = await reschedule.HandleAsync(new RescheduleBookingRequest(State.Reference, State.DateOfBirth, slotId), cancellationToken);
        if (!moved.Succeeded)
        {
            Errors.Add("slot", moved.Failure!.Code switch
            {
                "slot-full" or "slot-unavailable" or "slot-in-past" or "slot-not-found" => Book.TimeModel.TakenMessage,
                "breaks-next-dose-window" => "Your second dose would then be too soon or too late after this one. Choose an earlier time, or change your second dose first",
                _ => "Your appointment cannot be moved to this time: " + moved.Failure.Message.TrimEnd('.'),
            });
            await ReadAsync(cancellationToken);
            return Page();
        }

        Store.Write(HttpContext, State with
        {
            NewDay = null,
            Notice = $"Your appointment has been changed to {AppointmentStep.Day(moved.Value!.Date)} at {AppointmentStep.Time(moved.Value.StartTime)}.",
        });
        return RedirectToPage("/Manage/Appointment");
    }

    private async Task ReadAsync(CancellationToken cancellationToken)
    {
        var day = State.NewDay!.Value;
        var found = await availability.HandleAsync(new AvailabilityQuery(Appointment.SiteOdsCode, day, day, Appointment.Service), cancellationToken);
        Slots = found.Succeeded
            ? found.Value!.Days.SelectMany(d => d.Slots).Where(s => s.Free > 0 && s.SlotId != Appointment.SlotId).ToList()
            : [];
    }
}
