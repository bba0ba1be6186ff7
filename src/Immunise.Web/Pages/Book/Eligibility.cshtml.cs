using Immunise.Records;
using Microsoft.AspNetCore.Mvc;

namespace Immunise.Web.Pages.Book;

/// <summary>Whether the citizen can book, and why (or why not), from the decision made when they identified themselves.</summary>
public sealed class EligibilityModel(BookingJourneyStore store, TimeProvider clock) : BookingPage(store)
{
    public override string Title => Journey.Eligibility is { Eligible: true }
        ? $"You can book a {Programme.LowerName} vaccination"
        : $"You cannot book a {Programme.LowerName} vaccination";

    public override string? BackLink => "/book/identify";

    public DateOnly Today => London.Today(clock);

    public IActionResult OnGet()
    {
        if (Load(BookingStage.Identified) is { } elsewhere)
        {
            return elsewhere;
        }

        return Journey.Eligibility is null ? RedirectToPage("/Book/Identify") : Page();
    }

    public IActionResult OnPost() => Load(BookingStage.Eligible) ?? RedirectToPage("/Book/Postcode");
}
