namespace Immunise.People;

/// <summary>FHIR administrative gender, as the register stores it.</summary>
public static class Sex
{
    public const string Male = "male";
    public const string Female = "female";
    public const string Other = "other";
    public const string Unknown = "unknown";

    /// <summary>Accepts FHIR codes, M/F/U, and the PDS/NHS Data Dictionary codes 0, 1, 2, 9.</summary>
    public static string? Parse(string? input) => input?.Trim().ToLowerInvariant() switch
    {
        "male" or "m" or "1" => Male,
        "female" or "f" or "2" => Female,
        "other" or "o" or "i" or "indeterminate" => Other,
        "unknown" or "u" or "0" or "9" or "not known" or "not specified" => Unknown,
        _ => null,
    };
}

/// <summary>A person in the national register.</summary>
public sealed record Person(
    NhsNumber NhsNumber,
    string GivenName,
    string FamilyName,
    DateOnly DateOfBirth,
    string Sex,
    string Postcode,
    string? GpPracticeCode = null,
    string? Ethnicity = null,
    bool CareHomeResident = false,
    IReadOnlyList<string>? ClinicalRiskGroups = null,
    IReadOnlyList<string>? Occupations = null,
    string? Mobile = null,
    string? Email = null,
    string? Address = null,
    DateOnly? DateOfDeath = null)
{
    public IReadOnlyList<string> ClinicalRiskGroups { get; init; } = ClinicalRiskGroups ?? [];

    public IReadOnlyList<string> Occupations { get; init; } = Occupations ?? [];

    /// <summary>Age in whole years on a day (a reference date, not today, for campaign rules).</summary>
    public int AgeOn(DateOnly day)
    {
        var age = day.Year - DateOfBirth.Year;
        return DateOfBirth.AddYears(age) > day ? age - 1 : age;
    }
}
