namespace Immunise.Eligibility;

/// <summary>The kind of an iteration rule, as NHS England's campaign configs spell it in <c>Type</c>.</summary>
public enum RuleType
{
    /// <summary>F: a person matching every rule of a priority group is not eligible.</summary>
    Filter,
    /// <summary>S: a person matching every rule of a priority group is eligible but not actionable.</summary>
    Suppression,
    /// <summary>R: chooses the actions shown to an actionable person.</summary>
    Redirect,
    /// <summary>X: chooses the actions shown to a person who is not eligible.</summary>
    NotEligibleActions,
    /// <summary>Y: chooses the actions shown to a person who is not actionable.</summary>
    NotActionableActions,
}

/// <summary>Where a rule finds the attribute it tests: the person row, the person's cohorts, or a target (vaccine) row.</summary>
public enum AttributeLevel
{
    Person,
    Cohort,
    Target,
}

/// <summary>Status of a person for a condition, ordered from worst to best.</summary>
public enum EligibilityStatus
{
    NotEligible = 0,
    NotActionable = 1,
    Actionable = 2,
}

/// <summary>One campaign config (the <c>CampaignConfig</c> object of NHS England's Eligibility Signposting format).</summary>
public sealed record CampaignConfig(
    string Id,
    int Version,
    string Name,
    string Type,
    string Target,
    string IterationFrequency,
    string IterationType,
    TimeOnly IterationTime,
    string? DefaultCommsRouting,
    DateOnly StartDate,
    DateOnly EndDate,
    IReadOnlyList<Iteration> Iterations)
{
    /// <summary>A campaign is live from its start date to its end date, both inclusive.</summary>
    public bool IsLiveOn(DateOnly today) => StartDate <= today && today <= EndDate;

    /// <summary>
    /// The iteration in force at <paramref name="now"/> (Europe/London wall-clock time): the latest whose start (iteration
    /// date at its iteration time, or the campaign's) has arrived.
    /// </summary>
    public Iteration? CurrentIteration(DateTime now)
    {
        Iteration? current = null;
        foreach (var iteration in Iterations)
        {
            if (iteration.StartsAt <= now && (current is null || iteration.StartsAt > current.StartsAt))
            {
                current = iteration;
            }
        }

        return current;
    }
}

public sealed record Iteration(
    string Id,
    int Version,
    string Name,
    DateOnly IterationDate,
    TimeOnly? IterationTime,
    string Type,
    string DefaultCommsRouting,
    string DefaultNotEligibleRouting,
    string DefaultNotActionableRouting,
    IReadOnlyList<IterationCohort> Cohorts,
    IReadOnlyList<IterationRule> Rules,
    IReadOnlyDictionary<string, AvailableAction> ActionsMapper,
    StatusTexts? StatusText,
    DateTime StartsAt);

/// <summary>A cohort the iteration offers to; a virtual cohort admits everyone, without membership.</summary>
public sealed record IterationCohort(
    string Label,
    string Group,
    string? PositiveDescription,
    string? NegativeDescription,
    int Priority,
    bool IsVirtual);

/// <summary>
/// One rule. <see cref="RuleCode"/> and <see cref="RuleText"/> are already resolved through the iteration's
/// <c>RulesMapper</c> (falling back to <c>Code</c>/<c>Name</c> and <c>Description</c>).
/// </summary>
public sealed record IterationRule(
    RuleType Type,
    string Name,
    string RuleCode,
    string RuleText,
    int Priority,
    AttributeLevel Level,
    string? AttributeName,
    string? AttributeTarget,
    IReadOnlyList<string> CohortLabels,
    RuleCondition Condition,
    bool RuleStop,
    string? CommsRouting)
{
    /// <summary>Whether the rule concerns <paramref name="cohortLabel"/>: rules naming no cohort concern every cohort.</summary>
    public bool AppliesTo(string cohortLabel) => CohortLabels.Count == 0 || CohortLabels.Contains(cohortLabel, StringComparer.Ordinal);
}

/// <summary>An entry of an iteration's <c>ActionsMapper</c>.</summary>
public sealed record AvailableAction(
    string ActionType,
    string ActionCode,
    string? ActionDescription,
    string? UrlLink,
    string? UrlLabel);

/// <summary>An iteration's own status texts, overriding the defaults.</summary>
public sealed record StatusTexts(string? NotEligible, string? NotActionable, string? Actionable)
{
    public string? For(EligibilityStatus status) => status switch
    {
        EligibilityStatus.NotEligible => NotEligible,
        EligibilityStatus.NotActionable => NotActionable,
        _ => Actionable,
    };
}
