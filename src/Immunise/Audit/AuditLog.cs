using System.Data.Common;
using Dapper;
using Immunise.People;
using Immunise.Storage;

namespace Immunise.Audit;

/// <summary>Who is acting: an API key, a member of staff, or the system itself.</summary>
public sealed record Actor(string Type, string Id)
{
    public static Actor ApiKey(string name) => new("api-key", name);

    public static Actor System(string component) => new("system", component);
}

/// <summary>One line of the append-only audit trail.</summary>
public sealed record AuditEntry(
    Actor Actor,
    string Action,
    NhsNumber? NhsNumber = null,
    string? ResourceType = null,
    string? ResourceId = null,
    string? Purpose = null,
    string? CorrelationId = null);

public sealed record AuditEvent(
    long Id,
    DateTimeOffset OccurredAt,
    string ActorType,
    string ActorId,
    string Action,
    string? NhsNumber,
    string? ResourceType,
    string? ResourceId,
    string? Purpose,
    string? CorrelationId);

/// <summary>Writes and reads the audit trail. Reads of a person's record are written here, never to logs.</summary>
public sealed class AuditLog(Database database, TimeProvider clock)
{
    private const string InsertSql =
        """
        INSERT INTO audit_events (occurred_at, actor_type, actor_id, action, nhs_number, resource_type, resource_id, purpose, correlation_id)
        VALUES (@OccurredAt, @ActorType, @ActorId, @Action, @NhsNumber, @ResourceType, @ResourceId, @Purpose, @CorrelationId)
        """;

    public async Task WriteAsync(AuditEntry entry, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await WriteAsync(connection, null, entry, cancellationToken);
    }

    /// <summary>Writes within a caller's transaction, so the audit line commits with the change it describes.</summary>
    public Task WriteAsync(DbConnection connection, DbTransaction? transaction, AuditEntry entry, CancellationToken cancellationToken = default) =>
        connection.ExecuteAsync(new CommandDefinition(InsertSql, new
        {
            OccurredAt = clock.GetUtcNow(),
            ActorType = entry.Actor.Type,
            ActorId = entry.Actor.Id,
            entry.Action,
            NhsNumber = entry.NhsNumber?.Value,
            entry.ResourceType,
            entry.ResourceId,
            Purpose = Truncate(entry.Purpose, 200),
            CorrelationId = Truncate(entry.CorrelationId, 100),
        }, transaction, cancellationToken: cancellationToken));

    /// <summary>The audit trail for one person, newest first: who looked at or changed their record.</summary>
    public async Task<IReadOnlyList<AuditEvent>> ForPersonAsync(NhsNumber nhsNumber, int limit = 100, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var rows = await connection.QueryAsync<AuditRow>(new CommandDefinition(
            """
            SELECT id, occurred_at, actor_type, actor_id, action, nhs_number, resource_type, resource_id, purpose, correlation_id
            FROM audit_events WHERE nhs_number = @nhs ORDER BY occurred_at DESC, id DESC LIMIT @limit
            """,
            new { nhs = nhsNumber.Value, limit }, cancellationToken: cancellationToken));
        return rows.Select(r => new AuditEvent(r.Id, r.OccurredAt, r.ActorType, r.ActorId, r.Action, r.NhsNumber, r.ResourceType,
            r.ResourceId, r.Purpose, r.CorrelationId)).ToList();
    }

    private static string? Truncate(string? value, int length) =>
        value is null ? null : value.Length <= length ? value : value[..length];

    private sealed class AuditRow
    {
        public long Id { get; set; }
        public DateTimeOffset OccurredAt { get; set; }
        public string ActorType { get; set; } = "";
        public string ActorId { get; set; } = "";
        public string Action { get; set; } = "";
        public string? NhsNumber { get; set; }
        public string? ResourceType { get; set; }
        public string? ResourceId { get; set; }
        public string? Purpose { get; set; }
        public string? CorrelationId { get; set; }
    }
}
