using Immunise.Web.Pages.Shared;
using Microsoft.AspNetCore.Mvc;

namespace Immunise.Web.Pages.Book;

/// <summary>The start page of booking one programme (<c>/book/covid-19</c>, <c>/book/flu</c>): starting begins a new journey.</summary>
public sealed class StartModel(BookingJourneyStore store) : FormPage
{
    [FromRoute]
    public string Programme { get; set; } = "";

    public Programmes.Programme Chosen => Programmes.Find(Programme) ?? Programmes.All[0];

    public override string Title => $"Book a {Chosen.LowerName} vaccination";

    public override string? BackLink => "/book";

    public void OnGet()
    {
    }

    public IActionResult OnPost()
    {
        store.Write(HttpContext, new BookingJourney { Programme = Chosen.Slug });
        return RedirectToPage("/Book/Identify");
    }
}
