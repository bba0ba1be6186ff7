using System.Text.Json.Nodes;
using Immunise.Eligibility;

namespace Immunise.Tests.Eligibility;

public sealed class CampaignConfigLoaderTests
{
    /// <summary>A small valid config; tests change one thing in it.</summary>
    internal static JsonObject Config(params JsonObject[] rules) => new()
    {
        ["CampaignConfig"] = new JsonObject
        {
            ["ID"] = "CAMPAIGN_1",
            ["Version"] = 1,
            ["Name"] = "Test campaign",
            ["Type"] = "V",
            ["Target"] = "RSV",
            ["IterationFrequency"] = "X",
            ["IterationType"] = "O",
            ["IterationTime"] = "07:00:00",
            ["DefaultCommsRouting"] = "BOOK",
            ["StartDate"] = "20260101",
            ["EndDate"] = "20261231",
            ["Iterations"] = new JsonArray
            {
                new JsonObject
                {
                    ["ID"] = "IT_1",
                    ["Version"] = 1,
                    ["Name"] = "Iteration 1",
                    ["IterationDate"] = "20260101",
                    ["Type"] = "O",
                    ["DefaultCommsRouting"] = "BOOK",
                    ["DefaultNotEligibleRouting"] = "NOT_ELIGIBLE",
                    ["DefaultNotActionableRouting"] = "NOT_ACTIONABLE",
                    ["IterationCohorts"] = new JsonArray
                    {
                        new JsonObject
                        {
                            ["CohortLabel"] = "rsv_75",
                            ["CohortGroup"] = "rsv_age",
                            ["PositiveDescription"] = "are aged 75 or over",
                            ["NegativeDescription"] = "are not aged 75 or over",
                            ["Priority"] = 0,
                        },
                    },
                    ["IterationRules"] = new JsonArray(rules.Select(r => (JsonNode)r).ToArray()),
                    ["ActionsMapper"] = new JsonObject
                    {
                        ["BOOK"] = Action("BookNBS", "https://www.nhs.uk"),
                        ["NOT_ELIGIBLE"] = Action("NotEligibleInfo", null),
                        ["NOT_ACTIONABLE"] = Action("NotActionableInfo", null),
                        ["MANAGE"] = Action("AmendNBS", "https://www.nhs.uk/manage"),
                    },
                },
            },
        },
    };

    internal static JsonObject Action(string code, string? url) => new()
    {
        ["ExternalRoutingCode"] = code,
        ["ActionDescription"] = code + " text",
        ["ActionType"] = "InfoText",
        ["UrlLink"] = url,
        ["UrlLabel"] = url is null ? null : "Go",
    };

    internal static JsonObject Rule(string type, string name, int priority, string attribute, string op, string comparator,
        string level = "PERSON", string? target = null, string? cohortLabel = null, string? comms = null, string? ruleStop = null)
    {
        var rule = new JsonObject
        {
            ["Type"] = type,
            ["Name"] = name,
            ["Description"] = name + " text",
            ["Priority"] = priority,
            ["AttributeLevel"] = level,
            ["AttributeName"] = attribute,
            ["Operator"] = op,
            ["Comparator"] = comparator,
        };
        if (target is not null)
        {
            rule["AttributeTarget"] = target;
        }

        if (cohortLabel is not null)
        {
            rule["CohortLabel"] = cohortLabel;
        }

        if (comms is not null)
        {
            rule["CommsRouting"] = comms;
        }

        if (ruleStop is not null)
        {
            rule["RuleStop"] = ruleStop;
        }

        return rule;
    }

    private static JsonObject Iteration(JsonObject config) => config["CampaignConfig"]!["Iterations"]![0]!.AsObject();

    private static string Refusal(JsonObject config)
    {
        var e = Assert.Throws<CampaignConfigException>(() => CampaignConfigLoader.Parse(config.ToJsonString(), "rsv.json"));
        return e.Message;
    }

    [Fact]
    public void Parse_ValidConfig_ReadsCampaignIterationCohortsRulesAndActions()
    {
        var config = Config(Rule("F", "Under 75", 100, "DATE_OF_BIRTH", "Y>", "-75"), Rule("S", "Booked", 200, "BOOKED_APPOINTMENT_DATE", "D>=", "0", "TARGET", "RSV", ruleStop: "Y"));

        var campaign = CampaignConfigLoader.Parse(config.ToJsonString(), "rsv.json");

        Assert.Equal("CAMPAIGN_1", campaign.Id);
        Assert.Equal(new DateOnly(2026, 1, 1), campaign.StartDate);
        var iteration = Assert.Single(campaign.Iterations);
        Assert.Equal(new DateTime(2026, 1, 1, 7, 0, 0), iteration.StartsAt);
        Assert.Equal("rsv_age", Assert.Single(iteration.Cohorts).Group);
        Assert.Equal([RuleType.Filter, RuleType.Suppression], iteration.Rules.Select(r => r.Type));
        Assert.True(iteration.Rules[1].RuleStop);
        Assert.Equal(AttributeLevel.Target, iteration.Rules[1].Level);
        Assert.Equal("https://www.nhs.uk/", iteration.ActionsMapper["BOOK"].UrlLink);
    }

    [Fact]
    public void Parse_EmptyCohortGroup_IsAccepted()
    {
        // NHS England's configs leave CohortGroup empty for a cohort that is shown in no group.
        var config = Config();
        Iteration(config)["IterationCohorts"]![0]!["CohortGroup"] = "";

        var campaign = CampaignConfigLoader.Parse(config.ToJsonString(), "rsv.json");

        Assert.Equal("", Assert.Single(Assert.Single(campaign.Iterations).Cohorts).Group);
    }

    [Fact]
    public void Parse_MissingCohortGroup_IsRefused()
    {
        var config = Config();
        Iteration(config)["IterationCohorts"]![0]!.AsObject().Remove("CohortGroup");

        Assert.Contains("CohortGroup", Refusal(config), StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_ActionLinkToAPageOfThisService_IsKept_OtherRelativeLinksAreRefused()
    {
        static JsonObject WithBookLink(string url)
        {
            var config = Config();
            config["CampaignConfig"]!["Iterations"]![0]!["ActionsMapper"]!["BOOK"] = Action("BookImmunise", url);
            return config;
        }

        var campaign = CampaignConfigLoader.Parse(WithBookLink("/book/covid-19").ToJsonString(), "rsv.json");

        Assert.Equal("/book/covid-19", campaign.Iterations[0].ActionsMapper["BOOK"].UrlLink);
        Assert.Contains("'UrlLink'", Refusal(WithBookLink("//elsewhere.example/book")), StringComparison.Ordinal);
        Assert.Contains("'UrlLink'", Refusal(WithBookLink("book/covid-19")), StringComparison.Ordinal);
        Assert.Contains("'UrlLink'", Refusal(WithBookLink("ftp://files.example/book")), StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_UnknownOperator_NamesFileRuleAndField()
    {
        var message = Refusal(Config(Rule("F", "Odd rule", 100, "DATE_OF_BIRTH", "roughly", "-75")));

        Assert.Contains("rsv.json", message, StringComparison.Ordinal);
        Assert.Contains("rule 'Odd rule'", message, StringComparison.Ordinal);
        Assert.Contains("'Operator'", message, StringComparison.Ordinal);
        Assert.Contains("roughly", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_UnknownRuleType_IsRefused() =>
        Assert.Contains("unknown rule type 'Q'", Refusal(Config(Rule("Q", "R1", 1, "ICB", "=", "X"))), StringComparison.Ordinal);

    [Fact]
    public void Parse_UnknownAttributeLevel_IsRefused() =>
        Assert.Contains("'AttributeLevel'", Refusal(Config(Rule("F", "R1", 1, "ICB", "=", "X", level: "HOUSEHOLD"))), StringComparison.Ordinal);

    [Fact]
    public void Parse_TargetRuleWithoutTarget_IsRefused() =>
        Assert.Contains("'AttributeTarget'", Refusal(Config(Rule("S", "R1", 1, "LAST_SUCCESSFUL_DATE", "D>", "-91", level: "TARGET"))), StringComparison.Ordinal);

    [Fact]
    public void Parse_DateOperatorWithTextComparator_IsRefused() =>
        Assert.Contains("whole-number", Refusal(Config(Rule("F", "R1", 1, "DATE_OF_BIRTH", "Y>", "old"))), StringComparison.Ordinal);

    [Fact]
    public void Parse_BadDate_NamesTheField()
    {
        var config = Config();
        config["CampaignConfig"]!["StartDate"] = "2026-01-01";

        Assert.Contains("'StartDate' must be a date as YYYYMMDD", Refusal(config), StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_EndBeforeStart_IsRefused()
    {
        var config = Config();
        config["CampaignConfig"]!["EndDate"] = "20251231";

        Assert.Contains("'EndDate' is before StartDate", Refusal(config), StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_TwoIterationsStartingTogether_IsRefused()
    {
        var config = Config();
        var iterations = config["CampaignConfig"]!["Iterations"]!.AsArray();
        iterations.Add(iterations[0]!.DeepClone());

        Assert.Contains("start at the same time", Refusal(config), StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_SameDateDifferentIterationTimes_IsAccepted()
    {
        var config = Config();
        var iterations = config["CampaignConfig"]!["Iterations"]!.AsArray();
        var second = iterations[0]!.DeepClone().AsObject();
        second["IterationTime"] = "09:00:00";
        iterations.Add(second);

        var campaign = CampaignConfigLoader.Parse(config.ToJsonString(), "rsv.json");

        Assert.Same(campaign.Iterations[1], campaign.CurrentIteration(new DateTime(2026, 1, 1, 9, 30, 0)));
        Assert.Same(campaign.Iterations[0], campaign.CurrentIteration(new DateTime(2026, 1, 1, 8, 0, 0)));
        Assert.Null(campaign.CurrentIteration(new DateTime(2026, 1, 1, 6, 59, 0)));
    }

    [Fact]
    public void Parse_MissingIterations_IsRefused()
    {
        var config = Config();
        config["CampaignConfig"]!.AsObject().Remove("Iterations");

        Assert.Contains("'Iterations' is missing", Refusal(config), StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_NotJson_IsRefusedWithTheFileName() =>
        Assert.StartsWith("broken.json: not valid JSON", Assert.Throws<CampaignConfigException>(() => CampaignConfigLoader.Parse("{", "broken.json")).Message, StringComparison.Ordinal);

    [Fact]
    public void Parse_RulesMapper_GivesRuleCodeAndText()
    {
        var config = Config(Rule("S", "Already vaccinated", 100, "LAST_SUCCESSFUL_DATE", "is_not_empty", "", "TARGET", "RSV"));
        Iteration(config)["RulesMapper"] = new JsonObject
        {
            ["ALREADY"] = new JsonObject { ["RuleNames"] = new JsonArray("Already vaccinated"), ["RuleCode"] = "AlreadyVaccinated", ["RuleText"] = "You've had it" },
        };

        var rule = CampaignConfigLoader.Parse(config.ToJsonString(), "rsv.json").Iterations[0].Rules[0];

        Assert.Equal("AlreadyVaccinated", rule.RuleCode);
        Assert.Equal("You've had it", rule.RuleText);
    }

    [Fact]
    public void TryParse_ReturnsTheRefusalInsteadOfThrowing()
    {
        var ok = CampaignConfigLoader.TryParse("[]", "list.json", out var config, out var error);

        Assert.False(ok);
        Assert.Null(config);
        Assert.Contains("list.json", error, StringComparison.Ordinal);
    }

    [Fact]
    public void SharedConfigs_AllLoadExceptTheMalformedOnes()
    {
        // AUTO_ELI-615-4 has two iterations starting together (its scenario expects a 500); ELI-674_08 (used by no
        // scenario) gives its iteration times as "7am".
        var refused = new List<string>();
        foreach (var file in Directory.EnumerateFiles(Path.Combine(ScenarioFixtures.Root, "configs"), "*.json", SearchOption.AllDirectories)
                     .Where(f => !f.Contains("consumerMappings", StringComparison.Ordinal)))
        {
            if (!CampaignConfigLoader.TryParse(ScenarioFixtures.Substitute(File.ReadAllText(file)), Path.GetFileName(file), out _, out _))
            {
                refused.Add(Path.GetFileName(file));
            }
        }

        Assert.Equal(["AUTO_ELI-615-4.json", "ELI-674_08.json"], refused.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void LoadDirectory_LoadsEveryConfigAndRefusesTheSetOnABadOne()
    {
        var directory = Directory.CreateTempSubdirectory("immunise-configs-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(directory, "a.json"), Config().ToJsonString());
            var second = Config();
            second["CampaignConfig"]!["ID"] = "CAMPAIGN_2";
            File.WriteAllText(Path.Combine(directory, "b.json"), second.ToJsonString());

            Assert.Equal(["CAMPAIGN_1", "CAMPAIGN_2"], CampaignConfigLoader.LoadDirectory(directory).Select(c => c.Id));

            File.WriteAllText(Path.Combine(directory, "c.json"), Config(Rule("F", "Bad", 1, "ICB", "nearly", "X")).ToJsonString());
            Assert.StartsWith("c.json:", Assert.Throws<CampaignConfigException>(() => CampaignConfigLoader.LoadDirectory(directory)).Message, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
