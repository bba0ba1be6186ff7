using Dapper;
using Immunise.Audit;
using Immunise.Common;
using Immunise.Storage;

namespace Immunise.Records;

/// <summary>Marks a vaccination event as entered in error. The record stays (the register forgets nothing), hidden from history.</summary>
public sealed class MarkEnteredInError(Database database, TimeProvider clock, AuditLog? audit = null)
{
    public Task<Result<VaccinationEvent>> HandleAsync(string id, string? reason, CancellationToken cancellationToken = default) =>
        HandleAsync(id, reason, null, cancellationToken);

    /// <summary>Marks the event; <paramref name="auditAs"/> describes the audit line committed in the same transaction.</summary>
    public async Task<Result<VaccinationEvent>> HandleAsync(
        string id, string? reason, Func<VaccinationEvent, AuditEntry>? auditAs, CancellationToken cancellationToken = default)
    {
        if (reason is { Length: > 500 })
        {
            return Failure.Invalid("value-too-long", "The reason is longer than 500 characters.", "reason");
        }

        await using var connection = await database.OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var rows = await connection.ExecuteAsync(new CommandDefinition(
            """
            UPDATE vaccination_events SET status = 'entered-in-error', entered_in_error_at = @now, entered_in_error_reason = @reason
            WHERE id = @id AND status = 'completed'
            """,
            new { id, now = clock.GetUtcNow(), reason = string.IsNullOrWhiteSpace(reason) ? null : reason.Trim() }, transaction,
            cancellationToken: cancellationToken));
        var row = await connection.QuerySingleOrDefaultAsync<VaccinationRow>(new CommandDefinition(
            $"SELECT {VaccinationRow.Columns} FROM vaccination_events WHERE id = @id", new { id }, transaction,
            cancellationToken: cancellationToken));
        if (rows > 0 && row is not null && auditAs is not null)
        {
            await (audit ?? throw new InvalidOperationException("No audit log was given to record the audit line."))
                .WriteAsync(connection, transaction, auditAs(row.ToEvent()), cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        return (rows, row) switch
        {
            (_, null) => Failure.NotFound("vaccination-not-found", "No vaccination event has this id."),
            (0, _) => Failure.Conflict("already-entered-in-error", "This vaccination event is already marked as entered in error."),
            _ => row.ToEvent(),
        };
    }
}
