using System.Data.Common;
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
    public Task<IReadOnlyList<VaccinationEvent>> HandleAsync(VaccinationHistoryQuery query, CancellationToken cancellationToken = default)
    {
        var sql = new StringBuilder($"SELECT {VaccinationRow.Columns} FROM vaccination_events WHERE nhs_number = @nhs");
        var parameters = new List<(string Name, Func<DbCommand, object> Value)> { ("nhs", _ => query.NhsNumber.Value) };
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
                var name = string.Create(CultureInfo.InvariantCulture, $"t{i++}");
                sql.Append(i == 1 ? "@" : ", @").Append(name);
                parameters.Add((name, _ => target));
            }

            sql.Append(')');
        }

        if (query.From is { } from)
        {
            sql.Append(" AND occurred_on >= @from");
            parameters.Add(("from", command => Column.DateValue(command, from)));
        }

        if (query.To is { } to)
        {
            sql.Append(" AND occurred_on <= @to");
            parameters.Add(("to", command => Column.DateValue(command, to)));
        }

        return database.ReadAsync<IReadOnlyList<VaccinationEvent>>(
            sql.Append(" ORDER BY occurred_at, id").ToString(),
            command => parameters.ForEach(p => Column.Parameter(command, p.Name, p.Value(command))),
            async (reader, ct) =>
            {
                var events = new List<VaccinationEvent>();
                while (await reader.ReadAsync(ct))
                {
                    events.Add(VaccinationRow.Read(reader).ToEvent());
                }

                return events;
            },
            cancellationToken);
    }

    public async Task<VaccinationEvent?> FindAsync(string id, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var row = await connection.QuerySingleOrDefaultAsync<VaccinationRow>(new CommandDefinition(
            $"SELECT {VaccinationRow.Columns} FROM vaccination_events WHERE id = @id", new { id }, cancellationToken: cancellationToken));
        return row?.ToEvent();
    }
}
