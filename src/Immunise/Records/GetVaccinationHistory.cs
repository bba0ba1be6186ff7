using System.Globalization;
using System.Text;
using Dapper;
using Immunise.People;
using Immunise.Storage;
using Column = Immunise.Storage.Columns;

namespace Immunise.Records;

/// <summary>Which of a person's vaccinations to read.</summary>
public sealed record VaccinationHistoryQuery(
    NhsNumber NhsNumber,
    IReadOnlyCollection<string>? TargetDiseases = null,
    DateOnly? From = null,
    DateOnly? To = null,
    bool IncludeEnteredInError = false);

/// <summary>Reads a person's vaccination history, oldest first, and single events by id.</summary>
public sealed class GetVaccinationHistory(Database database)
{
    public async Task<IReadOnlyList<VaccinationEvent>> HandleAsync(VaccinationHistoryQuery query, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        var sql = new StringBuilder($"SELECT {VaccinationRow.Columns} FROM vaccination_events WHERE nhs_number = @nhs");
        Column.Parameter(command, "nhs", query.NhsNumber.Value);
        if (!query.IncludeEnteredInError)
        {
            sql.Append(" AND status = 'completed'");
        }

        if (query.TargetDiseases is { Count: > 0 } targets)
        {
            sql.Append(" AND target_disease IN (");
            var i = 0;
            foreach (var target in targets)
            {
                sql.Append(i == 0 ? "@t0" : string.Create(CultureInfo.InvariantCulture, $", @t{i}"));
                Column.Parameter(command, string.Create(CultureInfo.InvariantCulture, $"t{i++}"), target);
            }

            sql.Append(')');
        }

        if (query.From is { } from)
        {
            sql.Append(" AND occurred_on >= @from");
            Column.Parameter(command, "from", Column.DateValue(command, from));
        }

        if (query.To is { } to)
        {
            sql.Append(" AND occurred_on <= @to");
            Column.Parameter(command, "to", Column.DateValue(command, to));
        }

        command.CommandText = sql.Append(" ORDER BY occurred_at, id").ToString();
        var events = new List<VaccinationEvent>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            events.Add(VaccinationRow.Read(reader).ToEvent());
        }

        return events;
    }

    public async Task<VaccinationEvent?> FindAsync(string id, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var row = await connection.QuerySingleOrDefaultAsync<VaccinationRow>(new CommandDefinition(
            $"SELECT {VaccinationRow.Columns} FROM vaccination_events WHERE id = @id", new { id }, cancellationToken: cancellationToken));
        return row?.ToEvent();
    }
}
