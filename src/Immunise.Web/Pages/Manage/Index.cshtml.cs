using Immunise.Booking;
using Immunise.Web.Pages.Shared;
using Microsoft.AspNetCore.Mvc;

namespace Immunise.Web.Pages.Manage;

/// <summary>Manage your appointments: the citizen finds an appointment by its reference and their date of birth.</summary>
public sealed class IndexModel(ManageStateStore store, GetBooking bookings) : FormPage
{
    public override string Title => "Manage your appointments";

    public override string? BackLink => "/book";

    public string? Reference { get; private set; }

    public DateInput DateOfBirth { get; private set; } = new(null, null, null);

    public void OnGet()
    {
    }

    public async Task<IActionResult> OnPostAsync(
        [FromForm(Name = "reference")] string? reference,
        [FromForm(Name = "date-of-birth-day")] string? day,
        [FromForm(Name = "date-of-birth-month")] string? month,
        [FromForm(Name = "date-of-birth-year")] string? year,
        CancellationToken cancellationToken)
    {
        Reference = reference;
        DateOfBirth = new DateInput(day, month, year);
        var canonical = "";
        if (string.IsNullOrWhiteSpace(reference))
        {
            Errors.Add("reference", "Enter your booking reference");
        }
        else if (!BookingReference.TryParse(reference, out canonical))
        {
            Errors.Add("reference", "Enter your booking reference as it is on your confirmation: 8 letters and numbers, like KX7T3PNA");
        }

        if (!DateOfBirth.TryRead("date of birth", out var dateOfBirth, out var dateError))
        {
            Errors.Add("date-of-birth-day", dateError);
        }

        if (Errors.Any)
        {
            return Page();
        }

        var found = await bookings.ByReferenceAsync(canonical, dateOfBirth, cancellationToken);
        if (!found.Succeeded)
        {
            Errors.Add("reference", "We could not find an appointment with this booking reference and date of birth. Check them and try again");
            return Page();
        }

        store.Write(HttpContext, new ManageState(found.Value!.Reference, dateOfBirth));
        return RedirectToPage("/Manage/Appointment");
    }
}
