using Dapper;
using Immunise.People;
using Immunise.Storage;

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
        var sql = $"SELECT {VaccinationRow.Columns} FROM vaccination_events WHERE nhs_number = @NhsNumber";
        var parameters = new DynamicParameters();
        parameters.Add("NhsNumber", query.NhsNumber.Value);
        if (!query.IncludeEnteredInError)
        {
            sql += " AND status = 'completed'";
        }

        if (query.TargetDiseases is { Count: > 0 } targets)
        {
            var names = targets.Select((t, i) => (Name: $"t{i}", Value: t)).ToList();
            sql += $" AND target_disease IN ({string.Join(", ", names.Select(n => "@" + n.Name))})";
            foreach (var (name, value) in names)
            {
                parameters.Add(name, value);
            }
        }

        if (query.From is { } from)
        {
            sql += " AND occurred_on >= @From";
            parameters.Add("From", from);
        }

        if (query.To is { } to)
        {
            sql += " AND occurred_on <= @To";
            parameters.Add("To", to);
        }

        sql += " ORDER BY occurred_at, id";
        await using var connection = await database.OpenAsync(cancellationToken);
        var rows = await connection.QueryAsync<VaccinationRow>(new CommandDefinition(sql, parameters, cancellationToken: cancellationToken));
        return rows.Select(r => r.ToEvent()).ToList();
    }

    public async Task<VaccinationEvent?> FindAsync(string id, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var row = await connection.QuerySingleOrDefaultAsync<VaccinationRow>(new CommandDefinition(
            $"SELECT {VaccinationRow.Columns} FROM vaccination_events WHERE id = @id", new { id }, cancellationToken: cancellationToken));
        return row?.ToEvent();
    }
}
