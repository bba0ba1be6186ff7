using Immunise.People;
using Immunise.Web.Pages.Shared;
using Microsoft.AspNetCore.Mvc;

namespace Immunise.Web.Pages.Book;

/// <summary>The citizen identifies themselves with their NHS number and date of birth, which must match the register.</summary>
public sealed class IdentifyModel(BookingJourneyStore store, GetPerson people, RegisterOptions register, JourneyEligibility eligibility, TimeProvider clock) : BookingPage(store)
{
    public override string Title => "Your NHS number and date of birth";

    public override string? BackLink => "/book/" + Programme.Slug;

    public string? NhsNumber { get; private set; }

    public DateInput DateOfBirth { get; private set; } = new(null, null, null);

    public IActionResult OnGet()
    {
        if (Load(BookingStage.Started) is { } elsewhere)
        {
            return elsewhere;
        }

        NhsNumber = Journey.TypedNhsNumber;
        DateOfBirth = DateInput.From(Journey.DateOfBirth);
        return Page();
    }

    public async Task<IActionResult> OnPostAsync(
        [FromForm(Name = "nhs-number")] string? nhsNumber,
        [FromForm(Name = "date-of-birth-day")] string? day,
        [FromForm(Name = "date-of-birth-month")] string? month,
        [FromForm(Name = "date-of-birth-year")] string? year,
        CancellationToken cancellationToken)
    {
        if (Load(BookingStage.Started) is { } elsewhere)
        {
            return elsewhere;
        }

        NhsNumber = nhsNumber;
        DateOfBirth = new DateInput(day, month, year);
        People.NhsNumber nhs = default;
        if (string.IsNullOrWhiteSpace(nhsNumber))
        {
            Errors.Add("nhs-number", "Enter your NHS number");
        }
        else if (!register.TryParseNhsNumber(nhsNumber, out nhs, out _))
        {
            Errors.Add("nhs-number", "Enter a valid NHS number, like 485 777 3456. It is 10 digits long");
        }

        var today = Records.London.Today(clock);
        if (!DateOfBirth.TryRead("date of birth", out var dateOfBirth, out var dateError))
        {
            Errors.Add("date-of-birth-day", dateError);
        }
        else if (dateOfBirth > today)
        {
            Errors.Add("date-of-birth-day", "Your date of birth must be in the past");
        }

        if (Errors.Any)
        {
            return Page();
        }

        var person = await people.HandleAsync(nhs, cancellationToken);
        if (person is null || person.DateOfBirth != dateOfBirth || person.DateOfDeath is not null)
        {
            Errors.Add("nhs-number", "We could not find anyone with this NHS number and date of birth. Check them, or find your record by your name and postcode instead");
            return Page();
        }

        var decision = await eligibility.DecideAsync(person, Programme, cancellationToken);
        Save(Journey with
        {
            NhsNumber = nhs.Value,
            TypedNhsNumber = nhsNumber,
            DateOfBirth = dateOfBirth,
            Eligibility = decision,
            Doses = [],
        });
        return RedirectToPage("/Book/Eligibility");
    }
}
