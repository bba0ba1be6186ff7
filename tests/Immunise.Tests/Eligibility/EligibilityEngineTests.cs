using System.Text.Json;
using System.Text.Json.Nodes;
using Immunise.Eligibility;
using static Immunise.Tests.Eligibility.CampaignConfigLoaderTests;

namespace Immunise.Tests.Eligibility;

public sealed class EligibilityEngineTests
{
    private static readonly DateOnly s_today = new(2026, 3, 15);

    private static CampaignConfig Load(JsonObject config) => CampaignConfigLoader.Parse(config.ToJsonString(), "test.json");

    private static PersonData Person(string dateOfBirth, string[] cohorts, string? lastRsv = null, string? bookedRsv = null, string icb = "QE1")
    {
        var rows = new JsonArray
        {
            new JsonObject { ["ATTRIBUTE_TYPE"] = "PERSON", ["DATE_OF_BIRTH"] = dateOfBirth, ["ICB"] = icb, ["POSTCODE"] = "LS1 1AB" },
            new JsonObject
            {
                ["ATTRIBUTE_TYPE"] = "COHORTS",
                ["COHORT_MEMBERSHIPS"] = new JsonArray(cohorts.Select(c => (JsonNode)new JsonObject { ["COHORT_LABEL"] = c, ["DATE_JOINED"] = "20250101" }).ToArray()),
            },
            new JsonObject { ["ATTRIBUTE_TYPE"] = "RSV", ["LAST_SUCCESSFUL_DATE"] = lastRsv, ["BOOKED_APPOINTMENT_DATE"] = bookedRsv },
        };
        return PersonData.FromJson(JsonSerializer.SerializeToElement(rows));
    }

    private static ProcessedSuggestion Decide(PersonData person, bool includeActions = true, params CampaignConfig[] campaigns)
    {
        var result = EligibilityEngine.Evaluate(new EligibilityRequest(person, campaigns, s_today, IncludeActions: includeActions));
        Assert.Equal(EligibilityOutcome.Decided, result.Outcome);
        return Assert.Single(result.Response!.ProcessedSuggestions);
    }

    private static readonly PersonData s_aged80InCohort = Person("19460101", ["rsv_75"]);

    [Fact]
    public void Evaluate_MemberWithNoRules_IsActionableWithDefaultActions()
    {
        var decision = Decide(s_aged80InCohort, campaigns: Load(Config()));

        Assert.Equal("Actionable", decision.Status);
        Assert.Equal("You should have the RSV vaccine", decision.StatusText);
        Assert.Equal(new EligibilityCohort("rsv_age", "are aged 75 or over", "Actionable"), Assert.Single(decision.EligibilityCohorts));
        Assert.Equal("BookNBS", Assert.Single(decision.Actions!).ActionCode);
        Assert.Equal("https://www.nhs.uk/", decision.Actions![0].UrlLink);
    }

    [Fact]
    public void Evaluate_NotAMember_IsNotEligibleWithNegativeTextAndNotEligibleActions()
    {
        var decision = Decide(Person("19460101", ["other"]), campaigns: Load(Config()));

        Assert.Equal("NotEligible", decision.Status);
        Assert.Equal("We do not believe you can have it", decision.StatusText);
        Assert.Equal("are not aged 75 or over", Assert.Single(decision.EligibilityCohorts).CohortText);
        Assert.Equal("NotEligibleInfo", Assert.Single(decision.Actions!).ActionCode);
        Assert.Empty(decision.SuitabilityRules);
    }

    [Fact]
    public void Evaluate_FilterRulesOfOnePriority_ExcludeOnlyWhenAllMatch()
    {
        // Same priority: under 75 AND in ICB QE1. Only one holds, so the group does not exclude.
        var config = Config(
            Rule("F", "Under 75", 100, "DATE_OF_BIRTH", "Y>", "-75"),
            Rule("F", "In QE1", 100, "ICB", "=", "QE1"));

        Assert.Equal("Actionable", Decide(s_aged80InCohort, campaigns: Load(config)).Status);
        Assert.Equal("NotEligible", Decide(Person("20000101", ["rsv_75"]), campaigns: Load(config)).Status);
    }

    [Fact]
    public void Evaluate_FilterRulesOfDifferentPriorities_ExcludeWhenAnyGroupMatches()
    {
        var config = Config(
            Rule("F", "Under 75", 100, "DATE_OF_BIRTH", "Y>", "-75"),
            Rule("F", "In QE1", 200, "ICB", "=", "QE1"));

        Assert.Equal("NotEligible", Decide(s_aged80InCohort, campaigns: Load(config)).Status);
    }

    [Fact]
    public void Evaluate_SuppressionGroupsMatching_AreAllReportedUntilRuleStop()
    {
        var config = Config(
            Rule("S", "Already vaccinated", 100, "LAST_SUCCESSFUL_DATE", "is_not_empty", "", "TARGET", "RSV"),
            Rule("S", "Booked", 200, "BOOKED_APPOINTMENT_DATE", "D>=", "0", "TARGET", "RSV", ruleStop: "Y"),
            Rule("S", "In QE1", 300, "ICB", "=", "QE1"));
        var person = Person("19460101", ["rsv_75"], lastRsv: "20251001", bookedRsv: "20260320");

        var decision = Decide(person, campaigns: Load(config));

        Assert.Equal("NotActionable", decision.Status);
        Assert.Equal(["Already vaccinated", "Booked"], decision.SuitabilityRules.Select(r => r.RuleCode));
        Assert.Equal("Booked text", decision.SuitabilityRules[1].RuleText);
        Assert.Equal("NotActionableInfo", Assert.Single(decision.Actions!).ActionCode);
    }

    [Fact]
    public void Evaluate_RulesForAnotherCohort_DoNotApply()
    {
        var config = Config(Rule("F", "Under 100", 100, "DATE_OF_BIRTH", "Y>", "-100", cohortLabel: "someone_else"));

        Assert.Equal("Actionable", Decide(s_aged80InCohort, campaigns: Load(config)).Status);
    }

    [Fact]
    public void Evaluate_CohortWithNoGroup_CountsTowardsTheStatusButIsNotShown()
    {
        var config = Config();
        var cohorts = config["CampaignConfig"]!["Iterations"]![0]!["IterationCohorts"]!.AsArray();
        cohorts.Add(new JsonObject { ["CohortLabel"] = "no_group", ["CohortGroup"] = "", ["PositiveDescription"] = "", ["NegativeDescription"] = "", ["Priority"] = 30 });

        var member = Decide(Person("19460101", ["no_group"]), campaigns: Load(config));
        var neither = Decide(Person("19460101", ["other"]), campaigns: Load(config));

        Assert.Equal("Actionable", member.Status);
        Assert.Empty(member.EligibilityCohorts);
        Assert.Equal("NotEligible", neither.Status);
        Assert.Equal("rsv_age", Assert.Single(neither.EligibilityCohorts).CohortCode);
    }

    [Fact]
    public void Evaluate_VirtualCohort_AdmitsNonMembersAndCountsAsMembershipAtCohortLevel()
    {
        var config = Config(Rule("F", "Not in magic cohort", 100, "COHORT_LABEL", "NotMemberOf", "magic", level: "COHORT"));
        var cohorts = config["CampaignConfig"]!["Iterations"]![0]!["IterationCohorts"]!.AsArray();
        cohorts.Add(new JsonObject { ["CohortLabel"] = "magic", ["CohortGroup"] = "everyone", ["PositiveDescription"] = "", ["Priority"] = 5, ["Virtual"] = "Y" });

        var decision = Decide(Person("19460101", []), campaigns: Load(config));

        Assert.Equal("Actionable", decision.Status);
        Assert.Empty(decision.EligibilityCohorts); // the virtual cohort has no description to show
    }

    [Fact]
    public void Evaluate_RedirectRule_ChoosesActionsWhenItsGroupMatches()
    {
        var config = Config(Rule("R", "Booked", 100, "BOOKED_APPOINTMENT_DATE", "D>=", "0", "TARGET", "RSV", comms: "MANAGE|BOOK"));

        var booked = Decide(Person("19460101", ["rsv_75"], bookedRsv: "20260401"), campaigns: Load(config));
        var notBooked = Decide(s_aged80InCohort, campaigns: Load(config));

        Assert.Equal(["AmendNBS", "BookNBS"], booked.Actions!.Select(a => a.ActionCode));
        Assert.Equal(["BookNBS"], notBooked.Actions!.Select(a => a.ActionCode));
    }

    [Fact]
    public void Evaluate_WithoutActions_OmitsTheActionsKey()
    {
        var decision = Decide(s_aged80InCohort, includeActions: false, Load(Config()));

        Assert.Null(decision.Actions);
        Assert.DoesNotContain("actions", JsonSerializer.Serialize(decision), StringComparison.Ordinal);
    }

    [Fact]
    public void Evaluate_Tokens_AreFilledFromThePersonsData()
    {
        var config = Config();
        var cohort = config["CampaignConfig"]!["Iterations"]![0]!["IterationCohorts"]![0]!.AsObject();
        cohort["PositiveDescription"] = "born [[PERSON.DATE_OF_BIRTH:DATE(%-d %B %Y)]] in [[PERSON.ICB]], flu [[TARGET.FLU.LAST_SUCCESSFUL_DATE]]";

        var decision = Decide(s_aged80InCohort, campaigns: Load(config));

        Assert.Equal("born 1 January 1946 in QE1, flu ", Assert.Single(decision.EligibilityCohorts).CohortText);
    }

    [Fact]
    public void Evaluate_TokenForAnUnknownAttribute_IsAConfigError()
    {
        var config = Config();
        config["CampaignConfig"]!["Iterations"]![0]!["IterationCohorts"]![0]!["PositiveDescription"] = "[[PERSON.SHOE_SIZE]]";

        var result = EligibilityEngine.Evaluate(new EligibilityRequest(s_aged80InCohort, [Load(config)], s_today));

        Assert.Equal(EligibilityOutcome.ConfigError, result.Outcome);
        Assert.Contains("SHOE_SIZE", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Evaluate_WithoutPersonRow_IsPersonNotFound()
    {
        var rows = PersonData.FromJson(JsonSerializer.SerializeToElement(new JsonArray(new JsonObject { ["ATTRIBUTE_TYPE"] = "COHORTS" })));

        Assert.Equal(EligibilityOutcome.PersonNotFound, EligibilityEngine.Evaluate(new EligibilityRequest(rows, [Load(Config())], s_today)).Outcome);
    }

    [Fact]
    public void Evaluate_ClosedCampaignOrUnlistedConsumerOrOtherCategory_GivesNoSuggestion()
    {
        var campaign = Load(Config());

        Assert.Empty(EligibilityEngine.Evaluate(new EligibilityRequest(s_aged80InCohort, [campaign], new DateOnly(2027, 1, 1))).Response!.ProcessedSuggestions);
        Assert.Empty(EligibilityEngine.Evaluate(new EligibilityRequest(s_aged80InCohort, [campaign], s_today, AllowedCampaignIds: new HashSet<string> { "OTHER" })).Response!.ProcessedSuggestions);
        Assert.Empty(EligibilityEngine.Evaluate(new EligibilityRequest(s_aged80InCohort, [campaign], s_today, Category: "SCREENING")).Response!.ProcessedSuggestions);
        Assert.Empty(EligibilityEngine.Evaluate(new EligibilityRequest(s_aged80InCohort, [campaign], s_today, Conditions: "COVID,FLU")).Response!.ProcessedSuggestions);
        Assert.Single(EligibilityEngine.Evaluate(new EligibilityRequest(s_aged80InCohort, [campaign], s_today, Conditions: "covid,rsv")).Response!.ProcessedSuggestions);
    }

    [Fact]
    public void Evaluate_TwoCampaignsForOneTarget_TheLatestStartedIterationWins()
    {
        var older = Config();
        var newer = Config(Rule("F", "Everyone", 100, "ICB", "is_not_null", ""));
        newer["CampaignConfig"]!["ID"] = "CAMPAIGN_2";
        newer["CampaignConfig"]!["Iterations"]![0]!["IterationDate"] = "20260301";

        var decision = Decide(s_aged80InCohort, campaigns: [Load(older), Load(newer)]);

        Assert.Equal("NotEligible", decision.Status);
    }

    [Fact]
    public void Evaluate_StatusTextOverrideAction_ReplacesStatusTextAndIsNotShown()
    {
        var config = Config();
        var iteration = config["CampaignConfig"]!["Iterations"]![0]!.AsObject();
        iteration["DefaultCommsRouting"] = "BOOK|OVERRIDE";
        iteration["ActionsMapper"]!["OVERRIDE"] = new JsonObject
        {
            ["ExternalRoutingCode"] = "Override",
            ["ActionType"] = EligibilityEngine.StatusTextOverrideActionType,
            ["ActionDescription"] = "Book before [[PERSON.ICB]] closes",
        };

        var decision = Decide(s_aged80InCohort, campaigns: Load(config));

        Assert.Equal("Book before QE1 closes", decision.StatusText);
        Assert.Equal(["BookNBS"], decision.Actions!.Select(a => a.ActionCode));
    }
}
