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
public sealed class GetVaccinationHistory
{
    private static readonly string s_forPeople =
        $"SELECT {VaccinationRow.Columns} FROM vaccination_events WHERE nhs_number = ANY(@nhs) ORDER BY nhs_number, occurred_at, id";

    private readonly Database _database;
    private readonly ReadBatcher<string, List<VaccinationEvent>>? _batched;

    public GetVaccinationHistory(Database database)
    {
        _database = database;
        _batched = database.BatchedReads<string, List<VaccinationEvent>>(ReadManyAsync);
    }

    public async Task<IReadOnlyList<VaccinationEvent>> HandleAsync(VaccinationHistoryQuery query, CancellationToken cancellationToken = default)
    {
        if (_batched is not null && query.From is null && query.To is null)
        {
            // Every event of the person, read together with other requests' people; the filters are applied here.
            var all = await _batched.GetAsync(query.NhsNumber.Value, cancellationToken);
            if (all is null)
            {
                return [];
            }

            var targets = query.TargetDiseases is { Count: > 0 } t ? t : null;
            return all.Where(e => (query.IncludeEnteredInError || e.Status == VaccinationStatus.Completed)
                && (targets is null || targets.Contains(e.TargetDisease, StringComparer.Ordinal))).ToList();
        }

        return await ReadAsync(query, cancellationToken);
    }

    /// <summary>On PostgreSQL: every event of these people, each person's oldest first, in one statement.</summary>
    private Task<IReadOnlyDictionary<string, List<VaccinationEvent>>> ReadManyAsync(string[] nhsNumbers) =>
        _database.ReadByKeysAsync<IReadOnlyDictionary<string, List<VaccinationEvent>>>(
            s_forPeople,
            command => Column.Parameter(command, "nhs", nhsNumbers),
            async (reader, ct) =>
            {
                var found = new Dictionary<string, List<VaccinationEvent>>(nhsNumbers.Length);
                while (await reader.ReadAsync(ct))
                {
                    var row = VaccinationRow.Read(reader);
                    ByKey.Add(found, row.NhsNumber, row.ToEvent());
                }

                return found;
            });

    private Task<IReadOnlyList<VaccinationEvent>> ReadAsync(VaccinationHistoryQuery query, CancellationToken cancellationToken)
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

        return _database.ReadAsync<IReadOnlyList<VaccinationEvent>>(
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
        await using var connection = await _database.OpenAsync(cancellationToken);
        var row = await connection.QuerySingleOrDefaultAsync<VaccinationRow>(new CommandDefinition(
            $"SELECT {VaccinationRow.Columns} FROM vaccination_events WHERE id = @id", new { id }, cancellationToken: cancellationToken));
        return row?.ToEvent();
    }
}
