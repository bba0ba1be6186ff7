using Immunise.Sites;
using Immunise.Storage;
using Microsoft.AspNetCore.Mvc;

namespace Immunise.Web.Pages.Book;

/// <summary>Where to search from: a postcode the postcode directory knows (or whose district it knows).</summary>
public sealed class PostcodeModel(BookingJourneyStore store, Database database) : BookingPage(store)
{
    public override string Title => "What postcode do you want to search from?";

    public override string? BackLink => "/book/eligibility";

    public string? Postcode { get; private set; }

    public IActionResult OnGet()
    {
        if (Load(BookingStage.Eligible) is { } elsewhere)
        {
            return elsewhere;
        }

        Postcode = Journey.Postcode;
        return Page();
    }

    public async Task<IActionResult> OnPostAsync([FromForm(Name = "postcode")] string? postcode, CancellationToken cancellationToken)
    {
        if (Load(BookingStage.Eligible) is { } elsewhere)
        {
            return elsewhere;
        }

        Postcode = postcode;
        if (string.IsNullOrWhiteSpace(postcode))
        {
            Errors.Add("postcode", "Enter a postcode");
            return Page();
        }

        if (!Geography.Postcode.TryNormalise(postcode, out var canonical))
        {
            Errors.Add("postcode", "Enter a real postcode, like LS1 4AP");
            return Page();
        }

        await using (var connection = await database.OpenAsync(cancellationToken))
        {
            if (await PostcodeLocation.FindAsync(connection, null, canonical, cancellationToken) is null)
            {
                Errors.Add("postcode", "We do not know where this postcode is. Check it, or enter a postcode near it");
                return Page();
            }
        }

        Save(Journey with { Postcode = canonical });
        return RedirectToPage("/Book/Site", new { appointment = 1 });
    }
}
