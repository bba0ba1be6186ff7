using System.Data.Common;
using Dapper;
using Immunise.Storage;

namespace Immunise.People;

/// <summary>Reads one person from the register by NHS number.</summary>
public sealed class GetPerson
{
    public const string Columns =
        """
        nhs_number, given_name, family_name, date_of_birth, sex, postcode, gp_practice_code, ethnicity, care_home_resident,
        clinical_risk_groups, occupations, mobile, email, address, date_of_death
        """;

    private static readonly string s_byNhsNumber = $"SELECT {Columns} FROM people WHERE nhs_number = @nhs";
    private static readonly string s_byNhsNumbers = $"SELECT {Columns} FROM people WHERE nhs_number = ANY(@nhs)";

    private readonly Database _database;
    private readonly ReadBatcher<string, Person>? _batched;

    public GetPerson(Database database)
    {
        _database = database;
        _batched = database.BatchedReads<string, Person>(ReadManyAsync);
    }

    public async Task<Person?> HandleAsync(NhsNumber nhsNumber, CancellationToken cancellationToken = default)
    {
        if (_batched is not null)
        {
            return await _batched.GetAsync(nhsNumber.Value, cancellationToken);
        }

        return await _database.ReadAsync(
            s_byNhsNumber,
            command => Storage.Columns.Parameter(command, "nhs", nhsNumber.Value),
            async (reader, ct) => await reader.ReadAsync(ct) ? PersonRow.Read(reader).ToPerson() : null,
            cancellationToken);
    }

    /// <summary>On PostgreSQL: the people with any of these NHS numbers, in one statement.</summary>
    private Task<IReadOnlyDictionary<string, Person>> ReadManyAsync(string[] nhsNumbers) =>
        _database.ReadByKeysAsync<IReadOnlyDictionary<string, Person>>(
            s_byNhsNumbers,
            command => Storage.Columns.Parameter(command, "nhs", nhsNumbers),
            async (reader, ct) =>
            {
                var found = new Dictionary<string, Person>(nhsNumbers.Length);
                while (await reader.ReadAsync(ct))
                {
                    var person = PersonRow.Read(reader).ToPerson();
                    found[person.NhsNumber.Value] = person;
                }

                return found;
            });

    public async Task<bool> ExistsAsync(NhsNumber nhsNumber, CancellationToken cancellationToken = default)
    {
        return await _database.ReadAsync(
            "SELECT 1 FROM people WHERE nhs_number = @nhs",
            command => Storage.Columns.Parameter(command, "nhs", nhsNumber.Value),
            async (reader, ct) => await reader.ReadAsync(ct),
            cancellationToken);
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

    /// <summary>Maps a row selected with <see cref="GetPerson.Columns"/>, by position (the lookup's hot path).</summary>
    public static PersonRow Read(DbDataReader reader) => new()
    {
        NhsNumber = Storage.Columns.Text(reader, 0),
        GivenName = Storage.Columns.Text(reader, 1),
        FamilyName = Storage.Columns.Text(reader, 2),
        DateOfBirth = Storage.Columns.Date(reader, 3),
        Sex = Storage.Columns.Text(reader, 4),
        Postcode = Storage.Columns.Text(reader, 5),
        GpPracticeCode = Storage.Columns.TextOrNull(reader, 6),
        Ethnicity = Storage.Columns.TextOrNull(reader, 7),
        CareHomeResident = Storage.Columns.Boolean(reader, 8),
        ClinicalRiskGroups = Storage.Columns.TextOrNull(reader, 9),
        Occupations = Storage.Columns.TextOrNull(reader, 10),
        Mobile = Storage.Columns.TextOrNull(reader, 11),
        Email = Storage.Columns.TextOrNull(reader, 12),
        Address = Storage.Columns.TextOrNull(reader, 13),
        DateOfDeath = Storage.Columns.DateOrNull(reader, 14),
    };

    public Person ToPerson() => new(
        People.NhsNumber.FromStored(NhsNumber), GivenName, FamilyName, DateOfBirth, Sex, Postcode, GpPracticeCode, Ethnicity,
        CareHomeResident, PersonCodes.Split(ClinicalRiskGroups), PersonCodes.Split(Occupations), Mobile, Email, Address, DateOfDeath);
}
