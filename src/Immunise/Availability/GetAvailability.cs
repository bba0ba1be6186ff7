using Dapper;
using Immunise.Booking;
using Immunise.Common;
using Immunise.Records;
using Immunise.Sites;
using Immunise.Storage;

namespace Immunise.Availability;

/// <summary>A site's availability from <see cref="From"/> to <see cref="To"/> (inclusive), optionally for one service.</summary>
public sealed record AvailabilityQuery(string? SiteOdsCode, DateOnly? From, DateOnly? To, string? Service = null);

/// <summary>A slot that can still be booked or is full: its id (to hold), Europe/London start and end, UTC instants, free places.</summary>
public sealed record AvailableSlot(long SlotId, string From, string Until, DateTimeOffset StartsAt, DateTimeOffset EndsAt, int Capacity, int Free, IReadOnlyList<string> Services);

/// <summary>One day at the site: the free places in all its slots, and the slots themselves in time order.</summary>
public sealed record AvailableDay(DateOnly Date, int Free, IReadOnlyList<AvailableSlot> Slots);

public sealed record SiteAvailability(string SiteOdsCode, DateOnly From, DateOnly To, IReadOnlyList<AvailableDay> Days);

/// <summary>
/// Availability by day and by slot: only slots that have not started, of sessions that are not cancelled, offering the
/// service asked about; a slot's free places are its capacity less its held and booked places. Days without such slots are
/// left out. An offline site has no availability (no days).
/// </summary>
public sealed class GetAvailability(Database database, TimeProvider clock)
{
    public const int MaxDays = 62;

    public async Task<Result<SiteAvailability>> HandleAsync(AvailabilityQuery query, CancellationToken cancellationToken = default)
    {
        if (!SiteRules.TryParseOdsCode(query.SiteOdsCode, out var site))
        {
            return SaveSite.NotFound;
        }

        var today = London.Today(clock);
        var from = query.From ?? today;
        var to = query.To ?? from.AddDays(27);
        if (to < from)
        {
            return Failure.Invalid("invalid-date-range", "'to' is before 'from'.", "to");
        }

        if (to.DayNumber - from.DayNumber + 1 > MaxDays)
        {
            return Failure.Invalid("date-range-too-long", $"Availability can be asked for at most {MaxDays} days at a time.", "to");
        }

        string? service = null;
        if (!string.IsNullOrWhiteSpace(query.Service))
        {
            service = SiteRules.CanonicalService(query.Service);
            if (service is null)
            {
                return BookingCodes.UnknownService;
            }
        }

        await using var connection = await database.OpenAsync(cancellationToken);
        var status = await connection.QuerySingleOrDefaultAsync<string>(new CommandDefinition(
            "SELECT status FROM sites WHERE ods_code = @site", new { site }, cancellationToken: cancellationToken));
        if (status is null)
        {
            return SaveSite.NotFound;
        }

        if (status != SiteRules.Online)
        {
            return new SiteAvailability(site, from, to, []);
        }

        var rows = await connection.QueryAsync<SlotRow>(new CommandDefinition(
            $"""
            SELECT sl.id, sl.slot_date, sl.start_time, sl.starts_at, sl.ends_at, sl.capacity, sl.booked, se.services
            FROM slots sl JOIN sessions se ON se.id = sl.session_id
            WHERE sl.site_ods_code = @site AND sl.slot_date >= @from AND sl.slot_date <= @to AND sl.starts_at > @now
              AND sl.capacity > 0 AND se.status = 'active'
              {(service is null ? "" : "AND EXISTS (SELECT 1 FROM session_services ss WHERE ss.session_id = sl.session_id AND ss.service = @service)")}
            ORDER BY sl.slot_date, sl.start_time, sl.id
            """,
            new { site, from, to, now = clock.GetUtcNow(), service }, cancellationToken: cancellationToken));
        var days = rows
            .GroupBy(r => r.SlotDate)
            .Select(g =>
            {
                var slots = g.Select(r => new AvailableSlot(
                    r.Id, r.StartTime, SessionRules.Format(TimeOnly.ParseExact(r.StartTime, "HH:mm").Add(r.EndsAt - r.StartsAt)),
                    r.StartsAt, r.EndsAt, r.Capacity, Math.Max(0, r.Capacity - r.Booked), SiteRules.Split(r.Services))).ToList();
                return new AvailableDay(g.Key, slots.Sum(s => s.Free), slots);
            })
            .ToList();
        return new SiteAvailability(site, from, to, days);
    }

    private sealed class SlotRow
    {
        public long Id { get; set; }
        public DateOnly SlotDate { get; set; }
        public string StartTime { get; set; } = "";
        public DateTimeOffset StartsAt { get; set; }
        public DateTimeOffset EndsAt { get; set; }
        public int Capacity { get; set; }
        public int Booked { get; set; }
        public string Services { get; set; } = "";
    }
}
