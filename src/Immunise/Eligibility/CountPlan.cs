using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.RegularExpressions;

namespace Immunise.Eligibility;

/// <summary>
/// What a whole-register count needs of one person, read straight from the register's columns (see
/// <see cref="RegisterScan"/>): dates as <c>yyyymmdd</c> numbers (0 when missing), cohort memberships as flags by the plan's
/// label numbers, and per target the facts its vaccination events give. One instance is reused for every person a worker reads.
/// </summary>
internal sealed class ScannedPerson(int labels, int targets)
{
    public long NhsNumber;
    public int DateOfBirth;
    public int DateOfDeath;
    public bool CareHomeResident;
    public string? ClinicalRiskGroups;
    public string? Occupations;
    public string Sex = "";
    public string Postcode = "";
    public string? GpPracticeCode;
    public string? IcbOdsCode;
    public string? RegionOdsCode;
    public string? LsoaCode;

    /// <summary>Membership of each label the plan knows, stored or derived from the register's flags.</summary>
    public readonly bool[] Member = new bool[labels];

    /// <summary>Whether the person belongs to any cohort at all (known to the plan or not).</summary>
    public bool AnyCohort;

    /// <summary>Per target the plan reads (<see cref="CountPlan.Targets"/>).</summary>
    public readonly TargetFacts[] Targets = new TargetFacts[targets];

    private Dictionary<string, string?>? _personValues;

    public void Clear()
    {
        Array.Clear(Member);
        Array.Clear(Targets);
        AnyCohort = false;
        _personValues = null;
    }

    /// <summary>A PERSON attribute exactly as <see cref="RegisterPersonData"/> gives it (for rules the plan does not specialise).</summary>
    public string? PersonValue(string attribute)
    {
        _personValues ??= RegisterPersonData.PersonAttributes(new RegisterPersonData.PersonFacts
        {
            NhsNumber = NhsNumber.ToString("D10", CultureInfo.InvariantCulture),
            DateOfBirth = CountPlan.ToDate(DateOfBirth),
            Sex = Sex,
            Postcode = Postcode,
            GpPracticeCode = GpPracticeCode,
            CareHomeResident = CareHomeResident,
            ClinicalRiskGroups = ClinicalRiskGroups,
            Occupations = Occupations,
            DateOfDeath = DateOfDeath == 0 ? null : CountPlan.ToDate(DateOfDeath),
            IcbOdsCode = IcbOdsCode,
            RegionOdsCode = RegionOdsCode,
            LsoaCode = LsoaCode,
        });
        return _personValues.TryGetValue(attribute, out var value) ? value : null;
    }
}

/// <summary>A person's vaccination events of one target: how many, how many completed, the day of the last completed (yyyymmdd).</summary>
internal struct TargetFacts
{
    public int Events;
    public int Completed;
    public int LastCompleted;
}

/// <summary>Which register columns a plan reads beyond the ones every plan reads (dates of birth and death, flags).</summary>
[Flags]
internal enum ScanColumns
{
    None = 0,
    /// <summary>Sex, postcode, GP practice and the postcode directory's ICB, region and LSOA.</summary>
    AllPersonColumns = 1,
}

/// <summary>
/// One campaign (or several of one ID), on one day, compiled for counting the whole register: the same decisions as
/// <see cref="EligibilityEngine"/> with <c>includeActions=false</c>, reduced to what a count keeps (each condition's
/// status and the cohort groups shown), over <see cref="ScannedPerson"/> rather than NHS England's rows. Each rule becomes a
/// predicate over columns (dates compared as numbers against cut-offs worked out once); rules the plan cannot specialise ask
/// for the attribute's text, made exactly as <see cref="RegisterPersonData"/> makes it, and run the engine's own
/// <see cref="RuleCondition.Matches"/>. <see cref="TryCompile"/> refuses what it cannot decide exactly like the engine
/// (personalisation tokens in the texts a decision fills, cohort labels with commas, COHORT_LABEL tests other than membership);
/// the count then takes the engine's path.
/// </summary>
internal sealed partial class CountPlan
{
    private readonly Dictionary<string, int> _labels;

    private readonly CompiledRule[] _allRules;
    private readonly int[] _cohortLabels;

    private CountPlan(Dictionary<string, int> labels, IReadOnlyList<string> targets, ScanColumns columns, IReadOnlyList<ConditionPlan> conditions)
    {
        _labels = labels;
        Targets = targets;
        Columns = columns;
        Conditions = conditions;
        _allRules = [.. conditions.SelectMany(c => c.Iterations).SelectMany(i => i.Rules)];
        _cohortLabels = [.. conditions.SelectMany(c => c.Iterations).SelectMany(i => i.Cohorts).Where(c => !c.IsVirtual).Select(c => c.Label).Distinct()];
        HasSignature = _allRules.Length + _cohortLabels.Length <= 64;
    }

    /// <summary>Register target diseases (e.g. <c>FLU</c>, <c>COVID19</c>) whose events the plan reads, by slot.</summary>
    public IReadOnlyList<string> Targets { get; }

    public ScanColumns Columns { get; }

    public IReadOnlyList<ConditionPlan> Conditions { get; }

    public int LabelCount => _labels.Count;

    /// <summary>The plan's number for a cohort label, or -1 when no rule or cohort of the plan names it.</summary>
    public int Label(string label) => _labels.TryGetValue(label, out var index) ? index : -1;

    public static CountPlan? TryCompile(IReadOnlyList<CampaignConfig> campaigns, DateOnly date, out string? whyNot)
    {
        whyNot = null;
        var request = new EligibilityRequest(new PersonData([]), campaigns, date, IncludeActions: false);
        var now = request.Now;
        var builder = new Builder(date);
        var conditions = new List<ConditionPlan>();
        foreach (var (target, live) in EligibilityEngine.SelectCampaigns(request))
        {
            var current = live.Select(c => c.CurrentIteration(now)).OfType<Iteration>().ToList();
            if (current.Count == 0)
            {
                continue;
            }

            var latest = current.Max(i => i.StartsAt);
            var groups = new Dictionary<string, int>(StringComparer.Ordinal);
            var iterations = new List<IterationPlan>();
            foreach (var iteration in current.Where(i => i.StartsAt == latest))
            {
                var plan = builder.Iteration(target, iteration, groups, out whyNot);
                if (plan is null)
                {
                    return null;
                }

                iterations.Add(plan);
            }

            conditions.Add(new ConditionPlan(target, [.. groups.OrderBy(g => g.Value).Select(g => g.Key)], iterations));
        }

        return new CountPlan(builder.Labels, builder.TargetSlots, builder.Columns, conditions);
    }

    /// <summary>Whether <see cref="Signature"/> fits every rule and cohort label of the plan (at most 64).</summary>
    public bool HasSignature { get; }

    /// <summary>
    /// All a person's decision depends on, one bit each: every rule's result and membership of every cohort label the plan's
    /// cohorts name. People with the same signature are decided alike, so a count decides each distinct signature once and
    /// costs every other person only their rules' predicates and a lookup.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public ulong Signature(ScannedPerson person)
    {
        ulong bits = 0;
        var bit = 0;
        foreach (var rule in _allRules)
        {
            bits |= rule.Matches(person) ? 1UL << bit : 0;
            bit++;
        }

        foreach (var label in _cohortLabels)
        {
            bits |= person.Member[label] ? 1UL << bit : 0;
            bit++;
        }

        return bits;
    }

    public static int ToNumber(DateOnly date)
    {
        date.Deconstruct(out var year, out var month, out var day);
        return (year * 10_000) + (month * 100) + day;
    }

    public static DateOnly ToDate(int number) => new(number / 10_000, number / 100 % 100, number % 100);

    /// <summary>One condition (target): its groups, numbered, and the iterations that speak for it (those that started last).</summary>
    internal sealed record ConditionPlan(string Condition, IReadOnlyList<string> Groups, IReadOnlyList<IterationPlan> Iterations);

    /// <summary>A cohort of an iteration: its label (or -1 when virtual), the slot its result goes to, its group and rules.</summary>
    internal sealed record CohortPlan(
        int Label,
        bool IsVirtual,
        int Slot,
        int Group,
        bool HasPositiveDescription,
        bool HasNegativeDescription,
        int[][] FilterGroups,
        SuppressionGroup[] SuppressionGroups)
    {
        /// <summary>Whether this is the last cohort listed with its label: the one whose result (and group) the slot keeps.</summary>
        public bool KeepsSlot { get; init; }
    }

    internal sealed record SuppressionGroup(int[] Rules, bool Stop);

    internal sealed record IterationPlan(CompiledRule[] Rules, CohortPlan[] Cohorts, int Slots);

    private sealed class Builder(DateOnly today)
    {
        /// <summary>
        /// Texts are not counted, but the engine refuses a person whose texts carry a token their data cannot fill, so a
        /// text may be ignored only when its tokens fill for every register person: those naming attributes the register
        /// always gives (or a target's, which are all there once the person has that target's events), tried on a person
        /// with no optional attributes, with and without each target's row, with and without a last successful date.
        /// </summary>
        private static bool TokensAlwaysFill(string text)
        {
            if (!text.Contains("[[", StringComparison.Ordinal))
            {
                return true;
            }

            var person = RegisterPersonData.PersonAttributes(new RegisterPersonData.PersonFacts
            {
                NhsNumber = "9990000018", DateOfBirth = new DateOnly(1950, 1, 1), Sex = "female", GpPracticeCode = "A81001",
            });
            var probes = new[]
            {
                RegisterPersonData.TargetAttributes(new DateOnly(2021, 3, 1), 2, 3),
                RegisterPersonData.TargetAttributes(null, 0, 1),
                null,
            };
            foreach (var targetRow in probes)
            {
                var rows = new List<PersonDataRow> { new("PERSON", person, []) };
                if (targetRow is not null)
                {
                    rows.AddRange(RegisterPersonData.TargetRows.Values.Distinct().Select(t => new PersonDataRow(t, targetRow, [])));
                }

                try
                {
                    PersonalisationTokens.Fill(text, new PersonData(rows));
                }
                catch (PersonalisationTokenException)
                {
                    return false;
                }
            }

            return true;
        }

        public Dictionary<string, int> Labels { get; } = new(StringComparer.Ordinal);

        public List<string> TargetSlots { get; } = [];

        public ScanColumns Columns { get; private set; }

        public IterationPlan? Iteration(string target, Iteration iteration, Dictionary<string, int> groups, out string? whyNot)
        {
            whyNot = null;
            var texts = iteration.Cohorts.SelectMany(c => new[] { c.PositiveDescription, c.NegativeDescription })
                .Concat(iteration.Rules.Where(r => r.Type == RuleType.Suppression).SelectMany(r => new[] { r.RuleCode, r.RuleText }))
                .Concat([iteration.StatusText?.NotEligible, iteration.StatusText?.NotActionable, iteration.StatusText?.Actionable]);
            if (texts.FirstOrDefault(t => t is not null && !TokensAlwaysFill(t)) is { } unsafeText)
            {
                whyNot = $"iteration '{iteration.Id}' of {target} has a text whose tokens may not fill from the register: '{unsafeText}'";
                return null;
            }

            if (iteration.Cohorts.Any(c => c.Label.Contains(',', StringComparison.Ordinal)))
            {
                whyNot = $"iteration '{iteration.Id}' of {target} has a cohort label with a comma";
                return null;
            }

            foreach (var cohort in iteration.Cohorts.Where(c => !c.IsVirtual))
            {
                Label(cohort.Label);
            }

            var virtualLabels = iteration.Cohorts.Where(c => c.IsVirtual).Select(c => c.Label).ToHashSet(StringComparer.Ordinal);
            var considered = iteration.Rules.Where(r => r.Type is RuleType.Filter or RuleType.Suppression).ToList();
            var rules = new CompiledRule[considered.Count];
            var numbers = new Dictionary<IterationRule, int>(ReferenceEqualityComparer.Instance);
            for (var i = 0; i < considered.Count; i++)
            {
                var compiled = Compile(considered[i], virtualLabels, out whyNot);
                if (compiled is null)
                {
                    whyNot = $"iteration '{iteration.Id}' of {target}, rule '{considered[i].Name}': {whyNot}";
                    return null;
                }

                rules[i] = compiled;
                numbers[considered[i]] = i;
            }

            var filters = EligibilityEngine.PriorityGroups(considered.Where(r => r.Type == RuleType.Filter)).ToList();
            var suppressions = EligibilityEngine.PriorityGroups(considered.Where(r => r.Type == RuleType.Suppression)).ToList();
            var cohorts = new List<CohortPlan>();
            var slots = new Dictionary<string, int>(StringComparer.Ordinal);
            foreach (var cohort in iteration.Cohorts.OrderBy(c => c.Priority))
            {
                if (!slots.TryGetValue(cohort.Label, out var slot))
                {
                    slot = slots[cohort.Label] = slots.Count;
                }

                if (!groups.TryGetValue(cohort.Group, out var group))
                {
                    group = groups[cohort.Group] = groups.Count;
                }

                var filterGroups = filters
                    .Select(g => g.Where(r => r.AppliesTo(cohort.Label)).Select(r => numbers[r]).ToArray())
                    .Where(g => g.Length > 0)
                    .ToArray();
                var suppressionGroups = suppressions
                    .Where(g => !(g.Any(r => r.CohortLabels.Count > 0) && !g.Any(r => r.CohortLabels.Count > 0 && r.AppliesTo(cohort.Label))))
                    .Select(g => new SuppressionGroup(g.Where(r => r.AppliesTo(cohort.Label)).Select(r => numbers[r]).ToArray(), g.Any(r => r.RuleStop)))
                    .Where(g => g.Rules.Length > 0)
                    .ToArray();
                cohorts.Add(new CohortPlan(
                    cohort.IsVirtual ? -1 : Labels[cohort.Label],
                    cohort.IsVirtual,
                    slot,
                    group,
                    !string.IsNullOrWhiteSpace(cohort.PositiveDescription),
                    !string.IsNullOrWhiteSpace(cohort.NegativeDescription),
                    filterGroups,
                    suppressionGroups));
            }

            var keeping = cohorts.Select((c, i) => (c.Slot, i)).GroupBy(x => x.Slot).Select(g => g.Last().i).ToHashSet();
            return new IterationPlan(rules, [.. cohorts.Select((c, i) => c with { KeepsSlot = keeping.Contains(i) })], slots.Count);
        }

        private int Label(string label)
        {
            if (!Labels.TryGetValue(label, out var index))
            {
                index = Labels[label] = Labels.Count;
            }

            return index;
        }

        private int TargetSlot(string disease)
        {
            var at = TargetSlots.IndexOf(disease);
            if (at < 0)
            {
                TargetSlots.Add(disease);
                at = TargetSlots.Count - 1;
            }

            return at;
        }

        private CompiledRule? Compile(IterationRule rule, HashSet<string> virtualLabels, out string? whyNot)
        {
            whyNot = null;
            var condition = rule.Condition;
            var whenMissing = condition.Matches(null, today);
            switch (rule.Level)
            {
                case AttributeLevel.Person:
                    switch (rule.AttributeName)
                    {
                        case "DATE_OF_BIRTH":
                            return DateRule(p => p.DateOfBirth, condition, whenMissing) ?? PersonText(rule);
                        case "DATE_OF_DEATH":
                            return DateRule(p => p.DateOfDeath, condition, whenMissing) ?? PersonText(rule);
                        default:
                            return PersonText(rule);
                    }

                case AttributeLevel.Target:
                    var disease = RegisterPersonData.TargetRows.FirstOrDefault(t => t.Value == rule.AttributeTarget).Key;
                    if (disease is null)
                    {
                        // The register keeps no events of this target: the row is missing.
                        return new ConstantRule(whenMissing);
                    }

                    var slot = TargetSlot(disease);
                    if (rule.AttributeName is "LAST_SUCCESSFUL_DATE" or "LAST_VALID_DOSE_DATE")
                    {
                        return DateRule(p => p.Targets[slot].Completed > 0 ? p.Targets[slot].LastCompleted : 0, condition, whenMissing)
                            ?? new TargetTextRule(slot, rule.AttributeName, condition, today) as CompiledRule;
                    }

                    return new TargetTextRule(slot, rule.AttributeName ?? "", condition, today);

                default:
                    if (!string.IsNullOrEmpty(rule.AttributeName) && rule.AttributeName != "COHORT_LABEL")
                    {
                        // The register's COHORTS row has no values other than the memberships.
                        return new ConstantRule(whenMissing);
                    }

                    if (condition.Kind is not (OperatorKind.In or OperatorKind.NotIn))
                    {
                        whyNot = $"COHORT_LABEL with '{condition.Operator}'";
                        return null;
                    }

                    var wanted = condition.Value.Split(',');
                    return new MembershipRule(
                        [.. wanted.Where(w => !virtualLabels.Contains(w)).Distinct(StringComparer.Ordinal).Select(Label)],
                        wanted.Any(virtualLabels.Contains),
                        virtualLabels.Count > 0,
                        condition.Kind == OperatorKind.In,
                        whenMissing);
            }
        }

        private CompiledRule PersonText(IterationRule rule)
        {
            Columns |= ScanColumns.AllPersonColumns;
            return new PersonTextRule(rule.AttributeName ?? "", rule.Condition, today);
        }

        /// <summary>A rule on a date attribute decided on the yyyymmdd number, or null when only the text will do.</summary>
        private CompiledRule? DateRule(Func<ScannedPerson, int> value, RuleCondition condition, bool whenMissing)
        {
            switch (condition.Kind)
            {
                case OperatorKind.Date:
                    var start = condition.Offset ?? today;
                    var cutoff = condition.Unit switch
                    {
                        DateUnit.Days => start.AddDays(condition.Amount),
                        DateUnit.Weeks => start.AddDays(7 * condition.Amount),
                        _ => start.AddYears(condition.Amount),
                    };
                    return new DateCompareRule(value, ToNumber(cutoff), condition.DateComparison, whenMissing);
                case OperatorKind.Equal or OperatorKind.NotEqual or OperatorKind.GreaterThan or OperatorKind.GreaterThanOrEqual
                    or OperatorKind.LessThan or OperatorKind.LessThanOrEqual
                    when IntegerPattern().IsMatch(condition.Value)
                        && long.TryParse(condition.Value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var number):
                    // Both sides are whole numbers (a date's text is eight digits): the engine compares them as numbers.
                    return new DateCompareRule(value, number, condition.Kind, whenMissing);
                case OperatorKind.IsNull or OperatorKind.IsEmpty:
                    return new DateCompareRule(value, 0, OperatorKind.IsNull, whenMissing);
                case OperatorKind.IsNotNull or OperatorKind.IsNotEmpty:
                    return new DateCompareRule(value, 0, OperatorKind.IsNotNull, whenMissing);
                default:
                    return null;
            }
        }
    }

    [GeneratedRegex(@"^-?\d+$")]
    private static partial Regex IntegerPattern();

    internal abstract class CompiledRule
    {
        public abstract bool Matches(ScannedPerson person);
    }

    private sealed class ConstantRule(bool result) : CompiledRule
    {
        public override bool Matches(ScannedPerson person) => result;
    }

    /// <summary>A date (yyyymmdd, 0 when missing) against a number; a missing date gives what the engine gives for null.</summary>
    private sealed class DateCompareRule(Func<ScannedPerson, int> value, long against, OperatorKind comparison, bool whenMissing) : CompiledRule
    {
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public override bool Matches(ScannedPerson person)
        {
            var date = value(person);
            if (date == 0)
            {
                return whenMissing;
            }

            return comparison switch
            {
                OperatorKind.IsNull => false,
                OperatorKind.IsNotNull => true,
                OperatorKind.Equal => date == against,
                OperatorKind.NotEqual => date != against,
                OperatorKind.GreaterThan => date > against,
                OperatorKind.GreaterThanOrEqual => date >= against,
                OperatorKind.LessThan => date < against,
                _ => date <= against,
            };
        }
    }

    private sealed class PersonTextRule(string attribute, RuleCondition condition, DateOnly today) : CompiledRule
    {
        public override bool Matches(ScannedPerson person) => condition.Matches(person.PersonValue(attribute), today);
    }

    /// <summary>A target attribute's text exactly as <see cref="RegisterPersonData"/> makes it from the person's events.</summary>
    private sealed class TargetTextRule(int slot, string attribute, RuleCondition condition, DateOnly today) : CompiledRule
    {
        public override bool Matches(ScannedPerson person)
        {
            var facts = person.Targets[slot];
            string? value = null;
            if (facts.Events > 0)
            {
                var values = RegisterPersonData.TargetAttributes(facts.Completed > 0 ? ToDate(facts.LastCompleted) : null, facts.Completed, facts.Events);
                value = values.TryGetValue(attribute, out var v) ? v : null;
            }

            return condition.Matches(value, today);
        }
    }

    /// <summary>
    /// COHORT_LABEL in / not in a list: the person's labels with the iteration's virtual ones intersect the list when the
    /// person belongs to a listed label or a listed label is virtual. With no label at all the value is missing.
    /// </summary>
    private sealed class MembershipRule(int[] labels, bool listsVirtual, bool hasVirtual, bool isIn, bool whenMissing) : CompiledRule
    {
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public override bool Matches(ScannedPerson person)
        {
            if (!person.AnyCohort && !hasVirtual)
            {
                return whenMissing;
            }

            var intersects = listsVirtual;
            for (var i = 0; !intersects && i < labels.Length; i++)
            {
                intersects = person.Member[labels[i]];
            }

            return isIn ? intersects : !intersects;
        }
    }
}

/// <summary>
/// One worker's counts and scratch space: per condition, people by status and by shown cohort group and status.
/// </summary>
internal sealed class CountTally
{
    private readonly CountPlan _plan;
    private readonly sbyte[][][] _ruleResults;
    private readonly EligibilityStatus[][][] _slotStatus;
    private readonly bool[][][] _slotDescribed;
    private readonly int[][] _groupSeen;
    private readonly Decision _scratch;
    private readonly Dictionary<ulong, Decision>? _decided;
    private int _stamp;

    public CountTally(CountPlan plan)
    {
        _plan = plan;
        var conditions = plan.Conditions;
        Statuses = [.. conditions.Select(_ => new long[3])];
        Cohorts = [.. conditions.Select(c => new long[c.Groups.Count * 3])];
        _ruleResults = [.. conditions.Select(c => c.Iterations.Select(i => new sbyte[i.Rules.Length]).ToArray())];
        _slotStatus = [.. conditions.Select(c => c.Iterations.Select(i => new EligibilityStatus[i.Slots]).ToArray())];
        _slotDescribed = [.. conditions.Select(c => c.Iterations.Select(i => new bool[i.Slots]).ToArray())];
        _groupSeen = [.. conditions.Select(c => new int[c.Groups.Count])];
        _scratch = new Decision(new int[conditions.Count], [.. conditions.Select(c => new int[c.Groups.Count])], new int[conditions.Count]);
        _decided = plan.HasSignature ? [] : null;
    }

    /// <summary>People per status (indexed by <see cref="EligibilityStatus"/>) for each condition of the plan.</summary>
    public long[][] Statuses { get; }

    /// <summary>People per shown cohort group and status (group × 3 + status) for each condition of the plan.</summary>
    public long[][] Cohorts { get; }

    public long People { get; set; }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Add(ScannedPerson person)
    {
        People++;
        if (_decided is null)
        {
            Count(Decide(person));
            return;
        }

        var signature = _plan.Signature(person);
        if (!_decided.TryGetValue(signature, out var decision))
        {
            decision = _decided[signature] = Decide(person).Copy();
        }

        Count(decision);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Count(Decision decision)
    {
        for (var c = 0; c < decision.Status.Length; c++)
        {
            var status = decision.Status[c];
            if (status < 0)
            {
                continue;
            }

            Statuses[c][status]++;
            var cohorts = Cohorts[c];
            var shown = decision.Shown[c];
            for (var g = 0; g < decision.ShownCount[c]; g++)
            {
                cohorts[(shown[g] * 3) + status]++;
            }
        }
    }

    /// <summary>Decides the person into the scratch decision (valid until the next call).</summary>
    private Decision Decide(ScannedPerson person)
    {
        var decision = _scratch;
        for (var c = 0; c < _plan.Conditions.Count; c++)
        {
            var condition = _plan.Conditions[c];
            var best = -1;
            var bestStatus = EligibilityStatus.NotEligible;
            decision.ShownCount[c] = 0;
            for (var i = 0; i < condition.Iterations.Count; i++)
            {
                var status = Evaluate(condition.Iterations[i], person, _ruleResults[c][i], _slotStatus[c][i], _slotDescribed[c][i]);
                if (best < 0 || status > bestStatus)
                {
                    best = i;
                    bestStatus = status;
                }
            }

            decision.Status[c] = best < 0 ? -1 : (int)bestStatus;
            if (best < 0)
            {
                continue;
            }

            var iteration = condition.Iterations[best];
            var slots = _slotStatus[c][best];
            var described = _slotDescribed[c][best];
            var seen = _groupSeen[c];
            _stamp++;
            foreach (var cohort in iteration.Cohorts)
            {
                // A group is shown when one of its cohorts with the person's status has a description for that status.
                if (cohort.KeepsSlot && slots[cohort.Slot] == bestStatus && described[cohort.Slot] && seen[cohort.Group] != _stamp)
                {
                    seen[cohort.Group] = _stamp;
                    decision.Shown[c][decision.ShownCount[c]++] = cohort.Group;
                }
            }
        }

        return decision;
    }

    public void Merge(CountTally other)
    {
        People += other.People;
        for (var c = 0; c < Statuses.Length; c++)
        {
            for (var i = 0; i < Statuses[c].Length; i++)
            {
                Statuses[c][i] += other.Statuses[c][i];
            }

            for (var i = 0; i < Cohorts[c].Length; i++)
            {
                Cohorts[c][i] += other.Cohorts[c][i];
            }
        }
    }

    /// <summary>A person's decision: per condition the status (-1 when none) and the groups shown (the first ShownCount of Shown).</summary>
    private sealed record Decision(int[] Status, int[][] Shown, int[] ShownCount)
    {
        public Decision Copy() => new([.. Status], [.. Shown.Select(g => g.ToArray())], [.. ShownCount]);
    }

    /// <summary>The iteration's status for the person; each cohort's result lands in its slot (a label listed twice keeps its last).</summary>
    private static EligibilityStatus Evaluate(
        CountPlan.IterationPlan iteration, ScannedPerson person, sbyte[] results, EligibilityStatus[] slots, bool[] described)
    {
        Array.Clear(results);
        foreach (var cohort in iteration.Cohorts)
        {
            var status = CohortStatus(iteration, cohort, person, results);
            slots[cohort.Slot] = status;
            described[cohort.Slot] = status == EligibilityStatus.NotEligible ? cohort.HasNegativeDescription : cohort.HasPositiveDescription;
        }

        var best = EligibilityStatus.NotEligible;
        for (var s = 0; s < iteration.Slots; s++)
        {
            if (slots[s] > best)
            {
                best = slots[s];
            }
        }

        return best;
    }

    private static EligibilityStatus CohortStatus(CountPlan.IterationPlan iteration, CountPlan.CohortPlan cohort, ScannedPerson person, sbyte[] results)
    {
        if (!cohort.IsVirtual && !person.Member[cohort.Label])
        {
            return EligibilityStatus.NotEligible;
        }

        foreach (var group in cohort.FilterGroups)
        {
            if (All(iteration, group, person, results))
            {
                return EligibilityStatus.NotEligible;
            }
        }

        var suppressed = false;
        foreach (var group in cohort.SuppressionGroups)
        {
            if (!All(iteration, group.Rules, person, results))
            {
                continue;
            }

            suppressed = true;
            if (group.Stop)
            {
                break;
            }
        }

        return suppressed ? EligibilityStatus.NotActionable : EligibilityStatus.Actionable;
    }

    private static bool All(CountPlan.IterationPlan iteration, int[] rules, ScannedPerson person, sbyte[] results)
    {
        foreach (var rule in rules)
        {
            var known = results[rule];
            if (known == 0)
            {
                known = iteration.Rules[rule].Matches(person) ? (sbyte)1 : (sbyte)-1;
                results[rule] = known;
            }

            if (known < 0)
            {
                return false;
            }
        }

        return true;
    }
}
