using System.Data.Common;
using Dapper;
using Immunise.Common;
using Immunise.Records;
using Immunise.Sites;
using Immunise.Storage;

namespace Immunise.Availability;

/// <summary>What a change of sessions did: the sessions as they now are, and what happened to their bookings.</summary>
public sealed record SessionChange(IReadOnlyList<Session> Sessions, Displaced Bookings);

/// <summary>
/// Cancels one session, or every session of a site on one day. Each active booking in them is cancelled and the citizen
/// gets a cancellation notification intent, in the same transaction; the slots' capacity drops to nothing so no hold can
/// claim a place afterwards.
/// </summary>
public sealed class CancelSessions(Database database, TimeProvider clock)
{
    public async Task<Result<SessionChange>> SessionAsync(string sessionId, CancellationToken cancellationToken = default)
    {
        using var turn = await database.WriteTurnAsync(cancellationToken);
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var session = await SessionChanges.LockAsync(connection, transaction, database.Dialect, sessionId, cancellationToken);
        if (session is null)
        {
            return SessionChanges.NotFound;
        }

        if (session.Status != "active")
        {
            return SessionChanges.AlreadyCancelled;
        }

        if (session.Date < London.Today(clock))
        {
            return Failure.Invalid("session-in-past", "The session's day has passed.", "sessionId");
        }

        var displaced = await CancelAsync(connection, transaction, sessionId, "session-cancelled", clock.GetUtcNow(), cancellationToken);
        var cancelled = await SessionRows.FindAsync(connection, transaction, sessionId, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return new SessionChange([cancelled!], displaced);
    }

    public async Task<Result<SessionChange>> DayAsync(string siteOdsCode, DateOnly date, CancellationToken cancellationToken = default)
    {
        if (date < London.Today(clock))
        {
            return Failure.Invalid("date-in-past", "The day has passed.", "date");
        }

        using var turn = await database.WriteTurnAsync(cancellationToken);
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var site = await PublishSessions.SiteServicesAsync(connection, transaction, siteOdsCode, cancellationToken);
        if (!site.Succeeded)
        {
            return site.Failure!;
        }

        var ids = (await connection.QueryAsync<string>(new CommandDefinition(
            $"SELECT id FROM sessions WHERE site_ods_code = @site AND session_date = @date AND status = 'active' ORDER BY start_time, id{(database.Dialect.IsPostgres ? " FOR UPDATE" : "")}",
            new { site = site.Value!.OdsCode, date }, transaction, cancellationToken: cancellationToken))).ToList();
        var now = clock.GetUtcNow();
        var displaced = Displaced.None;
        var sessions = new List<Session>();
        foreach (var id in ids)
        {
            displaced = displaced.Add(await CancelAsync(connection, transaction, id, "day-cancelled", now, cancellationToken));
            sessions.Add((await SessionRows.FindAsync(connection, transaction, id, cancellationToken))!);
        }

        await transaction.CommitAsync(cancellationToken);
        return new SessionChange(sessions, displaced);
    }

    private static async Task<Displaced> CancelAsync(DbConnection connection, DbTransaction transaction, string sessionId, string reason, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE sessions SET status = 'cancelled', updated_at = @now WHERE id = @sessionId", new { sessionId, now }, transaction, cancellationToken: cancellationToken));
        var displaced = Displaced.None;
        foreach (var booking in await Displacement.ActiveAsync(connection, transaction, sessionId, cancellationToken))
        {
            await Displacement.CancelAsync(connection, transaction, booking, reason, now, cancellationToken);
            displaced = displaced.Add(booking.Status == "booked" ? new Displaced(0, 1, 0) : new Displaced(0, 0, 1));
        }

        await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE slots SET capacity = 0 WHERE session_id = @sessionId", new { sessionId }, transaction, cancellationToken: cancellationToken));
        return displaced;
    }
}

/// <summary>Reading and locking a session before changing it.</summary>
internal static class SessionChanges
{
    public static readonly Failure NotFound = Failure.NotFound("session-not-found", "No session has this id.");

    public static readonly Failure AlreadyCancelled = Failure.Conflict("session-cancelled", "The session has been cancelled.");

    public sealed class Locked
    {
        public string Id { get; set; } = "";
        public string SiteOdsCode { get; set; } = "";
        public DateOnly Date { get; set; }
        public string Status { get; set; } = "";
    }

    /// <summary>The session, with it and its slots locked on PostgreSQL (holds on them wait until the change commits).</summary>
    public static async Task<Locked?> LockAsync(DbConnection connection, DbTransaction transaction, Dialect dialect, string sessionId, CancellationToken cancellationToken)
    {
        if (sessionId.Length is 0 or > 64)
        {
            return null;
        }

        var session = await connection.QuerySingleOrDefaultAsync<Locked>(new CommandDefinition(
            $"SELECT id, site_ods_code, session_date AS date, status FROM sessions WHERE id = @sessionId{(dialect.IsPostgres ? " FOR UPDATE" : "")}",
            new { sessionId }, transaction, cancellationToken: cancellationToken));
        if (session is not null && dialect.IsPostgres)
        {
            await connection.ExecuteAsync(new CommandDefinition(
                "SELECT id FROM slots WHERE session_id = @sessionId FOR UPDATE", new { sessionId }, transaction, cancellationToken: cancellationToken));
        }

        return session;
    }
}
