using System.Text.Json;
using System.Text.Json.Nodes;
using Immunise.Eligibility;

namespace Immunise.Tests.Eligibility;

/// <summary>
/// NHS England's Eligibility Signposting regression scenarios, one case per scenario file, run through the engine and
/// compared with the expected response (keys responseId, lastUpdated and id are not compared).
/// <para>
/// One adaptation to the recorded data: some configs give their campaign window as literal dates (not placeholders) that
/// have since passed, while their person data moves with today. Such a closed window is reopened to a year from today
/// (see <see cref="ReopenClosedLiteralWindow"/>) so the scenario still exercises the rules it was written for; campaign
/// windows given as placeholders are left alone, so closed-campaign behaviour is still tested.
/// </para>
/// <para>
/// And one exception: a few scenarios pit a person whose age moves with today against a literal cut-off date in a rule
/// (e.g. "75 by 30 June 2026", DATE_OF_BIRTH &gt;= 19510701). Their expected response holds only near the day it was
/// recorded, so they are replayed as of that moment (the expected response's <c>meta.lastUpdated</c>); see
/// <see cref="s_recordedAgainstFixedCutOff"/>.
/// </para>
/// </summary>
public sealed class RegressionScenarioTests
{
    private const string DefaultConsumer = "test-Story_Test_Consumer_ID";

    private static readonly HashSet<string> s_recordedAgainstFixedCutOff =
    [
        "nbsIntegrationTestData/AUTO_COVID_NBS_INT_A01.json",
        "nbsIntegrationTestData/AUTO_COVID_NBS_INT_A03.json",
        "nbsIntegrationTestData/AUTO_COVID_NBS_INT_NA06.json",
    ];

    public static TheoryData<string> Scenarios()
    {
        var data = new TheoryData<string>();
        foreach (var scenario in AllScenarios().Where(s => !IsEndpointLevel(s)))
        {
            data.Add(scenario);
        }

        return data;
    }

    /// <summary>
    /// Scenarios whose expected body is neither an eligibility response nor an OperationOutcome (the service's status
    /// check) concern the HTTP endpoint, not the engine; they are listed here so the endpoint's tests can take them up.
    /// </summary>
    [Fact]
    public void EndpointLevelScenarios_AreOnlyTheStatusCheck()
    {
        var endpointLevel = AllScenarios().Where(IsEndpointLevel).ToList();

        if (ScenarioFixtures.IsSharedData)
        {
            Assert.Equal(["storyTestData/AUTO_RSV_ELI-363.json"], endpointLevel);
        }
    }

    private static IEnumerable<string> AllScenarios()
    {
        var root = Path.Combine(ScenarioFixtures.Root, "scenarios");
        return Directory.EnumerateFiles(root, "*.json", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(root, f).Replace('\\', '/'))
            .Order(StringComparer.Ordinal);
    }

    private static bool IsEndpointLevel(string scenario)
    {
        var expected = JsonNode.Parse(File.ReadAllText(ExpectedPath(scenario)))?.AsObject();
        return expected is not null && !expected.ContainsKey("processedSuggestions") && !expected.ContainsKey("resourceType");
    }

    private static string ExpectedPath(string scenario) =>
        Path.Combine(ScenarioFixtures.Root, "responses", ResponseFolder(Path.GetDirectoryName(scenario) ?? ""), Path.GetFileName(scenario));

    [Theory]
    [MemberData(nameof(Scenarios))]
    public void Scenario_MatchesExpectedResponse(string scenario)
    {
        var root = ScenarioFixtures.Root;
        var now = s_recordedAgainstFixedCutOff.Contains(scenario) ? RecordedAt(scenario) : ScenarioFixtures.LondonNow;
        var today = DateOnly.FromDateTime(now);
        var spec = JsonNode.Parse(ScenarioFixtures.Substitute(File.ReadAllText(Path.Combine(root, "scenarios", scenario)), now))!.AsObject();
        var expected = JsonNode.Parse(ScenarioFixtures.Substitute(File.ReadAllText(ExpectedPath(scenario)), now));
        var expectedCode = (int?)spec["expected_response_code"] ?? 200;

        var campaigns = new List<CampaignConfig>();
        string? loadError = null;
        foreach (var name in spec["config_filenames"]!.AsArray().Select(n => (string)n!))
        {
            var text = ReopenClosedLiteralWindow(File.ReadAllText(ConfigPath(name)), today);
            if (!CampaignConfigLoader.TryParse(ScenarioFixtures.Substitute(text, now), name, out var config, out var error))
            {
                loadError ??= error;
                continue;
            }

            campaigns.Add(config!);
        }

        var headers = spec["request_headers"]?.AsObject() ?? [];
        var product = headers.FirstOrDefault(h => string.Equals(h.Key, "NHSE-Product-ID", StringComparison.OrdinalIgnoreCase)).Value?.GetValue<string>();
        var consumer = product is null ? DefaultConsumer : product.StartsWith("test-", StringComparison.Ordinal) ? product : "test-" + product;
        var mapping = ConsumerMapping.Parse(File.ReadAllText(Path.Combine(root, "configs", "consumerMappings", "consumer_mapping_config.json")), "consumer_mapping_config.json");
        var query = (spec["query_params"] ?? spec["queryParams"])?.AsObject() ?? [];
        var includeActions = (string?)query["includeActions"];

        if (loadError is not null)
        {
            Assert.True(expectedCode == 500, $"a config was refused at load, but the scenario expects {expectedCode}: {loadError}");
            return;
        }

        var person = PersonData.FromJson(JsonSerializer.SerializeToElement(ScenarioFixtures.LayOverTemplate(spec["data"]!.AsArray())));
        var result = EligibilityEngine.Evaluate(new EligibilityRequest(
            person,
            campaigns,
            today,
            (string?)query["conditions"],
            (string?)query["category"],
            includeActions is null || string.Equals(includeActions, "Y", StringComparison.OrdinalIgnoreCase),
            mapping.CampaignsFor(consumer),
            TimeOfDay: TimeOnly.FromDateTime(now)));

        switch (expectedCode)
        {
            case 404:
                Assert.Equal(EligibilityOutcome.PersonNotFound, result.Outcome);
                return;
            case 500:
                Assert.Equal(EligibilityOutcome.ConfigError, result.Outcome);
                return;
            default:
                Assert.True(result.Outcome == EligibilityOutcome.Decided, $"expected a decision, got {result.Outcome}: {result.Error}");
                break;
        }

        var actual = JsonSerializer.SerializeToNode(result.Response);
        var differences = new List<string>();
        JsonComparison.Compare(expected, actual, "$", differences);
        Assert.True(differences.Count == 0, string.Join("\n", differences.Take(20)) + "\nactual: " + actual!.ToJsonString());
    }

    /// <summary>
    /// A config whose EndDate is a literal date already past was recorded while its campaign ran; it is reopened to a year
    /// from today. Placeholder dates are untouched.
    /// </summary>
    internal static string ReopenClosedLiteralWindow(string configJson, DateOnly today)
    {
        var node = JsonNode.Parse(configJson);
        if (node?["CampaignConfig"] is not JsonObject campaign || campaign["EndDate"] is not JsonValue endValue
            || !endValue.TryGetValue<string>(out var end) || end.Contains("<<", StringComparison.Ordinal)
            || !DateOnly.TryParseExact(end, "yyyyMMdd", out var endDate) || endDate >= today)
        {
            return configJson;
        }

        campaign["EndDate"] = today.AddYears(1).ToString("yyyyMMdd", System.Globalization.CultureInfo.InvariantCulture);
        return node.ToJsonString();
    }

    /// <summary>When the expected response was recorded (its meta.lastUpdated), on the Europe/London wall clock.</summary>
    private static DateTime RecordedAt(string scenario)
    {
        var recorded = (string?)JsonNode.Parse(File.ReadAllText(ExpectedPath(scenario)))?["meta"]?["lastUpdated"];
        Assert.True(DateTimeOffset.TryParse(recorded, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.None, out var at),
            $"{scenario} has no recording time to replay at");
        return ScenarioFixtures.InLondon(at.UtcDateTime);
    }

    private static string ResponseFolder(string scenarioFolder) => scenarioFolder.Replace("Data", "Responses", StringComparison.Ordinal);

    private static readonly Lazy<Dictionary<string, string>> s_configs = new(() =>
        Directory.EnumerateFiles(Path.Combine(ScenarioFixtures.Root, "configs"), "*.json", SearchOption.AllDirectories)
            .Where(f => !f.Contains("consumerMappings", StringComparison.Ordinal))
            .GroupBy(Path.GetFileName)
            .ToDictionary(g => g.Key!, g => g.First(), StringComparer.Ordinal));

    private static string ConfigPath(string name) =>
        s_configs.Value.TryGetValue(name, out var path) ? path : throw new FileNotFoundException($"No campaign config named {name}.");
}

/// <summary>Compares JSON, skipping the keys responseId, lastUpdated and id at any depth, and values marked to be ignored.</summary>
internal static class JsonComparison
{
    private static readonly HashSet<string> s_ignoredKeys = ["responseId", "lastUpdated", "id"];

    public static void Compare(JsonNode? expected, JsonNode? actual, string path, List<string> differences)
    {
        switch (expected)
        {
            case JsonObject e:
                if (actual is not JsonObject a)
                {
                    differences.Add($"{path}: expected an object, got {actual?.ToJsonString() ?? "null"}");
                    return;
                }

                foreach (var key in e.Select(p => p.Key).Union(a.Select(p => p.Key)))
                {
                    if (s_ignoredKeys.Contains(key))
                    {
                        continue;
                    }

                    if (!e.ContainsKey(key) || !a.ContainsKey(key))
                    {
                        differences.Add($"{path}.{key}: {(e.ContainsKey(key) ? "missing" : "unexpected")}");
                        continue;
                    }

                    Compare(e[key], a[key], $"{path}.{key}", differences);
                }

                return;
            case JsonArray el:
                if (actual is not JsonArray al)
                {
                    differences.Add($"{path}: expected a list, got {actual?.ToJsonString() ?? "null"}");
                    return;
                }

                if (el.Count != al.Count)
                {
                    differences.Add($"{path}: expected {el.Count} items, got {al.Count}");
                }

                for (var i = 0; i < Math.Min(el.Count, al.Count); i++)
                {
                    Compare(el[i], al[i], $"{path}[{i}]", differences);
                }

                return;
            case null:
                if (actual is not null)
                {
                    differences.Add($"{path}: expected null, got {actual.ToJsonString()}");
                }

                return;
            default:
                var text = expected.ToJsonString();
                if (text.Contains("IGNORE", StringComparison.Ordinal) || text.Contains("RANDOM_GUID", StringComparison.Ordinal))
                {
                    return;
                }

                if (actual is null || !JsonNode.DeepEquals(expected, actual))
                {
                    differences.Add($"{path}: expected {text}, got {actual?.ToJsonString() ?? "null"}");
                }

                return;
        }
    }
}
