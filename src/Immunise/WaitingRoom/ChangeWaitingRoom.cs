using Dapper;
using Immunise.Audit;
using Immunise.Common;
using Immunise.Storage;

namespace Immunise.WaitingRoom;

/// <summary>
/// A change to the waiting room's settings; what is null stays as it is. The rate's time is counted from the change (no
/// admissions are owed for the time the room was off or paused). <see cref="OpensAt"/> schedules an opening (and
/// switches the room on); <see cref="CancelOpening"/> removes one.
/// </summary>
public sealed record WaitingRoomChange(
    string? Mode = null,
    bool? Paused = null,
    int? RatePerMinute = null,
    int? MaxActive = null,
    DateTimeOffset? OpensAt = null,
    bool CancelOpening = false)
{
    public bool IsEmpty => Mode is null && Paused is null && RatePerMinute is null && MaxActive is null && OpensAt is null && !CancelOpening;
}

/// <summary>
/// Administrators' controls: switch the room off, on or to automatic, pause admissions, set the rate (people per minute) and
/// the maximum of active visitors, schedule or cancel an opening. One transaction with the counter row locked; audited as
/// <c>waiting-room.changed</c>. Every node sees the change within its cache interval; this node at once.
/// <list type="bullet">
/// <item>off: no queue; a scheduled opening is cancelled (tickets taken before it are numbered, in their random order, at the next tick).</item>
/// <item>automatic, from on with people waiting: the room stays on until they have been admitted.</item>
/// <item>scheduling an opening switches the room on; no one is admitted before it.</item>
/// </list>
/// </summary>
public sealed class ChangeWaitingRoom(Database database, QueueCounters counters, AuditLog audit, WaitingRoomOptions options, TimeProvider clock)
{
    public const int MaxRatePerMinute = 1_000_000;
    public const int MaxActiveLimit = 10_000_000;
    public static readonly TimeSpan FurthestOpening = TimeSpan.FromDays(90);

    public async Task<Result<QueueSnapshot>> HandleAsync(WaitingRoomChange change, Actor actor, CancellationToken cancellationToken = default)
    {
        var now = clock.GetUtcNow();
        if (Validate(change, now) is { } invalid)
        {
            return invalid;
        }

        using var turn = await database.WriteTurnAsync(cancellationToken);
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var s = await QueueCounters.ReadAsync(connection, transaction, cancellationToken, forUpdate: database.Dialect.IsPostgres);

        var mode = change.Mode ?? (change.OpensAt is not null ? WaitingRoomModes.On : s.Mode);
        var rate = change.RatePerMinute ?? s.RatePerMinute;
        var maxActive = change.MaxActive ?? s.MaxActive;
        if (mode != WaitingRoomModes.Off && rate == 0 && maxActive == 0)
        {
            return Failure.Invalid("no-limit", "Set a rate (people per minute) or a maximum number of active visitors, or both.", "ratePerMinute");
        }

        var opensAt = mode == WaitingRoomModes.Off || change.CancelOpening ? null : change.OpensAt?.ToUniversalTime() ?? s.OpensAt;
        var autoUntil = mode switch
        {
            WaitingRoomModes.Automatic when s.IsActive(now) && s.Waiting > 0 => now + options.AutomaticHold,
            WaitingRoomModes.Automatic => s.AutoUntil,
            _ => null,
        };
        var snapshot = (await connection.QuerySingleAsync<QueueCounters.Row>(new CommandDefinition(
            $"""
            UPDATE waiting_room SET enabled = @enabled, automatic = @automatic, auto_until = @autoUntil, paused = @paused,
                rate_per_minute = @rate, max_active = @maxActive, opens_at = @opensAt, last_advance_at = @now, updated_at = @now, updated_by = @by
            WHERE id = 1
            RETURNING {QueueCounters.Columns}
            """,
            new
            {
                enabled = mode == WaitingRoomModes.On,
                automatic = mode == WaitingRoomModes.Automatic,
                autoUntil,
                paused = change.Paused ?? s.Paused,
                rate,
                maxActive,
                opensAt,
                now,
                by = $"{actor.Type}:{actor.Id}",
            }, transaction, cancellationToken: cancellationToken))).ToSnapshot();
        await audit.WriteAsync(connection, transaction, new AuditEntry(actor, "waiting-room.changed", ResourceType: "WaitingRoom", ResourceId: "waiting-room",
            Purpose: Describe(snapshot)), cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        counters.Keep(snapshot);
        return snapshot;
    }

    /// <summary>The settings in a line, for the audit trail and logs.</summary>
    public static string Describe(QueueSnapshot s) => string.Create(System.Globalization.CultureInfo.InvariantCulture,
        $"mode={s.Mode} paused={(s.Paused ? "yes" : "no")} rate={s.RatePerMinute}/min maxActive={s.MaxActive} opensAt={(s.OpensAt is { } at ? Instant.Format(at) : "-")}");

    private static Failure? Validate(WaitingRoomChange change, DateTimeOffset now)
    {
        if (change.Mode is not null && !WaitingRoomModes.All.Contains(change.Mode))
        {
            return Failure.Invalid("invalid-mode", "The waiting room is 'off', 'on' or 'automatic'.", "mode");
        }

        if (change.RatePerMinute is < 0 or > MaxRatePerMinute)
        {
            return Failure.Invalid("invalid-rate", $"The rate is a whole number of people per minute from 0 to {MaxRatePerMinute:N0} (0: no rate limit).", "ratePerMinute");
        }

        if (change.MaxActive is < 0 or > MaxActiveLimit)
        {
            return Failure.Invalid("invalid-max-active", $"The maximum of active visitors is a whole number from 0 to {MaxActiveLimit:N0} (0: no maximum).", "maxActive");
        }

        if (change.OpensAt is { } opens)
        {
            if (change.CancelOpening)
            {
                return Failure.Invalid("invalid-opening", "Either schedule an opening or cancel it, not both.", "opensAt");
            }

            if (change.Mode == WaitingRoomModes.Off)
            {
                return Failure.Invalid("invalid-opening", "An opening needs the waiting room on.", "opensAt");
            }

            if (opens <= now)
            {
                return Failure.Invalid("opening-in-past", "The opening must be in the future.", "opensAt");
            }

            if (opens > now + FurthestOpening)
            {
                return Failure.Invalid("opening-too-far", "The opening must be within 90 days.", "opensAt");
            }
        }

        return null;
    }
}
