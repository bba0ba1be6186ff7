using System.Globalization;
using Immunise.Booking;
using Immunise.Eligibility;
using Immunise.People;
using Immunise.Records;
using Immunise.Vaccines;

namespace Immunise.Web.Pages.Book;

/// <summary>
/// Decides, for the journey, whether a person may book a programme and says why in plain English: the booking check (the
/// eligibility engine on the day, then the dose the person needs and its window) for the service that suits their age,
/// and the eligibility engine's own cohort descriptions ("you are aged 65 or over …") as the reason.
/// </summary>
public sealed class JourneyEligibility(BookingCheck check, RegisterPersonData personData, CampaignStore campaigns, TimeProvider clock)
{
    /// <summary>How far ahead the journey offers appointments.</summary>
    public const int BookingHorizonDays = 84;

    public async Task<EligibilityDecision> DecideAsync(Person person, Programmes.Programme programme, CancellationToken cancellationToken)
    {
        var today = London.Today(clock);
        var reasons = await CohortReasonsAsync(person.NhsNumber, programme, today, cancellationToken);
        var service = ServiceSuitability.ServicesFor(person.DateOfBirth, today, programme.Target).FirstOrDefault();
        if (service is null || !BookingService.TryParse(service.Service, out var bookingService))
        {
            return new EligibilityDecision(false, "no-service-for-age", [$"There is no {programme.LowerName} vaccination you can book online for your age."], null, 0, 0, null, null);
        }

        var result = await check.HandleAsync(new BookingCheckRequest(person.NhsNumber, bookingService, today), cancellationToken);
        if (!result.Allowed && result.Code is BookingCheckCodes.TooSoonAfterLastDose or BookingCheckCodes.TooYoungForProduct
            && result.EarliestDate is { } earliest && earliest <= today.AddDays(BookingHorizonDays))
        {
            // Not today, but within the weeks we offer: check again on the first day it is allowed.
            var later = await check.HandleAsync(new BookingCheckRequest(person.NhsNumber, bookingService, earliest), cancellationToken);
            if (later.Allowed)
            {
                result = later;
            }
        }

        if (!result.Allowed)
        {
            return new EligibilityDecision(false, result.Code, ExplainRefusal(result, programme, reasons), service.Service, 0, 0, result.EarliestDate, null);
        }

        var dose = result.Dose!;
        var appointments = dose.Kind == DoseKind.Primary && dose.Products.Count > 0 && dose.Products.All(p => p.DosesInPrimaryCourse > dose.Number) ? 2 : 1;
        var from = dose.Window.Earliest > today ? dose.Window.Earliest : today;
        return new EligibilityDecision(true, result.Code, reasons.Positive, service.Service, dose.Number, appointments, from, dose.Window.Latest, dose.Kind == DoseKind.Primary);
    }

    private sealed record Reasons(IReadOnlyList<string> Positive, IReadOnlyList<string> Negative, IReadOnlyList<string> Suitability);

    /// <summary>The engine's cohort texts for the person today, as "you …" phrases.</summary>
    private async Task<Reasons> CohortReasonsAsync(NhsNumber nhs, Programmes.Programme programme, DateOnly today, CancellationToken cancellationToken)
    {
        var person = await personData.ForAsync(nhs, cancellationToken);
        if (person is null)
        {
            return new Reasons([], [], []);
        }

        var configuration = await campaigns.CurrentAsync(cancellationToken);
        var evaluated = EligibilityEngine.Evaluate(new EligibilityRequest(person, configuration.Campaigns, today, programme.Condition, IncludeActions: false));
        var suggestion = evaluated.Response?.ProcessedSuggestions.FirstOrDefault(s => s.Condition == programme.Condition);
        if (suggestion is null)
        {
            return new Reasons([], [], []);
        }

        var cohorts = suggestion.EligibilityCohorts.Select(c => c.CohortText).Where(t => t.Length > 0).ToList();
        var suitability = suggestion.SuitabilityRules.Select(r => PlainText(r.RuleText)).Where(t => t.Length > 0).ToList();
        return suggestion.Status == "NotEligible" ? new Reasons([], cohorts, suitability) : new Reasons(cohorts, [], suitability);
    }

    private static IReadOnlyList<string> ExplainRefusal(BookingCheckResult result, Programmes.Programme programme, Reasons reasons)
    {
        var name = programme.LowerName;
        return result.Code switch
        {
            BookingCheckCodes.NotInOpenCohort when reasons.Negative.Count > 0 =>
                [$"The NHS is not offering you a {name} vaccination at the moment. It is offered to people who are in certain groups, and our records show that you:", .. reasons.Negative],
            BookingCheckCodes.NotInOpenCohort => [$"{programme.Name} vaccinations are not being offered to you at the moment."],
            BookingCheckCodes.AlreadyBooked => [$"You already have a {name} vaccination appointment booked. You can see, change or cancel it in Manage your appointments."],
            BookingCheckCodes.CourseComplete => [$"Our records show you have had all the doses of {name} vaccine you need."],
            BookingCheckCodes.TooYoungForProduct when result.EarliestDate is { } from => [$"You are not old enough for a {name} vaccine yet. You can book from {Day(from)}."],
            BookingCheckCodes.NoProductForAge => [$"There is no {name} vaccine for your age that you can book online."],
            BookingCheckCodes.TooSoonAfterLastDose when result.EarliestDate is { } from => [$"It is too soon after your last dose. You can book your next dose from {Day(from)}."],
            BookingCheckCodes.TooLateForDose => [$"It is too long since your last dose to book the next one online. Speak to your GP surgery."],
            BookingCheckCodes.NotActionable when reasons.Suitability.Count > 0 => reasons.Suitability,
            BookingCheckCodes.NotActionable => [$"You cannot book a {name} vaccination at the moment."],
            BookingCheckCodes.Deceased or BookingCheckCodes.PersonNotFound => ["We cannot book a vaccination with these details. Contact your GP surgery."],
            _ => [$"You cannot book a {name} vaccination online at the moment. Contact your GP surgery."],
        };
    }

    /// <summary>A campaign's text (Markdown) as plain sentences: headings' marks and line breaks removed.</summary>
    private static string PlainText(string markdown) => string.Join(" ", markdown
        .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
        .Select(line => line.TrimStart('#', ' ').Trim())
        .Where(line => line.Length > 0));

    public static string Day(DateOnly day) => day.ToString("dddd d MMMM yyyy", CultureInfo.GetCultureInfo("en-GB"));
}
