using System.Collections.Frozen;

namespace Immunise.People;

/// <summary>
/// The coded lists a person's record uses. Kept small and explicit: each code is what an import file or the API carries.
/// </summary>
public static class PersonCodes
{
    /// <summary>NHS Data Dictionary ethnic category codes (2001 census categories, as GP systems record them).</summary>
    public static readonly FrozenDictionary<string, string> EthnicCategories = new Dictionary<string, string>
    {
        ["A"] = "White - British",
        ["B"] = "White - Irish",
        ["C"] = "White - Any other White background",
        ["D"] = "Mixed - White and Black Caribbean",
        ["E"] = "Mixed - White and Black African",
        ["F"] = "Mixed - White and Asian",
        ["G"] = "Mixed - Any other mixed background",
        ["H"] = "Asian or Asian British - Indian",
        ["J"] = "Asian or Asian British - Pakistani",
        ["K"] = "Asian or Asian British - Bangladeshi",
        ["L"] = "Asian or Asian British - Any other Asian background",
        ["M"] = "Black or Black British - Caribbean",
        ["N"] = "Black or Black British - African",
        ["P"] = "Black or Black British - Any other Black background",
        ["R"] = "Other Ethnic Groups - Chinese",
        ["S"] = "Other Ethnic Groups - Any other ethnic group",
        ["Z"] = "Not stated",
    }.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase);

    /// <summary>Clinical risk groups used by the COVID-19 and flu programmes' at-risk cohorts.</summary>
    public static readonly FrozenSet<string> ClinicalRiskGroups = new[]
    {
        "CHRONIC_RESPIRATORY", "CHRONIC_HEART", "CHRONIC_KIDNEY", "CHRONIC_LIVER", "CHRONIC_NEUROLOGICAL",
        "DIABETES", "ASPLENIA", "IMMUNOSUPPRESSION", "MORBID_OBESITY", "LEARNING_DISABILITY",
        "SEVERE_MENTAL_ILLNESS", "PREGNANCY", "CLINICALLY_EXTREMELY_VULNERABLE",
    }.ToFrozenSet(StringComparer.OrdinalIgnoreCase);

    /// <summary>Occupation and caring flags that make a person eligible.</summary>
    public static readonly FrozenSet<string> Occupations = new[]
    {
        "FRONTLINE_HEALTH_WORKER", "FRONTLINE_SOCIAL_CARE_WORKER", "CARE_HOME_WORKER", "UNPAID_CARER",
        "HOUSEHOLD_CONTACT_IMMUNOSUPPRESSED",
    }.ToFrozenSet(StringComparer.OrdinalIgnoreCase);

    /// <summary>Parses a list separated by <c>;</c> or <c>|</c> into canonical upper-case codes, naming the first unknown code.</summary>
    public static bool TryParseList(string? input, FrozenSet<string> allowed, out IReadOnlyList<string> codes, out string? unknown)
    {
        unknown = null;
        if (string.IsNullOrWhiteSpace(input))
        {
            codes = [];
            return true;
        }

        var list = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var part in input.Split([';', '|'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!allowed.TryGetValue(part, out var canonical))
            {
                unknown = part;
                codes = [];
                return false;
            }

            list.Add(canonical);
        }

        codes = [.. list];
        return true;
    }

    /// <summary>The stored form of a code list: sorted, separated by <c>;</c>, or null when empty.</summary>
    public static string? Join(IReadOnlyList<string> codes) => codes.Count == 0 ? null : string.Join(';', codes);

    public static IReadOnlyList<string> Split(string? stored) =>
        string.IsNullOrEmpty(stored) ? [] : stored.Split(';');
}
