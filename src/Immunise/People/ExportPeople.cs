using System.Globalization;
using Dapper;
using Immunise.Common;
using Immunise.Storage;

namespace Immunise.People;

/// <summary>Writes every person in the register as a people CSV, in exactly the format <see cref="PeopleCsv"/> reads. Streamed.</summary>
public sealed class ExportPeople(Database database)
{
    public async Task<long> HandleAsync(TextWriter output, IProgress<long>? progress = null, CancellationToken cancellationToken = default)
    {
        output.Write(string.Join(',', PeopleCsv.AllColumns));
        output.Write('\n');
        long count = 0;
        await using var connection = await database.OpenSessionAsync(cancellationToken);
        var rows = connection.QueryUnbufferedAsync<PersonRow>($"SELECT {GetPerson.Columns} FROM people ORDER BY nhs_number");
        var fields = new string?[PeopleCsv.AllColumns.Count];
        await foreach (var p in rows.WithCancellation(cancellationToken))
        {
            fields[0] = p.NhsNumber;
            fields[1] = p.GivenName;
            fields[2] = p.FamilyName;
            fields[3] = Date(p.DateOfBirth);
            fields[4] = p.Sex;
            fields[5] = p.Postcode;
            fields[6] = p.GpPracticeCode;
            fields[7] = p.Ethnicity;
            fields[8] = p.CareHomeResident ? "true" : "false";
            fields[9] = p.ClinicalRiskGroups;
            fields[10] = p.Occupations;
            fields[11] = p.Mobile;
            fields[12] = p.Email;
            fields[13] = p.Address;
            fields[14] = p.DateOfDeath is { } death ? Date(death) : null;
            CsvOut.WriteRow(output, fields);
            if ((++count & 0xFFFF) == 0)
            {
                progress?.Report(count);
            }
        }

        progress?.Report(count);
        await output.FlushAsync(cancellationToken);
        return count;
    }

    private static string Date(DateOnly date) => date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
}
