using System.Globalization;
using Dapper;
using Immunise.Common;
using Immunise.Storage;

namespace Immunise.Records;

/// <summary>
/// Writes every completed vaccination event as a vaccinations CSV, in exactly the format <see cref="ImportVaccinations"/>
/// reads (instants in UTC with a Z, codes as stored). Entered-in-error events are not exported. Streamed.
/// </summary>
public sealed class ExportVaccinations(Database database)
{
    public async Task<long> HandleAsync(TextWriter output, IProgress<long>? progress = null, CancellationToken cancellationToken = default)
    {
        output.Write(string.Join(',', ImportVaccinations.AllColumns));
        output.Write('\n');
        long count = 0;
        await using var connection = await database.OpenSessionAsync(cancellationToken);
        var rows = connection.QueryUnbufferedAsync<VaccinationRow>(
            $"SELECT {VaccinationRow.Columns} FROM vaccination_events WHERE status = 'completed' ORDER BY id");
        var fields = new string?[ImportVaccinations.AllColumns.Count];
        await foreach (var e in rows.WithCancellation(cancellationToken))
        {
            fields[0] = e.Id;
            fields[1] = e.NhsNumber;
            fields[2] = e.ProductCode;
            fields[3] = e.DoseNumber.ToString(CultureInfo.InvariantCulture);
            fields[4] = Instant.Format(e.OccurredAt);
            fields[5] = e.SiteOdsCode;
            fields[6] = e.BatchNumber;
            fields[7] = e.BatchExpiry?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
            fields[8] = e.RouteCode;
            fields[9] = e.BodySiteCode;
            fields[10] = e.Performer;
            fields[11] = e.TargetDisease;
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
}
