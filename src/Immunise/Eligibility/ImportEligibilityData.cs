using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Dapper;
using Immunise.People;
using Immunise.Storage;

namespace Immunise.Eligibility;

/// <summary>One refused row of an eligibility-data file: its position (1-based), a stable reason code and the reason.</summary>
public sealed record EligibilityDataRejection(int Row, string Code, string Reason);

public sealed record EligibilityDataImportResult(int Rows, int People, int Stored, IReadOnlyList<EligibilityDataRejection> Rejected);

/// <summary>
/// Imports person data in NHS England's Eligibility Signposting format: a JSON array of rows (or an object whose
/// <c>data</c> is one), each with <c>NHS_NUMBER</c> and <c>ATTRIBUTE_TYPE</c>. A <c>PERSON</c> row creates or updates the
/// person in the register (date of birth, gender, postcode, GP practice, care-home flag) and keeps its other attributes;
/// <c>COHORTS</c> replaces the person's imported cohort memberships; any other type (<c>COVID</c>, <c>FLU</c>, <c>RSV</c>, …)
/// is kept as that target's attributes. Bad rows are refused with a reason; the rest are stored in one transaction, and
/// importing the same file again changes nothing.
/// </summary>
public sealed partial class ImportEligibilityData(Database database, TimeProvider clock, RegisterOptions register)
{
    public const int MaxRows = 1_000_000;

    public async Task<EligibilityDataImportResult> HandleAsync(JsonElement document, CancellationToken cancellationToken = default)
    {
        var rows = document.ValueKind == JsonValueKind.Object && document.TryGetProperty("data", out var data) ? data : document;
        if (rows.ValueKind != JsonValueKind.Array)
        {
            throw new FormatException("An eligibility-data file is a JSON array of rows, or an object with a 'data' array.");
        }

        var rejected = new List<EligibilityDataRejection>();
        var accepted = new List<(int Index, NhsNumber Nhs, PersonDataRow Row)>();
        var index = 0;
        foreach (var element in rows.EnumerateArray())
        {
            index++;
            if (index > MaxRows)
            {
                rejected.Add(new EligibilityDataRejection(index, "too-many-rows", $"A file holds at most {MaxRows:N0} rows."));
                break;
            }

            if (Validate(element, out var nhs, out var row) is { } refusal)
            {
                rejected.Add(refusal with { Row = index });
                continue;
            }

            accepted.Add((index, nhs, row!));
        }

        var now = clock.GetUtcNow();
        var stored = 0;
        var people = new HashSet<string>(StringComparer.Ordinal); // known to be in the register: no second look-up per row
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        // PERSON rows first, so that the other rows of a person new to the register find them.
        foreach (var (position, nhs, row) in accepted.OrderBy(a => a.Row.AttributeType == "PERSON" ? 0 : 1))
        {
            if (row.AttributeType == "PERSON")
            {
                await UpsertPersonAsync(connection, transaction, nhs, row, now, cancellationToken);
            }
            else if (!people.Contains(nhs.Value) && await connection.ExecuteScalarAsync<int>(new CommandDefinition(
                "SELECT COUNT(*) FROM people WHERE nhs_number = @nhs", new { nhs = nhs.Value }, transaction, cancellationToken: cancellationToken)) == 0)
            {
                rejected.Add(new EligibilityDataRejection(position, "person-not-in-register",
                    "The person is not in the register and the file has no PERSON row for them."));
                continue;
            }

            if (row.AttributeType == "COHORTS")
            {
                await ReplaceCohortsAsync(connection, transaction, nhs, row, now, cancellationToken);
            }
            else
            {
                // A PERSON row's date of birth and postcode live in the register's own columns (the postcode normalised).
                var attributes = JsonSerializer.Serialize(row.Values
                    .Where(v => v.Key is not ("NHS_NUMBER" or "ATTRIBUTE_TYPE") && !(row.AttributeType == "PERSON" && v.Key is "DATE_OF_BIRTH" or "POSTCODE"))
                    .OrderBy(v => v.Key, StringComparer.Ordinal)
                    .ToDictionary(v => v.Key, v => v.Value, StringComparer.Ordinal));
                await connection.ExecuteAsync(new CommandDefinition(
                    """
                    INSERT INTO person_attributes (nhs_number, attribute_type, attributes, updated_at) VALUES (@nhs, @type, @attributes, @now)
                    ON CONFLICT (nhs_number, attribute_type) DO UPDATE SET attributes = excluded.attributes, updated_at = excluded.updated_at
                    WHERE person_attributes.attributes <> excluded.attributes
                    """,
                    new { nhs = nhs.Value, type = row.AttributeType, attributes, now }, transaction, cancellationToken: cancellationToken));
            }

            people.Add(nhs.Value);
            stored++;
        }

        await transaction.CommitAsync(cancellationToken);
        return new EligibilityDataImportResult(index, people.Count, stored, rejected.OrderBy(r => r.Row).ToList());
    }

    private EligibilityDataRejection? Validate(JsonElement element, out NhsNumber nhs, out PersonDataRow? row)
    {
        (nhs, row) = (default, null);
        if (element.ValueKind != JsonValueKind.Object)
        {
            return new EligibilityDataRejection(0, "not-an-object", "A row must be a JSON object.");
        }

        var parsed = PersonData.RowFromJson(element);
        if (!register.TryParseNhsNumber(parsed["NHS_NUMBER"], out nhs, out var reason))
        {
            return new EligibilityDataRejection(0, "invalid-nhs-number", reason);
        }

        if (!AttributeType().IsMatch(parsed.AttributeType))
        {
            return new EligibilityDataRejection(0, "invalid-attribute-type", "ATTRIBUTE_TYPE must be PERSON, COHORTS or a target such as COVID, FLU or RSV.");
        }

        if (parsed.AttributeType == "PERSON")
        {
            if (!DateOnly.TryParseExact(parsed["DATE_OF_BIRTH"], "yyyyMMdd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var born))
            {
                return new EligibilityDataRejection(0, "invalid-date-of-birth", "DATE_OF_BIRTH must be a real date written yyyyMMdd.");
            }

            if (born > DateOnly.FromDateTime(clock.GetUtcNow().UtcDateTime))
            {
                return new EligibilityDataRejection(0, "date-of-birth-in-future", "DATE_OF_BIRTH is in the future.");
            }
        }

        row = parsed;
        return null;
    }

    private static async Task UpsertPersonAsync(
        System.Data.Common.DbConnection connection, System.Data.Common.DbTransaction transaction, NhsNumber nhs, PersonDataRow row,
        DateTimeOffset now, CancellationToken cancellationToken)
    {
        var born = DateOnly.ParseExact(row["DATE_OF_BIRTH"]!, "yyyyMMdd", CultureInfo.InvariantCulture);
        var sex = row["GENDER"] switch { "1" => "male", "2" => "female", _ => "unknown" };
        var postcode = Geography.Postcode.TryNormalise(row["POSTCODE"], out var canonical) ? canonical : row["POSTCODE"] ?? "";
        var careHome = string.Equals(row["CARE_HOME_FLAG"], "Y", StringComparison.OrdinalIgnoreCase);
        await connection.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO people (nhs_number, given_name, family_name, date_of_birth, sex, postcode, gp_practice_code, care_home_resident, created_at, updated_at)
            VALUES (@nhs, '', '', @born, @sex, @postcode, @gp, @careHome, @now, @now)
            ON CONFLICT (nhs_number) DO UPDATE SET date_of_birth = excluded.date_of_birth, sex = excluded.sex, postcode = excluded.postcode,
                gp_practice_code = excluded.gp_practice_code, care_home_resident = excluded.care_home_resident, updated_at = excluded.updated_at
            WHERE people.date_of_birth <> excluded.date_of_birth OR people.sex <> excluded.sex OR people.postcode <> excluded.postcode
                OR people.gp_practice_code IS DISTINCT FROM excluded.gp_practice_code OR people.care_home_resident <> excluded.care_home_resident
            """.Replace("IS DISTINCT FROM", connection is Npgsql.NpgsqlConnection ? "IS DISTINCT FROM" : "IS NOT", StringComparison.Ordinal),
            new { nhs = nhs.Value, born, sex, postcode, gp = row["GP_PRACTICE_CODE"], careHome, now }, transaction, cancellationToken: cancellationToken));
    }

    private static async Task ReplaceCohortsAsync(
        System.Data.Common.DbConnection connection, System.Data.Common.DbTransaction transaction, NhsNumber nhs, PersonDataRow row,
        DateTimeOffset now, CancellationToken cancellationToken)
    {
        var memberships = row.CohortMemberships.DistinctBy(m => m.Label).ToList();
        var existing = (await connection.QueryAsync<(string Label, string? DateJoined)>(new CommandDefinition(
            "SELECT cohort_label, date_joined FROM person_cohorts WHERE nhs_number = @nhs AND source = 'import'",
            new { nhs = nhs.Value }, transaction, cancellationToken: cancellationToken))).ToList();
        if (existing.Count == memberships.Count && existing.All(e => memberships.Any(m => m.Label == e.Label && m.DateJoined == e.DateJoined)))
        {
            return; // unchanged: a re-import writes nothing
        }

        await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM person_cohorts WHERE nhs_number = @nhs AND source = 'import'", new { nhs = nhs.Value }, transaction, cancellationToken: cancellationToken));
        foreach (var membership in memberships)
        {
            await connection.ExecuteAsync(new CommandDefinition(
                """
                INSERT INTO person_cohorts (nhs_number, cohort_label, date_joined, source, updated_at) VALUES (@nhs, @label, @joined, 'import', @now)
                ON CONFLICT (nhs_number, cohort_label) DO UPDATE SET date_joined = excluded.date_joined, source = excluded.source, updated_at = excluded.updated_at
                """,
                new { nhs = nhs.Value, label = membership.Label, joined = membership.DateJoined, now }, transaction, cancellationToken: cancellationToken));
        }
    }

    [GeneratedRegex("^[A-Z][A-Z0-9_]{0,39}$")]
    private static partial Regex AttributeType();
}
