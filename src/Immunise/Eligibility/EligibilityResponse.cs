using System.Text.Json.Serialization;

namespace Immunise.Eligibility;

/// <summary>The Eligibility Signposting API's response body.</summary>
public sealed record EligibilityResponse(
    [property: JsonPropertyName("responseId")] string ResponseId,
    [property: JsonPropertyName("meta")] ResponseMeta Meta,
    [property: JsonPropertyName("processedSuggestions")] IReadOnlyList<ProcessedSuggestion> ProcessedSuggestions);

public sealed record ResponseMeta([property: JsonPropertyName("lastUpdated")] string LastUpdated);

/// <summary>The decision for one condition. <see cref="Actions"/> is absent when actions were not asked for.</summary>
public sealed record ProcessedSuggestion(
    [property: JsonPropertyName("condition")] string Condition,
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("statusText")] string StatusText,
    [property: JsonPropertyName("eligibilityCohorts")] IReadOnlyList<EligibilityCohort> EligibilityCohorts,
    [property: JsonPropertyName("suitabilityRules")] IReadOnlyList<SuitabilityRule> SuitabilityRules,
    [property: JsonPropertyName("actions"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<SuggestedAction>? Actions);

public sealed record EligibilityCohort(
    [property: JsonPropertyName("cohortCode")] string CohortCode,
    [property: JsonPropertyName("cohortText")] string CohortText,
    [property: JsonPropertyName("cohortStatus")] string CohortStatus);

public sealed record SuitabilityRule(
    [property: JsonPropertyName("ruleType")] string RuleType,
    [property: JsonPropertyName("ruleCode")] string RuleCode,
    [property: JsonPropertyName("ruleText")] string RuleText);

public sealed record SuggestedAction(
    [property: JsonPropertyName("actionType")] string ActionType,
    [property: JsonPropertyName("actionCode")] string ActionCode,
    [property: JsonPropertyName("description")] string Description,
    [property: JsonPropertyName("urlLink")] string UrlLink,
    [property: JsonPropertyName("urlLabel")] string UrlLabel);
