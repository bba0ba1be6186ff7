using System.Globalization;
using System.Text.RegularExpressions;
using Immunise.Common;
using Immunise.People;
using Immunise.Records;
using Immunise.Vaccines;

namespace Immunise.Eligibility;

/// <summary>
/// A bookable service as the National Booking Service names it: the condition before the colon (<c>COVID</c>, <c>FLU</c>,
/// <c>RSV</c>), then the cohort or age band (<c>18+</c>, <c>65+</c>, <c>Adult</c>), which this check does not interpret.
/// </summary>
public sealed partial record BookingService(string Name, string Condition, string Disease)
{
    /// <summary>NBS conditions and the register's target diseases.</summary>
    public static readonly IReadOnlyDictionary<string, string> Diseases = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["COVID"] = "COVID19",
        ["FLU"] = "FLU",
        ["RSV"] = "RSV",
    };

    public static bool TryParse(string? value, out BookingService service)
    {
        service = new BookingService("", "", "");
        var match = value is null ? Match.Empty : Pattern().Match(value.Trim());
        if (!match.Success || !Diseases.TryGetValue(match.Groups["condition"].Value.ToUpperInvariant(), out var disease))
        {
            return false;
        }

        var condition = match.Groups["condition"].Value.ToUpperInvariant();
        service = new BookingService($"{condition}:{match.Groups["band"].Value}", condition, disease);
        return true;
    }

    [GeneratedRegex("^(?<condition>[A-Za-z]{2,10}):(?<band>[A-Za-z0-9+-]{1,20})$")]
    private static partial Regex Pattern();
}

/// <summary>May <see cref="NhsNumber"/> book <see cref="Service"/> for an appointment on <see cref="Date"/> (Europe/London)?</summary>
public sealed record BookingCheckRequest(NhsNumber NhsNumber, BookingService Service, DateOnly Date);

/// <summary>The answer: allowed or not, a stable <see cref="Code"/> (see <see cref="BookingCheckCodes"/>) and why.</summary>
public sealed record BookingCheckResult(bool Allowed, string Code, string Message, DateOnly? EarliestDate = null, DoseNeeded? Dose = null);

/// <summary>The stable reason codes of a booking check.</summary>
public static class BookingCheckCodes
{
    public const string Allowed = "allowed";
    public const string PersonNotFound = "person-not-found";
    public const string Deceased = "deceased";
    public const string NotInOpenCohort = "not-in-open-cohort";
    public const string AlreadyBooked = "already-booked";
    public const string CourseComplete = "course-complete";
    public const string TooYoungForProduct = "too-young-for-product";
    public const string NoProductForAge = "no-product-for-age";
    public const string TooSoonAfterLastDose = "too-soon-after-last-dose";
    public const string TooLateForDose = "too-late-for-dose";
    public const string NotActionable = "not-actionable";
    public const string CampaignConfigError = "campaign-config-error";
}

/// <summary>What the decision needs, already read: the person's data (null: not in the register), their vaccination events, the
/// campaigns in force and today's date (Europe/London).</summary>
public sealed record BookingCheckFacts(PersonData? Person, IReadOnlyList<VaccinationEvent> History, IReadOnlyList<CampaignConfig> Campaigns, DateOnly Today);

/// <summary>
/// Answers "may this person book this service on this date, and if not, why": the eligibility engine on the appointment
/// date for the service's condition, then the person's next dose (<see cref="NextDose"/>) against the date. The decision
/// (<see cref="Decide"/>) is pure; <see cref="HandleAsync"/> reads what it needs from the register and the campaign store.
/// </summary>
public sealed class BookingCheck(RegisterPersonData people, CampaignStore store, VaccineCatalogue catalogue, TimeProvider clock)
{
    /// <summary>How far ahead an appointment may be checked.</summary>
    public const int MaximumDaysAhead = 366;

    public Task<BookingCheckResult> HandleAsync(BookingCheckRequest request, CancellationToken cancellationToken = default) =>
        HandleAsync(request, [], cancellationToken);

    /// <summary>
    /// The check, counting <paramref name="plannedDoses"/> (doses booked but not yet given, e.g. dose 1 of a course booked
    /// together with dose 2) as if given: the next dose, its product and window then follow from them.
    /// </summary>
    public async Task<BookingCheckResult> HandleAsync(BookingCheckRequest request, IReadOnlyList<VaccinationEvent> plannedDoses, CancellationToken cancellationToken = default)
    {
        var (person, events) = await people.WithHistoryAsync(request.NhsNumber, request.Service.Disease, cancellationToken);
        if (plannedDoses.Count > 0)
        {
            events = [.. events, .. plannedDoses];
        }

        var configuration = await store.CurrentAsync(cancellationToken);
        return Decide(request.Service, request.Date, new BookingCheckFacts(person, events, configuration.Campaigns, London.Today(clock)), catalogue);
    }

    /// <summary>Checks the inputs as given to the API: an NHS number, a service name and an ISO date, today or later.</summary>
    public static Result<BookingCheckRequest> Validate(string? nhsNumber, string? service, string? date, DateOnly today, RegisterOptions register)
    {
        if (!register.TryParseNhsNumber(nhsNumber, out var nhs, out var reason))
        {
            return Failure.Invalid("invalid-nhs-number", reason, "nhsNumber");
        }

        if (!BookingService.TryParse(service, out var parsed))
        {
            return Failure.Invalid("invalid-service", "The service must be a condition (COVID, FLU or RSV), a colon and a cohort, such as COVID:18+.", "service");
        }

        if (!DateOnly.TryParseExact(date, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day))
        {
            return Failure.Invalid("invalid-date", "The date must be a calendar date written yyyy-MM-dd.", "date");
        }

        if (day < today)
        {
            return Failure.Invalid("date-in-past", "The appointment date is before today.", "date");
        }

        if (day > today.AddDays(MaximumDaysAhead))
        {
            return Failure.Invalid("date-too-far-ahead", $"The appointment date is more than {MaximumDaysAhead} days ahead.", "date");
        }

        return new BookingCheckRequest(nhs, parsed, day);
    }

    /// <summary>The decision, first reason first (the order is documented in docs/eligibility.md). Pure.</summary>
    public static BookingCheckResult Decide(BookingService service, DateOnly date, BookingCheckFacts facts, VaccineCatalogue catalogue)
    {
        var row = facts.Person?.Person;
        if (facts.Person is null || row is null)
        {
            return No(BookingCheckCodes.PersonNotFound, "No person with this NHS number is in the register.");
        }

        if (!string.IsNullOrWhiteSpace(row["DATE_OF_DEATH"]))
        {
            return No(BookingCheckCodes.Deceased, "The register records that this person has died.");
        }

        var evaluated = EligibilityEngine.Evaluate(new EligibilityRequest(facts.Person, facts.Campaigns, date, service.Condition, IncludeActions: false));
        if (evaluated.Outcome != EligibilityOutcome.Decided)
        {
            return No(BookingCheckCodes.CampaignConfigError, evaluated.Error ?? "A campaign config could not be applied.");
        }

        var suggestion = evaluated.Response?.ProcessedSuggestions.FirstOrDefault(s => s.Condition == service.Condition);
        if (suggestion is null)
        {
            return No(BookingCheckCodes.NotInOpenCohort, $"No {service.Condition} campaign is open on {Iso(date)}.");
        }

        if (suggestion.Status == "NotEligible")
        {
            return No(BookingCheckCodes.NotInOpenCohort, $"The person is not in a cohort of the open {service.Condition} campaign on {Iso(date)}.");
        }

        var target = facts.Person.Row(RegisterPersonData.TargetRows[service.Disease]);
        if (ParseCompact(target?["BOOKED_APPOINTMENT_DATE"]) is { } booked && booked >= facts.Today)
        {
            return No(BookingCheckCodes.AlreadyBooked, $"The person already has a {service.Condition} appointment booked.");
        }

        var disease = catalogue.FindDisease(service.Disease)
            ?? throw new InvalidOperationException($"The catalogue has no disease {service.Disease}.");
        var dateOfBirth = ParseCompact(row["DATE_OF_BIRTH"]) ?? DateOnly.MinValue;
        var next = NextDose.For(dateOfBirth, disease, facts.History, catalogue, date);
        switch (next.Status)
        {
            case NextDoseStatus.CourseComplete:
                return No(BookingCheckCodes.CourseComplete, $"The person has completed their {disease.Display} course; no further dose is offered.");
            case NextDoseStatus.TooYoung:
                return No(BookingCheckCodes.TooYoungForProduct, $"The person is too young for every {disease.Display} vaccine until {Iso(next.Dose!.Window.Earliest)}.", next.Dose.Window.Earliest, next.Dose);
            case NextDoseStatus.NoProductForAge:
                return No(BookingCheckCodes.NoProductForAge, $"No {disease.Display} vaccine in the catalogue is licensed for the person's age.");
        }

        var dose = next.Dose!;
        if (date < dose.Window.Earliest)
        {
            return No(
                BookingCheckCodes.TooSoonAfterLastDose,
                $"Dose {dose.Number} can be given from {Iso(dose.Window.Earliest)}, after the last dose on {Iso(next.LastDoseOn ?? dose.Window.Earliest)}.",
                dose.Window.Earliest, dose);
        }

        if (dose.Window.Latest is { } latest && date > latest)
        {
            return No(BookingCheckCodes.TooLateForDose, $"Dose {dose.Number} should have been given by {Iso(latest)}.", dose.Window.Earliest, dose);
        }

        if (suggestion.Status == "NotActionable")
        {
            var reasons = string.Join(" ", suggestion.SuitabilityRules.Select(r => r.RuleText).Where(t => t.Length > 0));
            return No(BookingCheckCodes.NotActionable, reasons.Length > 0 ? reasons : $"The person cannot be offered {service.Condition} vaccination now.", null, dose);
        }

        return new BookingCheckResult(true, BookingCheckCodes.Allowed, $"The person may book dose {dose.Number} on {Iso(date)}.", dose.Window.Earliest, dose);
    }

    private static BookingCheckResult No(string code, string message, DateOnly? earliest = null, DoseNeeded? dose = null) =>
        new(false, code, message, earliest, dose);

    private static string Iso(DateOnly day) => day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    private static DateOnly? ParseCompact(string? value) =>
        DateOnly.TryParseExact(value?.Trim(), "yyyyMMdd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day) ? day : null;
}
