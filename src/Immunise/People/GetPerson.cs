using Dapper;
using Immunise.Storage;

namespace Immunise.People;

/// <summary>Reads one person from the register by NHS number.</summary>
public sealed class GetPerson(Database database)
{
    public const string Columns =
        """
        nhs_number, given_name, family_name, date_of_birth, sex, postcode, gp_practice_code, ethnicity, care_home_resident,
        clinical_risk_groups, occupations, mobile, email, address, date_of_death
        """;

    public async Task<Person?> HandleAsync(NhsNumber nhsNumber, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var row = await connection.QuerySingleOrDefaultAsync<PersonRow>(new CommandDefinition(
            $"SELECT {Columns} FROM people WHERE nhs_number = @nhs", new { nhs = nhsNumber.Value }, cancellationToken: cancellationToken));
        return row?.ToPerson();
    }

    public async Task<bool> ExistsAsync(NhsNumber nhsNumber, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return await connection.ExecuteScalarAsync<int>(new CommandDefinition(
            "SELECT COUNT(*) FROM people WHERE nhs_number = @nhs", new { nhs = nhsNumber.Value }, cancellationToken: cancellationToken)) > 0;
    }
}

/// <summary>The stored shape of a person.</summary>
public sealed class PersonRow
{
    public string NhsNumber { get; set; } = "";
    public string GivenName { get; set; } = "";
    public string FamilyName { get; set; } = "";
    public DateOnly DateOfBirth { get; set; }
    public string Sex { get; set; } = "";
    public string Postcode { get; set; } = "";
    public string? GpPracticeCode { get; set; }
    public string? Ethnicity { get; set; }
    public bool CareHomeResident { get; set; }
    public string? ClinicalRiskGroups { get; set; }
    public string? Occupations { get; set; }
    public string? Mobile { get; set; }
    public string? Email { get; set; }
    public string? Address { get; set; }
    public DateOnly? DateOfDeath { get; set; }

    public Person ToPerson() => new(
        People.NhsNumber.Parse(NhsNumber), GivenName, FamilyName, DateOfBirth, Sex, Postcode, GpPracticeCode, Ethnicity,
        CareHomeResident, PersonCodes.Split(ClinicalRiskGroups), PersonCodes.Split(Occupations), Mobile, Email, Address, DateOfDeath);
}
