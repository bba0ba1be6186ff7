using System.Globalization;
using System.Text.Json;
using Dapper;
using Immunise.Geography;
using Immunise.People;
using Immunise.Storage;
using Column = Immunise.Storage.Columns;

namespace Immunise.Eligibility;

/// <summary>
/// A person's data in NHS England's format, made from the register: the <c>PERSON</c> row from their record and the
/// postcode directory, <c>COHORTS</c> from their stored memberships and their register flags, and one row per target
/// (<c>COVID</c>, <c>FLU</c>, …) from their vaccination events. Rows imported in NHS England's format
/// (<see cref="ImportEligibilityData"/>) are laid over the derived ones, attribute by attribute.
/// </summary>
public sealed class RegisterPersonData
{
    private readonly Database _database;
    private readonly ReadBatcher<string, PersonData>? _batched;

    public RegisterPersonData(Database database)
    {
        _database = database;
        _batched = database.BatchedReads<string, PersonData>(ReadManyAsync);
    }

    /// <summary>Register target diseases and the ATTRIBUTE_TYPE NHS England's data uses for them.</summary>
    public static readonly IReadOnlyDictionary<string, string> TargetRows = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["COVID19"] = "COVID",
        ["FLU"] = "FLU",
        ["RSV"] = "RSV",
    };

    /// <summary>The person's rows, or null when the register does not hold them.</summary>
    public async Task<PersonData?> ForAsync(NhsNumber nhsNumber, CancellationToken cancellationToken = default) =>
        _batched is not null
            ? await _batched.GetAsync(nhsNumber.Value, cancellationToken)
            : (await ReadAsync(s_oneRoundTrip, nhsNumber, null, cancellationToken)).Person;

    /// <summary>On PostgreSQL: the data of everyone among these NHS numbers, in one command of four statements.</summary>
    private Task<IReadOnlyDictionary<string, PersonData>> ReadManyAsync(string[] nhsNumbers) =>
        _database.ReadByKeysAsync<IReadOnlyDictionary<string, PersonData>>(s_manyRoundTrip, command => Column.Parameter(command, "nhs", nhsNumbers), async (r, ct) =>
        {
            var people = new List<PersonFacts>(nhsNumbers.Length);
            while (await r.ReadAsync(ct))
            {
                people.Add(ReadPerson(r));
            }

            var cohorts = new Dictionary<string, List<(string Label, string? DateJoined)>>(StringComparer.Ordinal);
            await r.NextResultAsync(ct);
            while (await r.ReadAsync(ct))
            {
                ByKey.Add(cohorts, Column.Text(r, 0), (Column.Text(r, 1), Column.TextOrNull(r, 2)));
            }

            var doses = new Dictionary<string, List<DoseFacts>>(StringComparer.Ordinal);
            await r.NextResultAsync(ct);
            while (await r.ReadAsync(ct))
            {
                ByKey.Add(doses, Column.Text(r, 0), new DoseFacts { TargetDisease = Column.Text(r, 1), Status = Column.Text(r, 2), OccurredOn = Column.Date(r, 3) });
            }

            var imported = new Dictionary<string, List<(string Type, string Attributes)>>(StringComparer.Ordinal);
            await r.NextResultAsync(ct);
            while (await r.ReadAsync(ct))
            {
                ByKey.Add(imported, Column.Text(r, 0), (Column.Text(r, 1), Column.Text(r, 2)));
            }

            return people.ToDictionary(
                p => p.NhsNumber,
                p => Compose(p, cohorts.GetValueOrDefault(p.NhsNumber) ?? [], doses.GetValueOrDefault(p.NhsNumber) ?? [], imported.GetValueOrDefault(p.NhsNumber) ?? []),
                StringComparer.Ordinal);
        });


    /// <summary>
    /// The person's data and, in the same round trip, their completed vaccinations against <paramref name="targetDisease"/>
    /// (as <see cref="Records.GetVaccinationHistory"/> answers them), oldest first: what a booking check needs.
    /// </summary>
    public Task<(PersonData? Person, IReadOnlyList<Records.VaccinationEvent> History)> WithHistoryAsync(
        NhsNumber nhsNumber, string targetDisease, CancellationToken cancellationToken = default) =>
        ReadAsync(s_withHistory, nhsNumber, targetDisease, cancellationToken);

    // One command of four (or five) statements: one round trip on PostgreSQL, the statements kept prepared on SQLite.
    private Task<(PersonData? Person, IReadOnlyList<Records.VaccinationEvent> History)> ReadAsync(
        string sql, NhsNumber nhsNumber, string? targetDisease, CancellationToken cancellationToken) =>
        _database.ReadAsync<(PersonData?, IReadOnlyList<Records.VaccinationEvent>)>(sql, command =>
        {
            Column.Parameter(command, "nhs", nhsNumber.Value);
            if (targetDisease is not null)
            {
                Column.Parameter(command, "target", targetDisease);
            }
        }, async (r, ct) =>
        {
            var person = await r.ReadAsync(ct) ? ReadPerson(r) : null;
            var cohorts = new List<(string Label, string? DateJoined)>();
            var doses = new List<DoseFacts>();
            var imported = new List<(string Type, string Attributes)>();
            var history = new List<Records.VaccinationEvent>();
            await r.NextResultAsync(ct);
            while (await r.ReadAsync(ct))
            {
                cohorts.Add((Column.Text(r, 0), Column.TextOrNull(r, 1)));
            }

            await r.NextResultAsync(ct);
            while (await r.ReadAsync(ct))
            {
                doses.Add(new DoseFacts { TargetDisease = Column.Text(r, 0), Status = Column.Text(r, 1), OccurredOn = Column.Date(r, 2) });
            }

            await r.NextResultAsync(ct);
            while (await r.ReadAsync(ct))
            {
                imported.Add((Column.Text(r, 0), Column.Text(r, 1)));
            }

            if (targetDisease is not null && await r.NextResultAsync(ct))
            {
                while (await r.ReadAsync(ct))
                {
                    history.Add(Records.VaccinationRow.Read(r).ToEvent());
                }
            }

            return (person is null ? null : Compose(person, cohorts, doses, imported), history);
        }, cancellationToken);

    private const string PersonColumns =
        """
        p.nhs_number, p.date_of_birth, p.sex, p.postcode, p.gp_practice_code, p.care_home_resident, p.clinical_risk_groups,
        p.occupations, p.date_of_death, pc.icb_ods_code, pc.region_ods_code, pc.lsoa_code
        """;

    private static readonly string s_person = $"SELECT {PersonColumns} FROM people p LEFT JOIN postcodes pc ON pc.postcode = p.postcode WHERE p.nhs_number = @nhs";
    private const string CohortsSql = "SELECT cohort_label, date_joined FROM person_cohorts WHERE nhs_number = @nhs ORDER BY cohort_label";
    private const string DosesSql = "SELECT target_disease, status, occurred_on FROM vaccination_events WHERE nhs_number = @nhs ORDER BY occurred_on";
    private const string AttributesSql = "SELECT attribute_type, attributes FROM person_attributes WHERE nhs_number = @nhs ORDER BY attribute_type";
    private static readonly string s_oneRoundTrip = $"{s_person};\n{CohortsSql};\n{DosesSql};\n{AttributesSql}";
    private static readonly string s_manyRoundTrip =
        $"""
        SELECT {PersonColumns} FROM people p LEFT JOIN postcodes pc ON pc.postcode = p.postcode WHERE p.nhs_number = ANY(@nhs);
        SELECT nhs_number, cohort_label, date_joined FROM person_cohorts WHERE nhs_number = ANY(@nhs) ORDER BY nhs_number, cohort_label;
        SELECT nhs_number, target_disease, status, occurred_on FROM vaccination_events WHERE nhs_number = ANY(@nhs) ORDER BY nhs_number, occurred_on;
        SELECT nhs_number, attribute_type, attributes FROM person_attributes WHERE nhs_number = ANY(@nhs) ORDER BY nhs_number, attribute_type
        """;

    private static readonly string s_withHistory =
        $"{s_oneRoundTrip};\nSELECT {Records.VaccinationRow.Columns} FROM vaccination_events WHERE nhs_number = @nhs AND status = 'completed' AND target_disease = @target ORDER BY occurred_at, id";

    private static PersonFacts ReadPerson(System.Data.Common.DbDataReader r) => new()
    {
        NhsNumber = Column.Text(r, 0),
        DateOfBirth = Column.Date(r, 1),
        Sex = Column.Text(r, 2),
        Postcode = Column.Text(r, 3),
        GpPracticeCode = Column.TextOrNull(r, 4),
        CareHomeResident = Column.Boolean(r, 5),
        ClinicalRiskGroups = Column.TextOrNull(r, 6),
        Occupations = Column.TextOrNull(r, 7),
        DateOfDeath = Column.DateOrNull(r, 8),
        IcbOdsCode = Column.TextOrNull(r, 9),
        RegionOdsCode = Column.TextOrNull(r, 10),
        LsoaCode = Column.TextOrNull(r, 11),
    };

    /// <summary>
    /// Everyone in the register (or in one region or ICB), in pages ordered by NHS number: four set-based reads a page,
    /// not four per person, for whole-register work such as cohort counts.
    /// </summary>
    public async IAsyncEnumerable<IReadOnlyList<PersonData>> PagesAsync(
        string? regionOdsCode, string? icbOdsCode, int pageSize = 5_000,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var after = "";
        var filter = (regionOdsCode is null ? "" : " AND pc.region_ods_code = @region") + (icbOdsCode is null ? "" : " AND pc.icb_ods_code = @icb");
        while (true)
        {
            await using var connection = await _database.OpenAsync(cancellationToken);
            var people = (await connection.QueryAsync<PersonFacts>(new CommandDefinition(
                $"""
                SELECT p.nhs_number, p.date_of_birth, p.sex, p.postcode, p.gp_practice_code, p.care_home_resident, p.clinical_risk_groups,
                       p.occupations, p.date_of_death, pc.icb_ods_code, pc.region_ods_code, pc.lsoa_code
                FROM people p LEFT JOIN postcodes pc ON pc.postcode = p.postcode
                WHERE p.nhs_number > @after{filter}
                ORDER BY p.nhs_number LIMIT @pageSize
                """,
                new { after, region = regionOdsCode, icb = icbOdsCode, pageSize }, cancellationToken: cancellationToken))).ToList();
            if (people.Count == 0)
            {
                yield break;
            }

            var range = new { first = people[0].NhsNumber, last = people[^1].NhsNumber };
            var cohorts = (await connection.QueryAsync<(string Nhs, string Label, string? DateJoined)>(new CommandDefinition(
                "SELECT nhs_number, cohort_label, date_joined FROM person_cohorts WHERE nhs_number BETWEEN @first AND @last ORDER BY cohort_label",
                range, cancellationToken: cancellationToken))).ToLookup(c => c.Nhs, c => (c.Label, c.DateJoined), StringComparer.Ordinal);
            var doses = (await connection.QueryAsync<DoseFacts>(new CommandDefinition(
                "SELECT nhs_number, target_disease, status, occurred_on FROM vaccination_events WHERE nhs_number BETWEEN @first AND @last ORDER BY occurred_on",
                range, cancellationToken: cancellationToken))).ToLookup(d => d.NhsNumber, StringComparer.Ordinal);
            var imported = (await connection.QueryAsync<(string Nhs, string Type, string Attributes)>(new CommandDefinition(
                "SELECT nhs_number, attribute_type, attributes FROM person_attributes WHERE nhs_number BETWEEN @first AND @last ORDER BY attribute_type",
                range, cancellationToken: cancellationToken))).ToLookup(a => a.Nhs, a => (a.Type, a.Attributes), StringComparer.Ordinal);
            yield return people
                .Select(p => Compose(p, cohorts[p.NhsNumber].ToList(), doses[p.NhsNumber].ToList(), imported[p.NhsNumber].ToList()))
                .ToList();
            after = people[^1].NhsNumber;
        }
    }

    private static PersonData Compose(
        PersonFacts person, IReadOnlyList<(string Label, string? DateJoined)> cohorts, IReadOnlyList<DoseFacts> doses,
        IReadOnlyList<(string Type, string Attributes)> imported)
    {
        var rows = new Dictionary<string, Dictionary<string, string?>>(StringComparer.Ordinal)
        {
            ["PERSON"] = PersonAttributes(person),
        };
        foreach (var byTarget in doses.GroupBy(d => d.TargetDisease))
        {
            if (TargetRows.TryGetValue(byTarget.Key, out var type))
            {
                rows[type] = TargetAttributes(byTarget.ToList());
            }
        }

        foreach (var (type, json) in imported)
        {
            var values = rows.TryGetValue(type, out var existing) ? existing : rows[type] = new Dictionary<string, string?>(StringComparer.Ordinal);
            foreach (var (name, value) in JsonSerializer.Deserialize<Dictionary<string, string?>>(json) ?? [])
            {
                values[name] = value;
            }
        }

        var memberships = cohorts.Select(c => new CohortMembership(c.Label, c.DateJoined)).ToList();
        foreach (var derived in DerivedCohorts(person))
        {
            if (!memberships.Any(m => m.Label == derived))
            {
                memberships.Add(new CohortMembership(derived, null));
            }
        }

        var result = rows.Select(r => new PersonDataRow(r.Key, r.Value, [])).ToList();
        result.Add(new PersonDataRow("COHORTS", new Dictionary<string, string?>(StringComparer.Ordinal), memberships));
        return new PersonData(result);
    }

    internal static Dictionary<string, string?> PersonAttributes(PersonFacts person)
    {
        var values = new Dictionary<string, string?>(StringComparer.Ordinal)
        {
            ["NHS_NUMBER"] = person.NhsNumber,
            ["DATE_OF_BIRTH"] = Compact(person.DateOfBirth),
            ["GENDER"] = person.Sex switch { "male" => "1", "female" => "2", "other" => "9", _ => "0" },
            ["CARE_HOME_FLAG"] = person.CareHomeResident ? "Y" : "N",
            ["GP_PRACTICE_CODE"] = person.GpPracticeCode,
        };
        if (person.Postcode.Contains(' ', StringComparison.Ordinal))
        {
            values["POSTCODE"] = person.Postcode;
            values["POSTCODE_OUTCODE"] = Postcode.Outcode(person.Postcode);
            values["POSTCODE_SECTOR"] = Postcode.Sector(person.Postcode).Replace(" ", "", StringComparison.Ordinal);
        }

        if (person.IcbOdsCode is not null)
        {
            values["ICB"] = person.IcbOdsCode;
        }

        if (person.RegionOdsCode is not null)
        {
            values["COMMISSIONING_REGION"] = person.RegionOdsCode;
        }

        if (person.LsoaCode is not null)
        {
            values["LSOA"] = person.LsoaCode;
        }

        if (person.DateOfDeath is { } died)
        {
            values["DATE_OF_DEATH"] = Compact(died);
        }

        return values;
    }

    /// <summary>What a target row says, from completed and entered-in-error events of that target.</summary>
    private static Dictionary<string, string?> TargetAttributes(IReadOnlyList<DoseFacts> doses)
    {
        var completed = doses.Where(d => d.Status == "completed").ToList();
        return TargetAttributes(completed.Count == 0 ? null : completed[^1].OccurredOn, completed.Count, doses.Count);
    }

    /// <summary>A target row from its events: the day of the last completed one, how many completed, how many in all.</summary>
    internal static Dictionary<string, string?> TargetAttributes(DateOnly? lastCompleted, int completed, int events)
    {
        var last = lastCompleted is { } day ? Compact(day) : null;
        return new Dictionary<string, string?>(StringComparer.Ordinal)
        {
            ["LAST_SUCCESSFUL_DATE"] = last,
            ["LAST_VALID_DOSE_DATE"] = last,
            ["SUCCESSFUL_PROCEDURE_COUNT"] = completed.ToString(CultureInfo.InvariantCulture),
            ["VALID_DOSES_COUNT"] = completed.ToString(CultureInfo.InvariantCulture),
            ["INVALID_DOSES_COUNT"] = (events - completed).ToString(CultureInfo.InvariantCulture),
        };
    }

    /// <summary>
    /// Cohorts the register's own flags put a person in, named <c>care_home</c>, <c>risk_&lt;code&gt;</c> and
    /// <c>occupation_&lt;code&gt;</c> (lower case), so that campaign configs can select them like imported cohorts.
    /// </summary>
    public static IEnumerable<string> DerivedCohorts(PersonFactsView person)
    {
        if (person.CareHomeResident)
        {
            yield return "care_home";
        }

        foreach (var code in PersonCodes.Split(person.ClinicalRiskGroups))
        {
            yield return "risk_" + code.ToLowerInvariant();
        }

        foreach (var code in PersonCodes.Split(person.Occupations))
        {
            yield return "occupation_" + code.ToLowerInvariant();
        }
    }

    private static IEnumerable<string> DerivedCohorts(PersonFacts person) =>
        DerivedCohorts(new PersonFactsView(person.CareHomeResident, person.ClinicalRiskGroups, person.Occupations));

    private static string Compact(DateOnly date) => date.ToString("yyyyMMdd", CultureInfo.InvariantCulture);

    internal sealed class PersonFacts
    {
        public string NhsNumber { get; set; } = "";
        public DateOnly DateOfBirth { get; set; }
        public string Sex { get; set; } = "";
        public string Postcode { get; set; } = "";
        public string? GpPracticeCode { get; set; }
        public bool CareHomeResident { get; set; }
        public string? ClinicalRiskGroups { get; set; }
        public string? Occupations { get; set; }
        public DateOnly? DateOfDeath { get; set; }
        public string? IcbOdsCode { get; set; }
        public string? RegionOdsCode { get; set; }
        public string? LsoaCode { get; set; }
    }

    private sealed class DoseFacts
    {
        public string NhsNumber { get; set; } = "";
        public string TargetDisease { get; set; } = "";
        public string Status { get; set; } = "";
        public DateOnly OccurredOn { get; set; }
    }
}

/// <summary>The register flags that cohorts are derived from.</summary>
public sealed record PersonFactsView(bool CareHomeResident, string? ClinicalRiskGroups, string? Occupations);
