using Immunise.Booking;
using Immunise.Web.Pages.Shared;
using Microsoft.AspNetCore.Mvc;

namespace Immunise.Web.Pages.Book;

/// <summary>The booking references, and each confirmed appointment read back from the booking service.</summary>
public sealed class ConfirmationModel(BookingJourneyStore store, GetBooking bookings) : FormPage
{
    public override string Title => "Booking complete";

    public IReadOnlyList<Appointment> Appointments { get; private set; } = [];

    public bool Contacted { get; private set; }

    public async Task<IActionResult> OnGetAsync(CancellationToken cancellationToken)
    {
        var journey = store.Read(HttpContext);
        if (journey is not { Confirmed.Count: > 0, DateOfBirth: { } dateOfBirth })
        {
            return RedirectToPage("/Book/Expired");
        }

        var appointments = new List<Appointment>();
        foreach (var reference in journey.Confirmed)
        {
            var found = await bookings.ByReferenceAsync(reference, dateOfBirth, cancellationToken);
            if (found.Succeeded)
            {
                appointments.Add(found.Value!);
            }
        }

        Appointments = appointments;
        Contacted = journey.Mobile is not null || journey.Email is not null;
        return Page();
    }
}
