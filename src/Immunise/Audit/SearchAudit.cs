using System.Globalization;
using System.Text;
using Dapper;
using Immunise.Common;
using Immunise.People;
using Immunise.Storage;

namespace Immunise.Audit;

/// <summary>
/// What to look for in the audit trail; every part optional: who acted (actor id, e.g. a staff account id or an API key's
/// name), the action (<c>person.read</c>, <c>staff.sign-in-failed</c>, …; a trailing <c>*</c> matches a prefix such as
/// <c>staff.*</c>), the person (NHS number), the resource id, and a time range (UTC, from inclusive, to exclusive).
/// </summary>
public sealed record AuditQuery(
    string? ActorId = null,
    string? Action = null,
    string? NhsNumber = null,
    string? ResourceId = null,
    DateTimeOffset? From = null,
    DateTimeOffset? To = null,
    long? BeforeId = null,
    int Limit = 100)
{
    public const int MaxLimit = 1000;
}

/// <summary>One page of matches, newest first; <see cref="NextBeforeId"/> asks for the next (older) page.</summary>
public sealed record AuditPage(IReadOnlyList<AuditEvent> Events, long? NextBeforeId);

/// <summary>
/// Searches the audit trail for administrators, and exports what matches as CSV. Every line this process has written is
/// moved into the table first (<see cref="AuditLog.FlushAsync"/>), so a search sees the reads made just before it.
/// </summary>
public sealed class SearchAudit(Database database, AuditLog audit)
{
    public const string CsvHeader = "id,occurred_at,actor_type,actor_id,action,nhs_number,resource_type,resource_id,purpose,correlation_id";

    public async Task<Result<AuditPage>> HandleAsync(AuditQuery query, CancellationToken cancellationToken = default)
    {
        var built = Build(query, database.Dialect, Math.Clamp(query.Limit, 1, AuditQuery.MaxLimit) + 1);
        if (!built.Succeeded)
        {
            return built.Failure!;
        }

        var (sql, parameters) = built.Value;
        await audit.FlushAsync(cancellationToken);
        await using var connection = await database.OpenAsync(cancellationToken);
        var rows = (await connection.QueryAsync<AuditLog.AuditRow>(new CommandDefinition(sql, parameters, cancellationToken: cancellationToken))).ToList();
        var limit = Math.Clamp(query.Limit, 1, AuditQuery.MaxLimit);
        var page = rows.Take(limit).Select(r => r.ToEvent()).ToList();
        return new AuditPage(page, rows.Count > limit ? page[^1].Id : null);
    }

    /// <summary>Writes every match (newest first, up to <paramref name="maxRows"/>) as CSV; returns the rows written.</summary>
    public async Task<Result<long>> ExportCsvAsync(AuditQuery query, TextWriter output, int maxRows = 100_000, CancellationToken cancellationToken = default)
    {
        var built = Build(query, database.Dialect, maxRows);
        if (!built.Succeeded)
        {
            return built.Failure!;
        }

        var (sql, parameters) = built.Value;
        await audit.FlushAsync(cancellationToken);
        await output.WriteAsync(CsvHeader + "\n");
        long count = 0;
        await using var connection = await database.OpenSessionAsync(cancellationToken);
        await using var reader = await connection.ExecuteReaderAsync(new CommandDefinition(sql, parameters, cancellationToken: cancellationToken));
        var parser = reader.GetRowParser<AuditLog.AuditRow>();
        while (await reader.ReadAsync(cancellationToken))
        {
            var e = parser(reader).ToEvent();
            CsvOut.WriteRow(output, [
                e.Id.ToString(CultureInfo.InvariantCulture), Instant.Format(e.OccurredAt), e.ActorType, e.ActorId, e.Action, e.NhsNumber,
                e.ResourceType, e.ResourceId, e.Purpose, e.CorrelationId,
            ]);
            count++;
        }

        await output.FlushAsync(cancellationToken);
        return count;
    }

    private static Result<(string Sql, DynamicParameters Parameters)> Build(AuditQuery query, Dialect dialect, int limit)
    {
        var where = new StringBuilder("WHERE 1 = 1");
        var parameters = new DynamicParameters();
        if (Clean(query.ActorId) is { } actor)
        {
            where.Append(" AND actor_id = @actor");
            parameters.Add("actor", actor);
        }

        if (Clean(query.Action) is { } action)
        {
            if (action.EndsWith('*'))
            {
                where.Append(" AND action LIKE @action");
                parameters.Add("action", action[..^1].Replace("%", "", StringComparison.Ordinal).Replace("_", "", StringComparison.Ordinal) + "%");
            }
            else
            {
                where.Append(" AND action = @action");
                parameters.Add("action", action);
            }
        }

        if (Clean(query.NhsNumber) is { } nhsText)
        {
            if (!People.NhsNumber.TryParse(nhsText, out var nhs, out var reason))
            {
                return Failure.Invalid("invalid-nhs-number", reason, "nhsNumber");
            }

            where.Append(" AND nhs_number = @nhs");
            parameters.Add("nhs", nhs.Value);
        }

        if (Clean(query.ResourceId) is { } resource)
        {
            where.Append(" AND resource_id = @resource");
            parameters.Add("resource", resource);
        }

        if (query.From is { } from)
        {
            where.Append(" AND occurred_at >= @from");
            parameters.Add("from", InstantParameter(dialect, from));
        }

        if (query.To is { } to)
        {
            where.Append(" AND occurred_at < @to");
            parameters.Add("to", InstantParameter(dialect, to));
        }

        if (query.From > query.To)
        {
            return Failure.Invalid("invalid-date-range", "'from' is after 'to'.", "from");
        }

        if (query.BeforeId is { } before)
        {
            where.Append(" AND id < @before");
            parameters.Add("before", before);
        }

        parameters.Add("limit", limit);
        return ($"SELECT id, occurred_at, actor_type, actor_id, action, nhs_number, resource_type, resource_id, purpose, correlation_id "
            + $"FROM audit_events {where} ORDER BY id DESC LIMIT @limit", parameters);
    }

    /// <summary>An instant as each database compares it: UTC <c>timestamptz</c>, or SQLite's fixed-width UTC text.</summary>
    private static object InstantParameter(Dialect dialect, DateTimeOffset instant) =>
        dialect.IsPostgres ? instant.ToUniversalTime() : Instant.Format(instant);

    private static string? Clean(string? value)
    {
        var trimmed = value?.Trim();
        return string.IsNullOrEmpty(trimmed) ? null : trimmed.Length <= 200 ? trimmed : trimmed[..200];
    }
}
