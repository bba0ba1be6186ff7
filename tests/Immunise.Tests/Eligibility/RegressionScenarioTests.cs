using System.Text.Json;
using System.Text.Json.Nodes;
using Immunise.Eligibility;

namespace Immunise.Tests.Eligibility;

/// <summary>
/// NHS England's Eligibility Signposting regression scenarios, one case per scenario file, run through the engine and
/// compared with the expected response (keys responseId, lastUpdated and id are not compared).
/// </summary>
public sealed class RegressionScenarioTests
{
    private const string DefaultConsumer = "test-Story_Test_Consumer_ID";

    public static TheoryData<string> Scenarios()
    {
        var data = new TheoryData<string>();
        var root = Path.Combine(ScenarioFixtures.Root, "scenarios");
        foreach (var file in Directory.EnumerateFiles(root, "*.json", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            data.Add(Path.GetRelativePath(root, file).Replace('\\', '/'));
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Scenarios))]
    public void Scenario_MatchesExpectedResponse(string scenario)
    {
        var root = ScenarioFixtures.Root;
        var spec = JsonNode.Parse(ScenarioFixtures.Substitute(File.ReadAllText(Path.Combine(root, "scenarios", scenario))))!.AsObject();
        var expectedPath = Path.Combine(root, "responses", ResponseFolder(Path.GetDirectoryName(scenario) ?? ""), Path.GetFileName(scenario));
        var expected = JsonNode.Parse(ScenarioFixtures.Substitute(File.ReadAllText(expectedPath)));
        var expectedCode = (int?)spec["expected_response_code"] ?? 200;

        var campaigns = new List<CampaignConfig>();
        string? loadError = null;
        foreach (var name in spec["config_filenames"]!.AsArray().Select(n => (string)n!))
        {
            if (!CampaignConfigLoader.TryParse(ScenarioFixtures.Substitute(File.ReadAllText(ConfigPath(name))), name, out var config, out var error))
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
            ScenarioFixtures.Today,
            (string?)query["conditions"],
            (string?)query["category"],
            includeActions is null || string.Equals(includeActions, "Y", StringComparison.OrdinalIgnoreCase),
            mapping.CampaignsFor(consumer)));

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
