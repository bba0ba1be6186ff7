using Immunise.Booking;
using Microsoft.AspNetCore.Mvc;

namespace Immunise.Web.Pages.Book;

/// <summary>How the citizen wants to hear about their appointments: a UK mobile, an email address, or both (at least one).</summary>
public sealed class ContactModel(BookingJourneyStore store) : BookingPage(store)
{
    public override string Title => "How should we contact you?";

    public override string? BackLink => $"/book/appointment-{Journey.Doses.Count}/time";

    public string? Mobile { get; private set; }

    public string? Email { get; private set; }

    public IActionResult OnGet()
    {
        if (Load(BookingStage.Searched) is { } elsewhere)
        {
            return elsewhere;
        }

        (Mobile, Email) = (Journey.Mobile, Journey.Email);
        return Page();
    }

    public IActionResult OnPost([FromForm(Name = "mobile")] string? mobile, [FromForm(Name = "email")] string? email)
    {
        if (Load(BookingStage.Searched) is { } elsewhere)
        {
            return elsewhere;
        }

        (Mobile, Email) = (mobile, email);
        if (string.IsNullOrWhiteSpace(mobile) && string.IsNullOrWhiteSpace(email))
        {
            Errors.Add("mobile", "Enter a UK mobile phone number or an email address");
            return Page();
        }

        var contact = Booking.Contact.Validate(mobile, email);
        if (!contact.Succeeded)
        {
            if (contact.Failure!.Field == "email")
            {
                Errors.Add("email", "Enter an email address in the correct format, like name@example.com");
            }
            else
            {
                Errors.Add("mobile", "Enter a UK mobile phone number, like 07700 900123");
            }

            return Page();
        }

        Save(Journey with { Mobile = contact.Value!.Mobile, Email = contact.Value.Email, ContactGiven = true });
        return RedirectToPage("/Book/Check");
    }
}
