using Immunise.Booking;
using Immunise.Web.Pages.Shared;
using Microsoft.AspNetCore.Mvc;

namespace Immunise.Web.Pages.Manage;

/// <summary>A page about the appointment being managed: reads it back (reference and date of birth) on every request.</summary>
public abstract class ManagePage(ManageStateStore store, GetBooking bookings) : FormPage
{
    protected ManageStateStore Store => store;

    protected GetBooking Bookings => bookings;

    public ManageState State { get; private set; } = new("", default);

    public Appointment Appointment { get; private set; } = null!;

    /// <summary>"first dose" for a course's first appointment, else the programme's name.</summary>
    public string Vaccination => Appointment.Programme switch
    {
        "COVID19" => "COVID-19",
        "FLU" => "Flu",
        var other => other,
    };

    /// <summary>Loads the appointment; null when found, else where to go (start again at /manage).</summary>
    protected async Task<IActionResult?> LoadAsync(bool mustBeActive, CancellationToken cancellationToken)
    {
        var state = store.Read(HttpContext);
        if (state is null)
        {
            return RedirectToPage("/Manage/Index");
        }

        var found = await bookings.ByReferenceAsync(state.Reference, state.DateOfBirth, cancellationToken);
        if (!found.Succeeded)
        {
            store.Clear(HttpContext);
            return RedirectToPage("/Manage/Index");
        }

        State = state;
        Appointment = found.Value!;
        return mustBeActive && Appointment.Status != BookingStatus.Booked ? RedirectToPage("/Manage/Appointment") : null;
    }
}
