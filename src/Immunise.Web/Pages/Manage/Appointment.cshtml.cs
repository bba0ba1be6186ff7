using Immunise.Booking;
using Microsoft.AspNetCore.Mvc;

namespace Immunise.Web.Pages.Manage;

/// <summary>One appointment: when, where, its status, and links to change or cancel it while it is booked and in the future.</summary>
public sealed class AppointmentModel(ManageStateStore store, GetBooking bookings, TimeProvider clock) : ManagePage(store, bookings)
{
    public override string Title => "Your appointment";

    public override string? BackLink => "/manage";

    public string? Notice { get; private set; }

    public bool CanChange => Appointment.Status == BookingStatus.Booked && Appointment.StartsAt > clock.GetUtcNow();

    public string Status => Appointment.Status switch
    {
        BookingStatus.Booked => "Booked",
        BookingStatus.Cancelled => "Cancelled",
        BookingStatus.Held => "Not confirmed",
        BookingStatus.CheckedIn => "Checked in",
        BookingStatus.Vaccinated => "Vaccinated",
        BookingStatus.NotVaccinated => "Attended, not vaccinated",
        BookingStatus.DidNotAttend => "Missed",
        _ => "Not booked",
    };

    public async Task<IActionResult> OnGetAsync(CancellationToken cancellationToken)
    {
        if (await LoadAsync(mustBeActive: false, cancellationToken) is { } elsewhere)
        {
            return elsewhere;
        }

        if (State.Notice is { } notice)
        {
            Notice = notice;
            Store.Write(HttpContext, State with { Notice = null, NewDay = null });
        }

        return Page();
    }
}
