using Immunise.Web.Pages.Shared;
using Microsoft.AspNetCore.Mvc;

namespace Immunise.Web.Pages.Book;

/// <summary>How far a citizen must have got for a page to make sense.</summary>
public enum BookingStage
{
    Started,
    Identified,
    Eligible,
    Searched,
}

/// <summary>
/// A step of the booking journey: reads the journey from its cookie and sends the citizen back to where they should be
/// when they arrive at a step out of order (a bookmark, the browser's back button after the cookie lapsed).
/// </summary>
public abstract class BookingPage(BookingJourneyStore store) : FormPage
{
    protected BookingJourneyStore Store => store;

    public BookingJourney Journey { get; protected set; } = new();

    public Programmes.Programme Programme => Programmes.Find(Journey.Programme) ?? Programmes.All[0];

    /// <summary>Loads the journey; answers null when it has reached <paramref name="stage"/>, else where to go instead.</summary>
    protected IActionResult? Load(BookingStage stage)
    {
        var journey = store.Read(HttpContext);
        if (journey is null || Programmes.Find(journey.Programme) is null)
        {
            return RedirectToPage("/Book/Expired");
        }

        Journey = journey;
        if (journey.Confirmed.Count > 0)
        {
            return RedirectToPage("/Book/Confirmation");
        }

        if (stage >= BookingStage.Identified && journey.NhsNumber is null)
        {
            return RedirectToPage("/Book/Identify");
        }

        if (stage >= BookingStage.Eligible && journey.Eligibility is not { Eligible: true })
        {
            return RedirectToPage("/Book/Eligibility");
        }

        if (stage >= BookingStage.Searched && journey.Postcode is null)
        {
            return RedirectToPage("/Book/Postcode");
        }

        return null;
    }

    protected void Save(BookingJourney journey)
    {
        Journey = journey;
        store.Write(HttpContext, journey);
    }
}
