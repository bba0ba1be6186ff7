using System.Globalization;
using System.Text;
using Immunise.Eligibility;
using Immunise.People;
using Immunise.Records;
using Immunise.Vaccines;

namespace Immunise.Tests.Eligibility;

public sealed class BookingCheckTests
{
    private static readonly VaccineCatalogue s_catalogue = VaccineCatalogue.Default;
    private static readonly NhsNumber s_nhs = NhsNumber.Parse("9434765919");
    private static readonly DateOnly s_today = new(2026, 11, 20);
    private static readonly DateOnly s_aged80 = new(1946, 3, 1);
    private const string Comirnaty = "39115611000001103";
    private const string Vaxzevria = "39114911000001105";
    private const string FluCellBased = "43207411000001105";
    private const string Abrysvo = "42605811000001109";

    [Fact]
    public void Decide_PersonNotInRegister_PersonNotFound()
    {
        var result = Decide("COVID:18+", s_today, new BookingCheckFacts(null, [], [Campaign("COVID")], s_today));

        Assert.Equal((false, BookingCheckCodes.PersonNotFound), (result.Allowed, result.Code));
    }

    [Fact]
    public void Decide_DateOfDeathRecorded_Deceased()
    {
        var person = Person(s_aged80, died: new DateOnly(2026, 10, 1));

        var result = Decide("COVID:18+", s_today, Facts(person, [], Campaign("COVID")));

        Assert.Equal((false, BookingCheckCodes.Deceased), (result.Allowed, result.Code));
    }

    [Fact]
    public void Decide_NoCampaignForTheCondition_NotInOpenCohort()
    {
        var result = Decide("COVID:18+", s_today, Facts(Person(s_aged80), [], Campaign("FLU")));

        Assert.Equal((false, BookingCheckCodes.NotInOpenCohort), (result.Allowed, result.Code));
    }

    [Fact]
    public void Decide_CampaignEndsBeforeTheAppointment_NotInOpenCohort()
    {
        var result = Decide("COVID:18+", new DateOnly(2028, 1, 3), Facts(Person(s_aged80), [], Campaign("COVID")));

        Assert.Equal(BookingCheckCodes.NotInOpenCohort, result.Code);
    }

    [Fact]
    public void Decide_YoungerThanTheCohortAge_NotInOpenCohort()
    {
        var result = Decide("COVID:18+", s_today, Facts(Person(new DateOnly(1970, 1, 1)), [], Campaign("COVID", minimumAge: 75)));

        Assert.Equal(BookingCheckCodes.NotInOpenCohort, result.Code);
    }

    [Fact]
    public void Decide_NotInTheCampaignsCohort_NotInOpenCohort()
    {
        var result = Decide("COVID:18+", s_today, Facts(Person(s_aged80, cohort: "risk_asthma"), [], Campaign("COVID")));

        Assert.Equal(BookingCheckCodes.NotInOpenCohort, result.Code);
    }

    [Fact]
    public void Decide_AppointmentBookedTodayOrLater_AlreadyBooked_EarlierBookingDoesNot()
    {
        var bookedToday = Person(s_aged80, target: ("COVID", "BOOKED_APPOINTMENT_DATE", "20261120"));
        var bookedLastMonth = Person(s_aged80, target: ("COVID", "BOOKED_APPOINTMENT_DATE", "20261020"));

        var today = Decide("COVID:18+", s_today.AddDays(3), Facts(bookedToday, [], Campaign("COVID")));
        var lastMonth = Decide("COVID:18+", s_today.AddDays(3), Facts(bookedLastMonth, [], Campaign("COVID")));

        Assert.Equal((false, BookingCheckCodes.AlreadyBooked), (today.Allowed, today.Code));
        Assert.Equal((true, BookingCheckCodes.Allowed), (lastMonth.Allowed, lastMonth.Code));
    }

    [Fact]
    public void Decide_RsvDoseAlreadyGiven_CourseComplete()
    {
        var history = new[] { Event(Abrysvo, new DateOnly(2025, 9, 1)) };

        var result = Decide("RSV:Adult", s_today, Facts(Person(s_aged80), history, Campaign("RSV")));

        Assert.Equal((false, BookingCheckCodes.CourseComplete), (result.Allowed, result.Code));
    }

    [Fact]
    public void Decide_Aged17ForRsv_TooYoungForProduct_UntilTheir18thBirthday()
    {
        var result = Decide("RSV:Adult", s_today, Facts(Person(new DateOnly(2009, 2, 1)), [], Campaign("RSV", minimumAge: null)));

        Assert.Equal((false, BookingCheckCodes.TooYoungForProduct), (result.Allowed, result.Code));
        Assert.Equal(new DateOnly(2027, 2, 1), result.EarliestDate);
        Assert.Contains("2027-02-01", result.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Decide_NoProductLicensedForTheAge_NoProductForAge()
    {
        var catalogue = ChildrenOnlyCatalogue();

        var result = BookingCheck.Decide(Service("COVID:18+"), s_today, Facts(Person(s_aged80), [], Campaign("COVID")), catalogue);

        Assert.Equal((false, BookingCheckCodes.NoProductForAge), (result.Allowed, result.Code));
    }

    [Fact]
    public void Decide_ComirnatySecondDoseBefore21Days_TooSoonWithTheEarliestDate()
    {
        var history = new[] { Event(Comirnaty, new DateOnly(2026, 11, 10)) };

        var tooSoon = Decide("COVID:18+", new DateOnly(2026, 11, 30), Facts(Person(s_aged80), history, Campaign("COVID")));
        var onTheDay = Decide("COVID:18+", new DateOnly(2026, 12, 1), Facts(Person(s_aged80), history, Campaign("COVID")));

        Assert.Equal((false, BookingCheckCodes.TooSoonAfterLastDose), (tooSoon.Allowed, tooSoon.Code));
        Assert.Equal(new DateOnly(2026, 12, 1), tooSoon.EarliestDate);
        Assert.Equal((2, DoseKind.Primary), (tooSoon.Dose!.Number, tooSoon.Dose.Kind));
        Assert.Equal([Comirnaty], tooSoon.Dose.Products.Select(p => p.Code));
        Assert.Equal((true, BookingCheckCodes.Allowed), (onTheDay.Allowed, onTheDay.Code));
        Assert.Equal(2, onTheDay.Dose!.Number);
    }

    [Fact]
    public void Decide_VaxzevriaSecondDoseAfter12Weeks_TooLateForDose()
    {
        var history = new[] { Event(Vaxzevria, new DateOnly(2026, 8, 20)) }; // latest 12 November

        var result = Decide("COVID:18+", s_today, Facts(Person(s_aged80), history, Campaign("COVID")));

        Assert.Equal((false, BookingCheckCodes.TooLateForDose), (result.Allowed, result.Code));
        Assert.Equal(new DateOnly(2026, 11, 12), result.Dose!.Window.Latest);
    }

    [Fact]
    public void Decide_BoosterDueButCampaignSuppressesRecentVaccination_NotActionable()
    {
        // Booster allowed from 91 days; the campaign suppresses anyone vaccinated in the last 182 days.
        var history = new[] { Event(Comirnaty, new DateOnly(2025, 6, 1)), Event(Comirnaty, new DateOnly(2026, 7, 1)) };
        var person = Person(s_aged80, target: ("COVID", "LAST_SUCCESSFUL_DATE", "20260701"));

        var result = Decide("COVID:18+", s_today, Facts(person, history, Campaign("COVID", suppressWithinDays: 182)));

        Assert.Equal((false, BookingCheckCodes.NotActionable), (result.Allowed, result.Code));
        Assert.Contains("Vaccinated in the last 182 days", result.Message, StringComparison.Ordinal);
        Assert.Equal(3, result.Dose!.Number);
    }

    [Fact]
    public void Decide_InCohortAndDoseDue_AllowedWithTheDose()
    {
        var history = new[] { Event(Comirnaty, new DateOnly(2021, 1, 10)), Event(Comirnaty, new DateOnly(2021, 3, 7)) };

        var result = Decide("COVID:18+", s_today.AddDays(7), Facts(Person(s_aged80), history, Campaign("COVID", suppressWithinDays: 91)));

        Assert.Equal((true, BookingCheckCodes.Allowed), (result.Allowed, result.Code));
        Assert.Equal((3, DoseKind.Booster), (result.Dose!.Number, result.Dose.Kind));
    }

    [Fact]
    public void Decide_FluAlreadyGivenThisSeason_TooSoonUntilNextSeason()
    {
        var history = new[] { Event(FluCellBased, new DateOnly(2026, 10, 5)) };

        var result = Decide("FLU:65+", s_today, Facts(Person(s_aged80), history, Campaign("FLU")));

        Assert.Equal((false, BookingCheckCodes.TooSoonAfterLastDose), (result.Allowed, result.Code));
        Assert.Equal(new DateOnly(2027, 9, 1), result.EarliestDate);
    }

    [Fact]
    public void Decide_CampaignConfigCannotBeApplied_CampaignConfigError()
    {
        var json = CampaignJson("COVID").Replace("\"Care home residents\"", "\"Residents [[PERSON.NO_SUCH_ATTRIBUTE]]\"", StringComparison.Ordinal);

        var result = Decide("COVID:18+", s_today, Facts(Person(s_aged80), [], CampaignConfigLoader.Parse(json, "test.json")));

        Assert.Equal((false, BookingCheckCodes.CampaignConfigError), (result.Allowed, result.Code));
    }

    [Theory]
    [InlineData("COVID:18+", "COVID", "COVID19")]
    [InlineData("flu:65+", "FLU", "FLU")]
    [InlineData(" RSV:Adult ", "RSV", "RSV")]
    [InlineData("COVID:12-17", "COVID", "COVID19")]
    public void BookingService_NbsNames_Parse(string name, string condition, string disease)
    {
        Assert.True(BookingService.TryParse(name, out var service));

        Assert.Equal((condition, disease), (service.Condition, service.Disease));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("COVID")]
    [InlineData("MMR:1+")]
    [InlineData("COVID:18+;DROP")]
    [InlineData("COVID:")]
    public void BookingService_OtherNames_AreRefused(string? name)
    {
        Assert.False(BookingService.TryParse(name, out _));
    }

    [Theory]
    [InlineData("9434765918", "COVID:18+", "2026-11-21", "invalid-nhs-number")]
    [InlineData("9434765919", "HPV:Teen", "2026-11-21", "invalid-service")]
    [InlineData("9434765919", "COVID:18+", "21/11/2026", "invalid-date")]
    [InlineData("9434765919", "COVID:18+", "2026-11-19", "date-in-past")]
    [InlineData("9434765919", "COVID:18+", "2027-11-22", "date-too-far-ahead")]
    public void Validate_BadInput_FailsWithStableCode(string nhs, string service, string date, string code)
    {
        var result = BookingCheck.Validate(nhs, service, date, s_today, new RegisterOptions());

        Assert.Equal(code, result.Failure?.Code);
    }

    [Fact]
    public void Validate_GoodInput_ParsesTheRequest()
    {
        var result = BookingCheck.Validate("943 476 5919", "COVID:18+", "2026-11-20", s_today, new RegisterOptions());

        Assert.Equal(new BookingCheckRequest(s_nhs, Service("COVID:18+"), s_today), result.Value);
    }

    private static BookingCheckResult Decide(string service, DateOnly date, BookingCheckFacts facts) =>
        BookingCheck.Decide(Service(service), date, facts, s_catalogue);

    private static BookingService Service(string name) =>
        BookingService.TryParse(name, out var service) ? service : throw new ArgumentException(name);

    private static BookingCheckFacts Facts(PersonData? person, IReadOnlyList<VaccinationEvent> history, CampaignConfig campaign) =>
        new(person, history, [campaign], s_today);

    private static PersonData Person(DateOnly dateOfBirth, DateOnly? died = null, string cohort = "care_home", (string Type, string Name, string Value)? target = null)
    {
        var person = new Dictionary<string, string?>
        {
            ["NHS_NUMBER"] = s_nhs.Value,
            ["DATE_OF_BIRTH"] = dateOfBirth.ToString("yyyyMMdd", CultureInfo.InvariantCulture),
        };
        if (died is { } death)
        {
            person["DATE_OF_DEATH"] = death.ToString("yyyyMMdd", CultureInfo.InvariantCulture);
        }

        var rows = new List<PersonDataRow>
        {
            new("PERSON", person, []),
            new("COHORTS", new Dictionary<string, string?>(), [new CohortMembership(cohort, null)]),
        };
        if (target is { } t)
        {
            rows.Add(new PersonDataRow(t.Type, new Dictionary<string, string?> { [t.Name] = t.Value }, []));
        }

        return new PersonData(rows);
    }

    private static VaccinationEvent Event(string product, DateOnly day)
    {
        var at = new DateTimeOffset(day.ToDateTime(new TimeOnly(10, 0)), TimeSpan.Zero);
        return new VaccinationEvent(
            Guid.NewGuid().ToString(), s_nhs, s_catalogue.DiseaseOf(s_catalogue.FindProduct(product)!).Target, product, 0, at, "B87008",
            null, null, null, null, null, true, VaccinationStatus.Completed, at, "test");
    }

    private static CampaignConfig Campaign(string target, int? minimumAge = 75, int? suppressWithinDays = null) =>
        CampaignConfigLoader.Parse(CampaignJson(target, minimumAge, suppressWithinDays), "test.json");

    /// <summary>
    /// A small campaign of our own for <paramref name="target"/> in 2026–27: the <c>care_home</c> cohort, filtered to those
    /// aged <paramref name="minimumAge"/> or over, suppressed within <paramref name="suppressWithinDays"/> of a dose.
    /// </summary>
    internal static string CampaignJson(string target, int? minimumAge = 75, int? suppressWithinDays = null)
    {
        var rules = new List<string>();
        if (minimumAge is { } age)
        {
            rules.Add($$"""
                { "Type": "F", "Name": "Under {{age}}", "Description": "Aged under {{age}}", "Priority": 10, "AttributeLevel": "PERSON",
                  "AttributeName": "DATE_OF_BIRTH", "Operator": "Y>", "Comparator": "-{{age}}" }
                """);
        }

        if (suppressWithinDays is { } days)
        {
            rules.Add($$"""
                { "Type": "S", "Name": "Recently vaccinated", "Description": "Vaccinated in the last {{days}} days", "Priority": 20,
                  "AttributeLevel": "TARGET", "AttributeTarget": "{{target}}", "AttributeName": "LAST_SUCCESSFUL_DATE", "Operator": "D>", "Comparator": "-{{days}}" }
                """);
        }

        var id = $"IMMUNISE_TEST_BOOKING_{target}";
        return new StringBuilder().Append($$"""
            {
              "CampaignConfig": {
                "ID": "{{id}}", "Version": 1, "Name": "Booking check test", "Type": "V", "Target": "{{target}}",
                "Manager": ["test"], "Approver": ["test"], "Reviewer": ["test"],
                "IterationFrequency": "X", "IterationType": "A", "IterationTime": "07:00:00",
                "DefaultCommsRouting": "BOOK", "StartDate": "20260101", "EndDate": "20271231",
                "ApprovalMinimum": 0, "ApprovalMaximum": 0,
                "Iterations": [{
                  "ID": "{{id}}_1", "Version": 1, "Name": "Booking check test", "Type": "A",
                  "DefaultCommsRouting": "BOOK", "DefaultNotEligibleRouting": "NONE", "DefaultNotActionableRouting": "NONE",
                  "IterationDate": "20260101", "IterationNumber": 1, "ApprovalMinimum": 0, "ApprovalMaximum": 0,
                  "IterationCohorts": [
                    { "CohortLabel": "care_home", "CohortGroup": "care_home", "Priority": 0,
                      "PositiveDescription": "Care home residents", "NegativeDescription": "Not a care home resident" }
                  ],
                  "IterationRules": [{{string.Join(",", rules)}}],
                  "ActionsMapper": {
                    "BOOK": { "ExternalRoutingCode": "BookNBS", "ActionDescription": "Book", "ActionType": "ButtonWithAuthLink", "UrlLink": "https://www.nhs.uk/book", "UrlLabel": "Book" },
                    "NONE": { "ExternalRoutingCode": "None", "ActionDescription": "", "ActionType": "InfoText" }
                  }
                }]
              }
            }
            """).ToString();
    }

    private static VaccineCatalogue ChildrenOnlyCatalogue()
    {
        const string json =
            """
            {
              "diseases": [ { "target": "COVID19", "snomedCode": "840539006", "display": "COVID-19", "doseNumbering": "cumulative",
                "procedures": [ { "dose": 1, "code": "1324681000000101", "display": "first dose" } ] } ],
              "products": [ { "code": "40384611000001108", "name": "Children 5-11", "shortName": "Children 5-11", "manufacturer": "Pfizer Ltd",
                "target": "COVID19", "minimumAgeMonths": 60, "maximumAgeMonths": 143, "dosesInPrimaryCourse": 2, "minimumIntervalDays": 56,
                "doseVolumeMl": 0.2 } ],
              "routes": [], "bodySites": []
            }
            """;
        using var stream = new MemoryStream(Encoding.UTF8.GetBytes(json));
        return VaccineCatalogue.Load(stream);
    }
}
