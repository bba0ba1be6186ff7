using System.Globalization;

namespace Immunise.Eligibility;

/// <summary>
/// What is asked: the person's data, the campaigns loaded, the day and time to decide for (Europe/London wall clock;
/// with no time, every iteration starting that day has started), the API's query parameters, and the campaign config
/// ids the consumer may see (null: all).
/// </summary>
public sealed record EligibilityRequest(
    PersonData Person,
    IReadOnlyList<CampaignConfig> Campaigns,
    DateOnly Today,
    string? Conditions = null,
    string? Category = null,
    bool IncludeActions = true,
    IReadOnlySet<string>? AllowedCampaignIds = null,
    string? ResponseId = null,
    DateTimeOffset? LastUpdated = null,
    TimeOnly? TimeOfDay = null)
{
    public DateTime Now => Today.ToDateTime(TimeOfDay ?? TimeOnly.MaxValue);
}

public enum EligibilityOutcome
{
    /// <summary>A decision was made; <see cref="EligibilityResult.Response"/> holds it.</summary>
    Decided,
    /// <summary>The person has no PERSON row: the API answers 404.</summary>
    PersonNotFound,
    /// <summary>A campaign config could not be applied to this person (e.g. a bad token): the API answers 500.</summary>
    ConfigError,
}

public sealed record EligibilityResult(EligibilityOutcome Outcome, EligibilityResponse? Response, string? Error);

/// <summary>
/// Decides a person's eligibility for each requested condition: a pure function of the data given (no I/O, no clock).
/// <para>
/// Per condition, of the live campaigns for that target the one whose current iteration started last is used. Within an iteration each cohort (by priority) is: not eligible unless the person is a member (or the cohort is
/// virtual); not eligible if every rule of some priority group of filter (F) rules matches; otherwise not actionable if
/// every rule of some priority group of suppression (S) rules matches (a matching group with RuleStop ends the search),
/// and actionable if none does. The person's status is the best of their cohorts'. Actions come from the redirect (R),
/// not-eligible (X) or not-actionable (Y) rules for that status: the first priority group whose rules all match and that
/// names comms routing chooses them, else the iteration's default routing does.
/// </para>
/// </summary>
public static class EligibilityEngine
{
    /// <summary>An ActionsMapper entry of this type carries status text, not an action to show.</summary>
    public const string StatusTextOverrideActionType = "norender_StatusTextOverride";

    public static EligibilityResult Evaluate(EligibilityRequest request)
    {
        if (request.Person.Person is null)
        {
            return new EligibilityResult(EligibilityOutcome.PersonNotFound, null, "The person has no PERSON data.");
        }

        try
        {
            var suggestions = new List<ProcessedSuggestion>();
            foreach (var (target, campaigns) in SelectCampaigns(request))
            {
                var suggestion = EvaluateCondition(request, target, campaigns);
                if (suggestion is not null)
                {
                    suggestions.Add(suggestion);
                }
            }

            var response = new EligibilityResponse(
                request.ResponseId ?? Guid.NewGuid().ToString(),
                new ResponseMeta((request.LastUpdated ?? DateTimeOffset.UnixEpoch).ToString("yyyy-MM-ddTHH:mm:ss.ffffffzzz", CultureInfo.InvariantCulture)),
                suggestions);
            return new EligibilityResult(EligibilityOutcome.Decided, response, null);
        }
        catch (PersonalisationTokenException e)
        {
            return new EligibilityResult(EligibilityOutcome.ConfigError, null, e.Message);
        }
    }

    /// <summary>Live campaigns the consumer may see, of the requested category, grouped by target in target order.</summary>
    public static IEnumerable<(string Target, IReadOnlyList<CampaignConfig> Campaigns)> SelectCampaigns(EligibilityRequest request)
    {
        var category = string.IsNullOrWhiteSpace(request.Category) ? "ALL" : request.Category.Trim().ToUpperInvariant();
        var types = category switch
        {
            "ALL" => new[] { "V", "S" },
            "VACCINATIONS" => ["V"],
            "SCREENING" => ["S"],
            _ => [],
        };
        var wanted = (string.IsNullOrWhiteSpace(request.Conditions) ? "ALL" : request.Conditions)
            .Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            .Select(c => c.ToUpperInvariant())
            .ToHashSet(StringComparer.Ordinal);
        var all = wanted.Contains("ALL");

        return request.Campaigns
            .Where(c => types.Contains(c.Type)
                && (request.AllowedCampaignIds is null || request.AllowedCampaignIds.Contains(c.Id))
                && c.IsLiveOn(request.Today)
                && (all || wanted.Contains(c.Target)))
            .GroupBy(c => c.Target, StringComparer.Ordinal)
            .OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => (g.Key, (IReadOnlyList<CampaignConfig>)g.ToList()));
    }

    private sealed record CohortResult(IterationCohort Cohort, EligibilityStatus Status, string? Description, IReadOnlyList<IterationRule> Reasons);

    private sealed record IterationResult(Iteration Iteration, EligibilityStatus Status, IReadOnlyList<CohortResult> BestCohorts);

    private static ProcessedSuggestion? EvaluateCondition(EligibilityRequest request, string target, IReadOnlyList<CampaignConfig> campaigns)
    {
        // The campaign whose current iteration started last speaks for the target; where several started at the same
        // moment, the best result among them.
        var now = request.Now;
        var current = campaigns
            .Select(c => c.CurrentIteration(now))
            .OfType<Iteration>()
            .ToList();
        if (current.Count == 0)
        {
            return null;
        }

        var latest = current.Max(i => i.StartsAt);
        IterationResult? best = null;
        foreach (var iteration in current.Where(i => i.StartsAt == latest))
        {
            var result = EvaluateIteration(request.Person, iteration, request.Today);
            if (best is null || result.Status > best.Status)
            {
                best = result;
            }
        }

        if (best is null)
        {
            return null;
        }

        var person = request.Person;
        var status = best.Status;

        // One entry per cohort group, in the order the groups first appear: its first non-blank description, and the
        // reasons of all its cohorts.
        var groups = new List<(string Code, string? Description, List<CohortResult> Members)>();
        var groupIndex = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var result in best.BestCohorts)
        {
            if (!groupIndex.TryGetValue(result.Cohort.Group, out var at))
            {
                groupIndex[result.Cohort.Group] = at = groups.Count;
                groups.Add((result.Cohort.Group, null, []));
            }

            var group = groups[at];
            group.Members.Add(result);
            if (group.Description is null && !string.IsNullOrWhiteSpace(result.Description))
            {
                groups[at] = group with { Description = result.Description };
            }
        }

        var statusName = StatusName(status);
        var cohorts = new List<EligibilityCohort>(groups.Count);
        foreach (var (code, description, _) in groups)
        {
            if (description is not null)
            {
                cohorts.Add(new EligibilityCohort(code, PersonalisationTokens.Fill(description.Trim(), person), statusName));
            }
        }

        var suitability = new List<SuitabilityRule>();
        if (status == EligibilityStatus.NotActionable)
        {
            // Each group's reasons, distinct by type and priority within the group, then across groups.
            var reasons = groups.SelectMany(g => DistinctByTypeAndPriority(g.Members.SelectMany(c => c.Reasons)));
            foreach (var rule in DistinctByTypeAndPriority(reasons))
            {
                if (!string.IsNullOrEmpty(rule.RuleText))
                {
                    suitability.Add(new SuitabilityRule(
                        TypeCode(rule.Type),
                        PersonalisationTokens.Fill(rule.RuleCode, person),
                        PersonalisationTokens.Fill(rule.RuleText, person)));
                }
            }
        }

        var chosen = request.IncludeActions ? ChooseActions(person, best.Iteration, status, request.Today) : null;

        // An action of the type StatusTextOverrideActionType is not shown: its description replaces the status text.
        var actions = chosen?.Where(a => a.ActionType != StatusTextOverrideActionType).ToList();
        var statusText = chosen?.LastOrDefault(a => a.ActionType == StatusTextOverrideActionType && a.Description.Length > 0)?.Description
            ?? (best.Iteration.StatusText?.For(status) is { Length: > 0 } custom ? custom : DefaultStatusText(status, target));

        return new ProcessedSuggestion(
            target,
            statusName,
            PersonalisationTokens.Fill(statusText, person),
            cohorts,
            suitability,
            actions);
    }

    private static List<IterationRule> DistinctByTypeAndPriority(IEnumerable<IterationRule> rules)
    {
        var seen = new HashSet<(RuleType, int)>();
        return rules.Where(r => seen.Add((r.Type, r.Priority))).ToList();
    }

    private static IterationResult EvaluateIteration(PersonData person, Iteration iteration, DateOnly today)
    {
        var memberOf = person.CohortLabels;
        var plan = IterationPlan.For(iteration);
        var evaluation = new RuleEvaluation(person, iteration, today);

        // Keyed by cohort label: a label listed twice keeps its first place and its last result.
        var results = new List<CohortResult>(plan.CohortsByPriority.Count);
        var indexByLabel = new Dictionary<string, int>(plan.CohortsByPriority.Count, StringComparer.Ordinal);
        foreach (var cohort in plan.CohortsByPriority)
        {
            var result = EvaluateCohort(evaluation, memberOf, cohort, plan.RulesFor(cohort.Label));
            if (indexByLabel.TryGetValue(cohort.Label, out var at))
            {
                results[at] = result;
            }
            else
            {
                indexByLabel[cohort.Label] = results.Count;
                results.Add(result);
            }
        }

        if (results.Count == 0)
        {
            return new IterationResult(iteration, EligibilityStatus.NotEligible, []);
        }

        var status = EligibilityStatus.NotEligible;
        foreach (var result in results)
        {
            status = result.Status > status ? result.Status : status;
        }

        return new IterationResult(iteration, status, results.FindAll(r => r.Status == status));
    }

    private static CohortResult EvaluateCohort(RuleEvaluation evaluation, IReadOnlySet<string> memberOf, IterationCohort cohort, CohortRules rules)
    {
        if (!cohort.IsVirtual && !memberOf.Contains(cohort.Label))
        {
            return new CohortResult(cohort, EligibilityStatus.NotEligible, cohort.NegativeDescription, []);
        }

        foreach (var applicable in rules.Filters)
        {
            if (applicable.Length > 0 && evaluation.MatchesAll(applicable))
            {
                return new CohortResult(cohort, EligibilityStatus.NotEligible, cohort.NegativeDescription, applicable);
            }
        }

        List<IterationRule>? reasons = null;
        foreach (var (applicable, ruleStop) in rules.Suppressions)
        {
            if (applicable.Length == 0 || !evaluation.MatchesAll(applicable))
            {
                continue;
            }

            (reasons ??= []).AddRange(applicable);
            if (ruleStop)
            {
                break;
            }
        }

        return reasons is null
            ? new CohortResult(cohort, EligibilityStatus.Actionable, cohort.PositiveDescription, [])
            : new CohortResult(cohort, EligibilityStatus.NotActionable, cohort.PositiveDescription, reasons);
    }

    /// <summary>The rules that concern one cohort, by priority group: filter groups, then suppression groups with their stop.</summary>
    private sealed record CohortRules(IReadOnlyList<IterationRule[]> Filters, IReadOnlyList<(IterationRule[] Rules, bool RuleStop)> Suppressions);

    /// <summary>
    /// What an iteration's rules come to for each of its cohorts, worked out once per iteration (configs do not change once
    /// loaded: a new version is a new object): cohorts in priority order, and for each cohort label the rules of each filter
    /// and suppression priority group that concern it. A suppression group that names cohorts, none of them this one, does
    /// not concern this cohort at all (an empty group here).
    /// </summary>
    private sealed class IterationPlan
    {
        private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<Iteration, IterationPlan> s_plans = new();

        private readonly Dictionary<string, CohortRules> _byLabel = new(StringComparer.Ordinal);
        private readonly List<List<IterationRule>> _filters;
        private readonly List<List<IterationRule>> _suppressions;

        private IterationPlan(Iteration iteration)
        {
            List<List<IterationRule>> GroupsOf(RuleType type) => PriorityGroups(iteration.Rules.Where(r => r.Type == type)).ToList();

            CohortsByPriority = [.. iteration.Cohorts.OrderBy(c => c.Priority)];
            _filters = GroupsOf(RuleType.Filter);
            _suppressions = GroupsOf(RuleType.Suppression);
            foreach (var cohort in iteration.Cohorts)
            {
                _byLabel.TryAdd(cohort.Label, Build(cohort.Label));
            }

            ActionGroups = new[] { RuleType.Redirect, RuleType.NotActionableActions, RuleType.NotEligibleActions }
                .ToDictionary(type => type, GroupsOf);
            VirtualLabels = [.. iteration.Cohorts.Where(c => c.IsVirtual).Select(c => c.Label)];
        }

        public IReadOnlyList<IterationCohort> CohortsByPriority { get; }

        /// <summary>Redirect (R), not-eligible (X) and not-actionable (Y) rules, by priority group.</summary>
        public IReadOnlyDictionary<RuleType, List<List<IterationRule>>> ActionGroups { get; }

        public IReadOnlyList<string> VirtualLabels { get; }

        public static IterationPlan For(Iteration iteration) => s_plans.GetValue(iteration, static i => new IterationPlan(i));

        public CohortRules RulesFor(string label) => _byLabel[label];

        private CohortRules Build(string label)
        {
            var filters = _filters.Select(g => g.Where(r => r.AppliesTo(label)).ToArray()).ToList();
            var suppressions = _suppressions
                .Select(g => g.Any(r => r.CohortLabels.Count > 0) && !g.Any(r => r.CohortLabels.Count > 0 && r.AppliesTo(label))
                    ? (Rules: Array.Empty<IterationRule>(), RuleStop: false)
                    : (Rules: g.Where(r => r.AppliesTo(label)).ToArray(), RuleStop: g.Any(r => r.RuleStop)))
                .ToList();
            return new CohortRules(filters, suppressions);
        }
    }

    /// <summary>
    /// One person against one iteration's rules: each rule is evaluated at most once, however many cohorts it concerns.
    /// </summary>
    private sealed class RuleEvaluation(PersonData person, Iteration iteration, DateOnly today)
    {
        private readonly Dictionary<IterationRule, bool> _results = new(ReferenceEqualityComparer.Instance);
        private string? _cohortLabels;
        private bool _cohortLabelsRead;

        public bool Matches(IterationRule rule)
        {
            if (!_results.TryGetValue(rule, out var matched))
            {
                matched = rule.Level == AttributeLevel.Cohort && IsCohortLabel(rule)
                    ? rule.Condition.Matches(CohortLabels(), today)
                    : EligibilityEngine.Matches(rule, person, iteration, today);
                _results[rule] = matched;
            }

            return matched;
        }

        public bool MatchesAll(IterationRule[] rules)
        {
            foreach (var rule in rules)
            {
                if (!Matches(rule))
                {
                    return false;
                }
            }

            return true;
        }

        /// <summary>The person's cohort labels as a COHORT_LABEL rule sees them, worked out once for all such rules.</summary>
        private string? CohortLabels()
        {
            if (!_cohortLabelsRead)
            {
                _cohortLabels = CohortLabelValue(person, IterationPlan.For(iteration).VirtualLabels);
                _cohortLabelsRead = true;
            }

            return _cohortLabels;
        }
    }

    /// <summary>Rules with the same priority form one group (all must match); groups come lowest priority number first.</summary>
    public static IEnumerable<List<IterationRule>> PriorityGroups(IEnumerable<IterationRule> rules) =>
        rules.GroupBy(r => r.Priority).OrderBy(g => g.Key).Select(g => g.ToList());

    /// <summary>Whether the person's attribute named by the rule satisfies the rule's condition.</summary>
    public static bool Matches(IterationRule rule, PersonData person, Iteration iteration, DateOnly today) =>
        rule.Condition.Matches(AttributeValue(rule, person, iteration), today);

    /// <summary>
    /// The value a rule tests. At COHORT level it is the person's cohort labels, comma-separated, including the iteration's
    /// virtual cohorts (everyone belongs to those).
    /// </summary>
    public static string? AttributeValue(IterationRule rule, PersonData person, Iteration iteration)
    {
        switch (rule.Level)
        {
            case AttributeLevel.Person:
                return person.Person?[rule.AttributeName ?? ""];
            case AttributeLevel.Target:
                return person.Row(rule.AttributeTarget ?? "")?[rule.AttributeName ?? ""];
            default:
                if (IsCohortLabel(rule))
                {
                    return CohortLabelValue(person, iteration.Cohorts.Where(c => c.IsVirtual).Select(c => c.Label));
                }

                return person.Rows.FirstOrDefault(r => r.AttributeType == "COHORTS")?[rule.AttributeName!];
        }
    }

    private static bool IsCohortLabel(IterationRule rule) => string.IsNullOrEmpty(rule.AttributeName) || rule.AttributeName == "COHORT_LABEL";

    /// <summary>The person's cohort labels and the iteration's virtual ones, each once, comma-separated (null when none).</summary>
    private static string? CohortLabelValue(PersonData person, IEnumerable<string> virtualLabels)
    {
        var cohorts = person.Rows.FirstOrDefault(r => r.AttributeType == "COHORTS");
        var labels = (cohorts?.CohortMemberships.Select(m => m.Label) ?? [])
            .Concat(virtualLabels)
            .Distinct(StringComparer.Ordinal)
            .ToList();
        return labels.Count == 0 ? null : string.Join(',', labels);
    }

    private static List<SuggestedAction> ChooseActions(PersonData person, Iteration iteration, EligibilityStatus status, DateOnly today)
    {
        var (type, defaultRouting) = status switch
        {
            EligibilityStatus.Actionable => (RuleType.Redirect, iteration.DefaultCommsRouting),
            EligibilityStatus.NotActionable => (RuleType.NotActionableActions, iteration.DefaultNotActionableRouting),
            _ => (RuleType.NotEligibleActions, iteration.DefaultNotEligibleRouting),
        };

        var actions = ActionsFor(iteration, defaultRouting);
        var evaluation = new RuleEvaluation(person, iteration, today);
        foreach (var group in IterationPlan.For(iteration).ActionGroups[type])
        {
            var routing = group[0].CommsRouting;
            if (!string.IsNullOrEmpty(routing) && group.TrueForAll(evaluation.Matches))
            {
                var chosen = ActionsFor(iteration, routing);
                if (chosen.Count > 0)
                {
                    actions = chosen;
                }

                break;
            }
        }

        return actions.Select(a => new SuggestedAction(
            PersonalisationTokens.Fill(a.ActionType, person),
            PersonalisationTokens.Fill(a.ActionCode, person),
            PersonalisationTokens.Fill(a.ActionDescription ?? "", person),
            PersonalisationTokens.Fill(a.UrlLink ?? "", person),
            PersonalisationTokens.Fill(a.UrlLabel ?? "", person))).ToList();
    }

    private static List<AvailableAction> ActionsFor(Iteration iteration, string? routing)
    {
        var actions = new List<AvailableAction>();
        foreach (var code in (routing ?? "").Split('|'))
        {
            if (iteration.ActionsMapper.TryGetValue(code, out var action))
            {
                actions.Add(action);
            }
        }

        return actions;
    }

    public static string StatusName(EligibilityStatus status) => status switch
    {
        EligibilityStatus.Actionable => "Actionable",
        EligibilityStatus.NotActionable => "NotActionable",
        _ => "NotEligible",
    };

    public static string TypeCode(RuleType type) => type switch
    {
        RuleType.Filter => "F",
        RuleType.Suppression => "S",
        RuleType.Redirect => "R",
        RuleType.NotEligibleActions => "X",
        _ => "Y",
    };

    public static string DefaultStatusText(EligibilityStatus status, string condition) => status switch
    {
        EligibilityStatus.NotEligible => "We do not believe you can have it",
        _ => $"You should have the {condition} vaccine",
    };
}
