using Immunise.People;
using Immunise.Records;
using Immunise.Web.Pages.Shared;
using Microsoft.AspNetCore.Mvc;

namespace Immunise.Web.Pages.Book;

/// <summary>The citizen who does not know their NHS number gives their name, date of birth and postcode, matched in the register.</summary>
public sealed class IdentifyByDetailsModel(BookingJourneyStore store, MatchPerson match, GetPerson people, JourneyEligibility eligibility, TimeProvider clock)
    : BookingPage(store)
{
    public const int MaxNameLength = 100;

    public override string Title => "Your name, date of birth and postcode";

    public override string? BackLink => "/book/identify";

    public string? GivenName { get; private set; }

    public string? FamilyName { get; private set; }

    public string? Postcode { get; private set; }

    public DateInput DateOfBirth { get; private set; } = new(null, null, null);

    public IActionResult OnGet() => Load(BookingStage.Started) ?? Page();

    public async Task<IActionResult> OnPostAsync(
        [FromForm(Name = "given-name")] string? givenName,
        [FromForm(Name = "family-name")] string? familyName,
        [FromForm(Name = "date-of-birth-day")] string? day,
        [FromForm(Name = "date-of-birth-month")] string? month,
        [FromForm(Name = "date-of-birth-year")] string? year,
        [FromForm(Name = "postcode")] string? postcode,
        CancellationToken cancellationToken)
    {
        if (Load(BookingStage.Started) is { } elsewhere)
        {
            return elsewhere;
        }

        (GivenName, FamilyName, Postcode, DateOfBirth) = (givenName, familyName, postcode, new DateInput(day, month, year));
        if (string.IsNullOrWhiteSpace(givenName))
        {
            Errors.Add("given-name", "Enter your first name");
        }
        else if (givenName.Trim().Length > MaxNameLength)
        {
            Errors.Add("given-name", $"First name must be {MaxNameLength} characters or fewer");
        }

        if (string.IsNullOrWhiteSpace(familyName))
        {
            Errors.Add("family-name", "Enter your last name");
        }
        else if (familyName.Trim().Length > MaxNameLength)
        {
            Errors.Add("family-name", $"Last name must be {MaxNameLength} characters or fewer");
        }

        if (!DateOfBirth.TryRead("date of birth", out var dateOfBirth, out var dateError))
        {
            Errors.Add("date-of-birth-day", dateError);
        }
        else if (dateOfBirth > London.Today(clock))
        {
            Errors.Add("date-of-birth-day", "Your date of birth must be in the past");
        }

        if (string.IsNullOrWhiteSpace(postcode))
        {
            Errors.Add("postcode", "Enter your postcode");
        }
        else if (!Geography.Postcode.TryNormalise(postcode, out _))
        {
            Errors.Add("postcode", "Enter a real postcode, like LS1 4AP");
        }

        if (Errors.Any)
        {
            return Page();
        }

        var nhs = await match.HandleAsync(new PersonDetails(givenName!, familyName!, dateOfBirth, postcode!), cancellationToken);
        var person = nhs is { } found ? await people.HandleAsync(found, cancellationToken) : null;
        if (person is null)
        {
            Errors.Add("given-name", "We could not find your record with these details. Check them, or use your NHS number instead");
            return Page();
        }

        var decision = await eligibility.DecideAsync(person, Programme, cancellationToken);
        Save(Journey with
        {
            NhsNumber = person.NhsNumber.Value,
            TypedNhsNumber = null,
            DateOfBirth = dateOfBirth,
            Eligibility = decision,
            Doses = [],
        });
        return RedirectToPage("/Book/Eligibility");
    }
}
