using System.Text.Json;
using System.Text.Json.Nodes;
using Dapper;
using Immunise.Eligibility;
using Immunise.People;
using Immunise.Seeding;
using Immunise.Storage;
using Immunise.Tests.Infrastructure;
using Immunise.Tests.Web;
using Microsoft.Extensions.DependencyInjection;

namespace Immunise.Tests.Eligibility;

public sealed class ShippedCampaignTests
{
    private static readonly IReadOnlyList<CampaignConfig> s_campaigns =
        ShippedCampaigns.Files().Select(f => CampaignConfigLoader.Parse(f.Json, f.Source)).ToList();

    private static readonly DateOnly s_phase1Reference = new(2021, 3, 31);
    private static readonly DateOnly s_phase2Reference = new(2021, 7, 1);

    private static PersonData Person(
        DateOnly dateOfBirth, string[]? cohorts = null, bool careHome = false, DateOnly? lastCovid = null, DateOnly? lastFlu = null)
    {
        var rows = new JsonArray
        {
            new JsonObject
            {
                ["ATTRIBUTE_TYPE"] = "PERSON",
                ["NHS_NUMBER"] = "9990000018",
                ["DATE_OF_BIRTH"] = dateOfBirth.ToString("yyyyMMdd"),
                ["CARE_HOME_FLAG"] = careHome ? "Y" : "N",
            },
            new JsonObject
            {
                ["ATTRIBUTE_TYPE"] = "COHORTS",
                ["COHORT_MEMBERSHIPS"] = new JsonArray((cohorts ?? []).Select(c => (JsonNode)new JsonObject { ["COHORT_LABEL"] = c }).ToArray()),
            },
        };
        if (lastCovid is { } covid)
        {
            rows.Add(new JsonObject { ["ATTRIBUTE_TYPE"] = "COVID", ["LAST_SUCCESSFUL_DATE"] = covid.ToString("yyyyMMdd") });
        }

        if (lastFlu is { } flu)
        {
            rows.Add(new JsonObject { ["ATTRIBUTE_TYPE"] = "FLU", ["LAST_SUCCESSFUL_DATE"] = flu.ToString("yyyyMMdd") });
        }

        return PersonData.FromJson(JsonSerializer.SerializeToElement(rows));
    }

    private static ProcessedSuggestion? Decide(PersonData person, DateOnly today, string condition)
    {
        var result = EligibilityEngine.Evaluate(new EligibilityRequest(person, s_campaigns, today, Conditions: condition));
        Assert.Equal(EligibilityOutcome.Decided, result.Outcome);
        return result.Response!.ProcessedSuggestions.SingleOrDefault();
    }

    /// <summary>The status and the one cohort code shown (null when none or several are shown).</summary>
    private static (string Status, string? Cohort) Covid(PersonData person, DateOnly today)
    {
        var decision = Decide(person, today, "COVID");
        if (decision is null)
        {
            return ("NoCampaign", null);
        }

        return (decision.Status, decision.Status == "NotEligible" ? null : decision.EligibilityCohorts.Select(c => c.CohortCode).SingleOrDefault());
    }

    private static IReadOnlyList<string> Codes(ProcessedSuggestion decision) => decision.EligibilityCohorts.Select(c => c.CohortCode).ToList();

    [Fact]
    public void ShippedCampaigns_EveryFile_ParsesWithItsOwnIdAndTarget()
    {
        var files = ShippedCampaigns.Files();

        Assert.Equal(
            ["covid-2020-21.campaign.json", "covid-autumn-2026.campaign.json", "covid-spring-2026.campaign.json", "flu-2025-26.campaign.json", "flu-2026-27.campaign.json"],
            files.Select(f => f.Source));
        var configs = files.Select(f => CampaignConfigLoader.Parse(f.Json, f.Source)).ToList();
        Assert.Equal(
            ["IMMUNISE_COVID_2020_21/COVID", "IMMUNISE_COVID_AUTUMN_2026/COVID", "IMMUNISE_COVID_SPRING_2026/COVID", "IMMUNISE_FLU_2025_26/FLU", "IMMUNISE_FLU_2026_27/FLU"],
            configs.Select(CampaignStore.StoredId));
        Assert.All(configs.SelectMany(c => c.Iterations), i => Assert.Equal("/book/" + (i.Id.StartsWith("flu", StringComparison.Ordinal) ? "flu" : "covid-19"), i.ActionsMapper["BOOK"].UrlLink));
    }

    [Fact]
    public void Covid2020_Aged80OnReferenceDate_IsGroup2FromTheFirstDay_79IsGroup3FromItsOpening()
    {
        var eighty = Person(new DateOnly(1941, 3, 31));
        var seventyNine = Person(new DateOnly(1941, 4, 1));

        Assert.Equal(("Actionable", "covid_jcvi_group_2"), Covid(eighty, new DateOnly(2020, 12, 8)));
        Assert.Equal(("NotEligible", null), Covid(seventyNine, new DateOnly(2020, 12, 8)));
        Assert.Equal(("NotEligible", null), Covid(seventyNine, new DateOnly(2021, 1, 17)));
        Assert.Equal(("Actionable", "covid_jcvi_group_3"), Covid(seventyNine, new DateOnly(2021, 1, 18)));
        Assert.Equal(("Actionable", "covid_jcvi_group_2"), Covid(eighty, new DateOnly(2021, 3, 20)));
        Assert.Null(Decide(eighty, new DateOnly(2020, 12, 7), "COVID"));
    }

    [Fact]
    public void Covid2020_EachGroupBoundary_GivesTheHighestGroupOnlyFromItsOpeningDate()
    {
        var cases = new (PersonData Person, string Group, DateOnly Opens)[]
        {
            (Person(new DateOnly(1930, 1, 1), ["care_home"], careHome: true), "covid_jcvi_group_1", new(2020, 12, 8)),
            (Person(new DateOnly(1990, 1, 1), ["occupation_care_home_worker"]), "covid_jcvi_group_1", new(2020, 12, 8)),
            (Person(new DateOnly(1985, 1, 1), ["occupation_frontline_health_worker", "risk_diabetes"]), "covid_jcvi_group_2", new(2020, 12, 8)),
            (Person(new DateOnly(1946, 3, 31)), "covid_jcvi_group_3", new(2021, 1, 18)),
            (Person(new DateOnly(1946, 4, 1)), "covid_jcvi_group_4", new(2021, 1, 18)),
            (Person(new DateOnly(1951, 4, 1), ["risk_clinically_extremely_vulnerable"]), "covid_jcvi_group_4", new(2021, 1, 18)),
            (Person(new DateOnly(1980, 1, 1), ["risk_clinically_extremely_vulnerable", "risk_pregnancy"]), "covid_jcvi_group_6", new(2021, 2, 15)),
            (Person(new DateOnly(1951, 4, 1)), "covid_jcvi_group_5", new(2021, 2, 15)),
            (Person(new DateOnly(2005, 3, 31), ["risk_chronic_heart"]), "covid_jcvi_group_6", new(2021, 2, 15)),
            (Person(new DateOnly(1975, 6, 1), ["occupation_unpaid_carer"]), "covid_jcvi_group_6", new(2021, 2, 15)),
            (Person(new DateOnly(1961, 3, 31)), "covid_jcvi_group_7", new(2021, 3, 1)),
            (Person(new DateOnly(1966, 3, 31)), "covid_jcvi_group_8", new(2021, 3, 6)),
            (Person(new DateOnly(1971, 3, 31)), "covid_jcvi_group_9", new(2021, 3, 17)),
            (Person(new DateOnly(1971, 4, 1)), "covid_phase2_45_49", new(2021, 4, 13)), // 49 on 31 March, 50 on 1 July
            (Person(new DateOnly(1976, 7, 1)), "covid_phase2_45_49", new(2021, 4, 13)),
            (Person(new DateOnly(1976, 7, 2)), "covid_phase2_40_44", new(2021, 4, 30)),
            (Person(new DateOnly(2003, 7, 1)), "covid_phase2_18_24", new(2021, 6, 18)),
        };

        foreach (var (person, group, opens) in cases)
        {
            Assert.Equal(("Actionable", group), Covid(person, opens));
            Assert.NotEqual(group, Covid(person, opens.AddDays(-1)).Cohort);
        }
    }

    [Fact]
    public void Covid2020_NotCoveredOrAlreadyVaccinated_IsNotEligibleOrNotActionable()
    {
        var cevChild = Person(new DateOnly(2006, 1, 1), ["risk_clinically_extremely_vulnerable"]);
        var turns18Late = Person(new DateOnly(2003, 7, 2));
        var vaccinated = Person(new DateOnly(1935, 1, 1), lastCovid: new DateOnly(2020, 12, 20));

        Assert.Equal(("NotEligible", null), Covid(cevChild, new DateOnly(2021, 6, 30)));
        Assert.Equal(("NotEligible", null), Covid(turns18Late, new DateOnly(2021, 6, 30)));
        var decision = Decide(vaccinated, new DateOnly(2021, 1, 5), "COVID")!;
        Assert.Equal("NotActionable", decision.Status);
        Assert.Equal(["covid_jcvi_group_2"], Codes(decision));
        Assert.Contains("20 December 2020", Assert.Single(decision.SuitabilityRules).RuleText, StringComparison.Ordinal);
        Assert.Equal("AlreadyVaccinatedInfo", Assert.Single(decision.Actions!).ActionCode);
    }

    [Fact]
    public void CovidSpring2026_TurningSeventyFiveByThirtyJune_IsEligible_VaccinatedSixtyDaysAgo_IsNotActionable()
    {
        var today = new DateOnly(2026, 4, 15);

        var turns75 = Decide(Person(new DateOnly(1951, 6, 30)), today, "COVID")!;
        var turns75Later = Decide(Person(new DateOnly(1951, 7, 1)), today, "COVID")!;
        var recentlyVaccinated = Decide(Person(new DateOnly(1940, 1, 1), lastCovid: today.AddDays(-60)), today, "COVID")!;
        var vaccinated91DaysAgo = Decide(Person(new DateOnly(1940, 1, 1), lastCovid: today.AddDays(-91)), today, "COVID")!;

        Assert.Equal("Actionable", turns75.Status);
        Assert.Equal(["covid_spring_2026_75_plus"], Codes(turns75));
        Assert.Equal("/book/covid-19", Assert.Single(turns75.Actions!).UrlLink);
        Assert.Equal("NotEligible", turns75Later.Status);
        Assert.Equal("NotActionable", recentlyVaccinated.Status);
        Assert.Equal("TooClose", Assert.Single(recentlyVaccinated.SuitabilityRules).RuleCode);
        Assert.Equal("Actionable", vaccinated91DaysAgo.Status);
    }

    [Fact]
    public void CovidSpring2026_CareHomeAndImmunosuppressed_AreEligible_BabiesUnderSixMonthsAreNot()
    {
        var today = new DateOnly(2026, 5, 1);

        var careHome = Decide(Person(new DateOnly(1960, 1, 1), ["care_home"], careHome: true), today, "COVID")!;
        var immunosuppressedChild = Decide(Person(new DateOnly(2025, 10, 1), ["risk_immunosuppression"]), today, "COVID")!;
        var immunosuppressedBaby = Decide(Person(new DateOnly(2026, 1, 1), ["risk_immunosuppression"]), today, "COVID")!;

        Assert.Equal("Actionable", careHome.Status);
        Assert.Equal(["care_home"], Codes(careHome));
        Assert.Equal("CareSettingInfo", Assert.Single(careHome.Actions!).ActionCode);
        Assert.Equal("Actionable", immunosuppressedChild.Status);
        Assert.Equal("NotEligible", immunosuppressedBaby.Status);
        Assert.Null(Decide(Person(new DateOnly(1940, 1, 1)), new DateOnly(2026, 7, 1), "COVID"));
    }

    [Fact]
    public void Flu2026_SixtyFiveByThirtyFirstMarch2027_IsEligibleFromOctober2026()
    {
        var turns65 = Person(new DateOnly(1962, 3, 31));
        var turns65Later = Person(new DateOnly(1962, 4, 1));

        Assert.Equal("NotEligible", Decide(turns65, new DateOnly(2026, 9, 30), "FLU")!.Status);
        var november = Decide(turns65, new DateOnly(2026, 11, 23), "FLU")!;
        Assert.Equal("Actionable", november.Status);
        Assert.Equal(["flu_2026_27_65_plus"], Codes(november));
        Assert.Equal("NotEligible", Decide(turns65Later, new DateOnly(2026, 11, 23), "FLU")!.Status);
    }

    [Fact]
    public void CovidAutumn2026_SeventyFiveByThirtyFirstJanuary2027_IsEligibleFromOctober2026()
    {
        var turns75 = Person(new DateOnly(1952, 1, 31));
        var turns75Later = Person(new DateOnly(1952, 2, 1));

        var november = Decide(turns75, new DateOnly(2026, 11, 23), "COVID")!;
        Assert.Equal("Actionable", november.Status);
        Assert.Equal(["covid_autumn_2026_75_plus"], Codes(november));
        Assert.Equal("NotEligible", Decide(turns75Later, new DateOnly(2026, 11, 23), "COVID")!.Status);
    }

    [Fact]
    public void Flu2025_SixtyFiveByThirtyFirstMarch_IsEligibleFromOctober()
    {
        var turns65 = Person(new DateOnly(1961, 3, 31));
        var turns65Later = Person(new DateOnly(1961, 4, 1));

        Assert.Equal("NotEligible", Decide(turns65, new DateOnly(2025, 9, 30), "FLU")!.Status);
        var october = Decide(turns65, new DateOnly(2025, 10, 1), "FLU")!;
        Assert.Equal("Actionable", october.Status);
        Assert.Equal(["flu_2025_26_65_plus"], Codes(october));
        Assert.Equal("/book/flu", Assert.Single(october.Actions!).UrlLink);
        Assert.Equal("NotEligible", Decide(turns65Later, new DateOnly(2025, 10, 1), "FLU")!.Status);
    }

    [Fact]
    public void Flu2025_ChildAgedTwoOnThirtyFirstAugust_IsEligibleFromSeptember()
    {
        var two = Decide(Person(new DateOnly(2023, 8, 31)), new DateOnly(2025, 9, 1), "FLU")!;
        var one = Decide(Person(new DateOnly(2023, 9, 1)), new DateOnly(2025, 9, 1), "FLU")!;
        var three = Decide(Person(new DateOnly(2021, 9, 1)), new DateOnly(2025, 9, 1), "FLU")!;
        var four = Decide(Person(new DateOnly(2021, 8, 31)), new DateOnly(2025, 9, 1), "FLU")!;

        Assert.Equal("Actionable", two.Status);
        Assert.Equal(["flu_2025_26_age_2_3"], Codes(two));
        Assert.Equal("NotEligible", one.Status);
        Assert.Equal(["flu_2025_26_age_2_3"], Codes(three));
        Assert.Equal(["flu_2025_26_school_age"], Codes(four));
    }

    [Fact]
    public void Flu2025_AtRiskAdult_IsEligibleFromOctober_UntilVaccinatedThisSeason()
    {
        var diabetic = Person(new DateOnly(1985, 5, 5), ["risk_diabetes"]);
        var vaccinated = Person(new DateOnly(1985, 5, 5), ["risk_diabetes"], lastFlu: new DateOnly(2025, 10, 2));
        var vaccinatedLastSeason = Person(new DateOnly(1985, 5, 5), ["risk_diabetes"], lastFlu: new DateOnly(2024, 10, 2));
        var pregnant = Person(new DateOnly(1995, 5, 5), ["risk_pregnancy"]);

        Assert.Equal("NotEligible", Decide(diabetic, new DateOnly(2025, 9, 30), "FLU")!.Status);
        var october = Decide(diabetic, new DateOnly(2025, 10, 1), "FLU")!;
        Assert.Equal("Actionable", october.Status);
        Assert.Equal(["flu_2025_26_at_risk_adults"], Codes(october));
        Assert.Equal("NotActionable", Decide(vaccinated, new DateOnly(2025, 10, 20), "FLU")!.Status);
        Assert.Equal("Actionable", Decide(vaccinatedLastSeason, new DateOnly(2025, 10, 20), "FLU")!.Status);
        Assert.Equal(["risk_pregnancy"], Codes(Decide(pregnant, new DateOnly(2025, 9, 1), "FLU")!));
    }

    // ---- The JCVI 2020/21 campaign against the published priority groups, on a seeded population ----

    /// <summary>Age in whole years on a day.</summary>
    private static int AgeOn(DateOnly dateOfBirth, DateOnly day)
    {
        var age = day.Year - dateOfBirth.Year;
        return dateOfBirth.AddYears(age) > day ? age - 1 : age;
    }

    /// <summary>
    /// JCVI's priority groups of 30 December 2020 (age on 31 March 2021), then phase 2 (age on 1 July 2021), written
    /// plainly from the published list: the person's highest group, if it has opened by <paramref name="day"/>.
    /// </summary>
    private static string? JcviGroup(RegisterFacts p, DateOnly day)
    {
        if (p.DateOfDeath is not null)
        {
            return null;
        }

        var age = AgeOn(p.DateOfBirth, s_phase1Reference);
        var ageInJuly = AgeOn(p.DateOfBirth, s_phase2Reference);
        bool Risk(string code) => p.Risks.Contains(code);
        bool Works(string code) => p.Occupations.Contains(code);
        var underlyingCondition = p.Risks.Any(r => r != "PREGNANCY") || Works("UNPAID_CARER");

        (string Group, DateOnly Opens)? highest =
            p.CareHome || Works("CARE_HOME_WORKER") ? ("covid_jcvi_group_1", new(2020, 12, 8))
            : age >= 80 || Works("FRONTLINE_HEALTH_WORKER") || Works("FRONTLINE_SOCIAL_CARE_WORKER") ? ("covid_jcvi_group_2", new(2020, 12, 8))
            : age >= 75 ? ("covid_jcvi_group_3", new(2021, 1, 18))
            : age >= 70 || (Risk("CLINICALLY_EXTREMELY_VULNERABLE") && age >= 16 && !Risk("PREGNANCY")) ? ("covid_jcvi_group_4", new(2021, 1, 18))
            : age >= 65 ? ("covid_jcvi_group_5", new(2021, 2, 15))
            : age >= 16 && underlyingCondition ? ("covid_jcvi_group_6", new(2021, 2, 15))
            : age >= 60 ? ("covid_jcvi_group_7", new(2021, 3, 1))
            : age >= 55 ? ("covid_jcvi_group_8", new(2021, 3, 6))
            : age >= 50 ? ("covid_jcvi_group_9", new(2021, 3, 17))
            : ageInJuly >= 45 ? ("covid_phase2_45_49", new(2021, 4, 13))
            : ageInJuly >= 40 ? ("covid_phase2_40_44", new(2021, 4, 30))
            : ageInJuly >= 38 ? ("covid_phase2_38_39", new(2021, 5, 13))
            : ageInJuly >= 30 ? ("covid_phase2_30_37", new(2021, 5, 25))
            : ageInJuly >= 25 ? ("covid_phase2_25_29", new(2021, 6, 8))
            : ageInJuly >= 18 ? ("covid_phase2_18_24", new(2021, 6, 18))
            : null;
        return highest is { } h && h.Opens <= day ? h.Group : null;
    }

    private sealed record RegisterFacts(
        string NhsNumber, DateOnly DateOfBirth, bool CareHome, IReadOnlySet<string> Risks, IReadOnlySet<string> Occupations,
        DateOnly? DateOfDeath, bool HadCovidDose);

    private sealed class PersonRow
    {
        public string NhsNumber { get; set; } = "";
        public DateOnly DateOfBirth { get; set; }
        public bool CareHomeResident { get; set; }
        public string? ClinicalRiskGroups { get; set; }
        public string? Occupations { get; set; }
        public DateOnly? DateOfDeath { get; set; }
    }

    [Theory, ClassData(typeof(BothDatabases))]
    public async Task Covid2020_OnASeededPopulation_ShowsEachPersonThePublishedPriorityGroup(DatabaseProvider provider)
    {
        // A population as it stood in March 2021: ages, clinical risk groups, care homes, occupations and COVID doses to date.
        await using var db = await TestDatabase.CreateAsync(provider);
        var seededOn = new DateTimeOffset(2021, 3, 20, 12, 0, 0, TimeSpan.Zero);
        await new SeedPopulation(db.Database, new FixedClock(seededOn)).SeedAsync(2_000, 2021);
        List<RegisterFacts> people;
        await using (var connection = await db.Database.OpenAsync())
        {
            var vaccinated = (await connection.QueryAsync<string>(
                "SELECT DISTINCT nhs_number FROM vaccination_events WHERE target_disease = 'COVID19' AND status = 'completed'")).ToHashSet();
            people = (await connection.QueryAsync<PersonRow>(
                    "SELECT nhs_number, date_of_birth, care_home_resident, clinical_risk_groups, occupations, date_of_death FROM people ORDER BY nhs_number"))
                .Select(r => new RegisterFacts(
                    r.NhsNumber, r.DateOfBirth, r.CareHomeResident, PersonCodes.Split(r.ClinicalRiskGroups).ToHashSet(),
                    PersonCodes.Split(r.Occupations).ToHashSet(), r.DateOfDeath, vaccinated.Contains(r.NhsNumber)))
                .ToList();
        }

        var register = new RegisterPersonData(db.Database);
        var phase1Open = new DateOnly(2021, 3, 20);
        var allOpen = new DateOnly(2021, 6, 20);
        var shown = new Dictionary<string, int>();

        foreach (var person in people)
        {
            var data = await register.ForAsync(NhsNumber.Parse(person.NhsNumber));
            Assert.NotNull(data);
            foreach (var day in new[] { phase1Open, allOpen })
            {
                var expected = JcviGroup(person, day);
                var (status, cohort) = Covid(data, day);

                var expectedStatus = expected is null ? "NotEligible" : person.HadCovidDose ? "NotActionable" : "Actionable";
                Assert.True((expectedStatus, expected) == (status, cohort),
                    $"{person.NhsNumber} (born {person.DateOfBirth}, care home {person.CareHome}, risks {string.Join('|', person.Risks)}, "
                    + $"occupations {string.Join('|', person.Occupations)}) on {day}: expected {expectedStatus} {expected}, engine said {status} {cohort}");
                shown[cohort ?? "none"] = shown.GetValueOrDefault(cohort ?? "none") + 1;
            }
        }

        Assert.Equal(2_000, people.Count);

        // The population reaches every group, so a group whose rules were wrong would have been caught.
        foreach (var group in Enumerable.Range(1, 9).Select(g => $"covid_jcvi_group_{g}").Append("covid_phase2_30_37").Append("covid_phase2_18_24"))
        {
            Assert.True(shown.GetValueOrDefault(group) > 0, $"no one was shown {group}: {string.Join(", ", shown)}");
        }
    }

    // ---- Start-up ----

    [Theory, ClassData(typeof(BothDatabases))]
    public async Task StartUp_LoadsTheShippedCampaignsOnce_ASecondStartAddsNoVersion(DatabaseProvider provider)
    {
        await using var db = await TestDatabase.CreateAsync(provider);
        var settings = new Dictionary<string, string> { ["Eligibility:LoadShippedCampaigns"] = "true" };

        IReadOnlyList<StoredConfig> afterFirst;
        await using (var first = ImmuniseApp.StartOver(db, settings))
        {
            afterFirst = await first.Services.GetRequiredService<CampaignStore>().ListAsync();
        }

        await using var second = ImmuniseApp.StartOver(db, settings);
        var afterSecond = await second.Services.GetRequiredService<CampaignStore>().ListAsync();
        var current = await second.Services.GetRequiredService<CampaignStore>().CurrentAsync();

        Assert.Equal(
            ["IMMUNISE_COVID_2020_21/COVID", "IMMUNISE_COVID_AUTUMN_2026/COVID", "IMMUNISE_COVID_SPRING_2026/COVID", "IMMUNISE_FLU_2025_26/FLU", "IMMUNISE_FLU_2026_27/FLU"],
            afterFirst.Select(c => c.Id));
        Assert.All(afterFirst, c => Assert.Equal((1, ShippedCampaigns.LoadedBy), (c.Version, c.LoadedBy)));
        Assert.Equal(afterFirst.Select(c => (c.Id, c.Version)), afterSecond.Select(c => (c.Id, c.Version)));
        Assert.Equal(5, current.Campaigns.Count);
    }

    [Fact]
    public async Task StartUp_WithLoadShippedCampaignsOff_LoadsNone()
    {
        await using var app = await ImmuniseApp.StartAsync(DatabaseProvider.Sqlite);

        Assert.Empty(await app.Services.GetRequiredService<CampaignStore>().ListAsync());
    }
}
