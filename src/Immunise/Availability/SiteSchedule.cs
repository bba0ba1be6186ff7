using System.Data.Common;
using System.Text.Json;
using Dapper;
using Immunise.Common;
using Immunise.Records;
using Immunise.Sites;
using Immunise.Storage;

namespace Immunise.Availability;

/// <summary>
/// A session's bookings against its capacity. <see cref="Capacity"/>: places in its slots (none once cancelled);
/// <see cref="Booked"/>: confirmed appointments; <see cref="Held"/>: holds not yet lapsed; <see cref="Cancelled"/>: appointments
/// that were confirmed and then cancelled (by the citizen, or by the site's changes); <see cref="Remaining"/>: places still free
/// in slots that have not started.
/// </summary>
public sealed record SessionFigures(Session Session, int Capacity, int Booked, int Held, int Cancelled, int Remaining);

/// <summary>One day's figures: the sum of its sessions' (<see cref="SessionFigures"/>).</summary>
public sealed record DayFigures(DateOnly Date, int Sessions, int Capacity, int Booked, int Held, int Cancelled, int Remaining);

/// <summary>A site's week, Monday to Sunday: every day (with or without sessions), and every session in time order.</summary>
public sealed record ScheduleWeek(string SiteOdsCode, DateOnly Monday, IReadOnlyList<DayFigures> Days, IReadOnlyList<SessionFigures> Sessions)
{
    public DateOnly Sunday => Monday.AddDays(6);

    public DayFigures Total => new(Monday, Days.Sum(d => d.Sessions), Days.Sum(d => d.Capacity), Days.Sum(d => d.Booked), Days.Sum(d => d.Held),
        Days.Sum(d => d.Cancelled), Days.Sum(d => d.Remaining));
}

/// <summary>A weekly template as it was applied: its date range, its weekly sessions, and how many sessions it made.</summary>
public sealed record SessionTemplate(string Id, DateOnly From, DateOnly To, IReadOnlyList<WeeklySession> Sessions, DateTimeOffset CreatedAt, int SessionsMade);

/// <summary>
/// What a site manager reads about a site's sessions: a week of sessions with their bookings against capacity, one session of
/// the site, the templates applied there, and how many confirmed appointments the site has ahead. Reads only.
/// </summary>
public sealed class SiteSchedule(Database database, TimeProvider clock)
{
    /// <summary>The Monday of the week <paramref name="day"/> is in.</summary>
    public static DateOnly WeekOf(DateOnly day) => day.AddDays(-(((int)day.DayOfWeek + 6) % 7));

    public async Task<Result<ScheduleWeek>> WeekAsync(string siteOdsCode, DateOnly day, CancellationToken cancellationToken = default)
    {
        if (!SiteRules.TryParseOdsCode(siteOdsCode, out var site))
        {
            return SaveSite.NotFound;
        }

        var monday = WeekOf(day);
        await using var connection = await database.OpenAsync(cancellationToken);
        if (await connection.ExecuteScalarAsync<long>(new CommandDefinition(
            "SELECT COUNT(*) FROM sites WHERE ods_code = @site", new { site }, cancellationToken: cancellationToken)) == 0)
        {
            return SaveSite.NotFound;
        }

        var sessions = await SessionRows.ForSiteAsync(connection, site, monday, monday.AddDays(6), cancellationToken);
        var slots = await SlotCountsAsync(connection, "sl.site_ods_code = @site AND sl.slot_date >= @from AND sl.slot_date <= @to",
            new { site, from = monday, to = monday.AddDays(6), now = clock.GetUtcNow() }, cancellationToken);
        var figures = sessions.Select(s => Figures(s, slots)).ToList();
        var days = Enumerable.Range(0, 7).Select(i =>
        {
            var date = monday.AddDays(i);
            var those = figures.Where(f => f.Session.Date == date).ToList();
            return new DayFigures(date, those.Count(f => f.Session.Status == "active"), those.Sum(f => f.Capacity), those.Sum(f => f.Booked),
                those.Sum(f => f.Held), those.Sum(f => f.Cancelled), those.Sum(f => f.Remaining));
        }).ToList();
        return new ScheduleWeek(site, monday, days, figures);
    }

    /// <summary>One session with its figures, only if it is the site's (null otherwise: a session of another site is not found here).</summary>
    public async Task<SessionFigures?> SessionAsync(string siteOdsCode, string sessionId, CancellationToken cancellationToken = default)
    {
        if (!SiteRules.TryParseOdsCode(siteOdsCode, out var site) || sessionId.Length is 0 or > 64)
        {
            return null;
        }

        await using var connection = await database.OpenAsync(cancellationToken);
        var session = await SessionRows.FindAsync(connection, null, sessionId, cancellationToken);
        if (session is null || session.SiteOdsCode != site)
        {
            return null;
        }

        var slots = await SlotCountsAsync(connection, "sl.session_id = @sessionId", new { sessionId, now = clock.GetUtcNow() }, cancellationToken);
        return Figures(session, slots);
    }

    /// <summary>The templates applied at the site, latest first (at most 50).</summary>
    public async Task<IReadOnlyList<SessionTemplate>> TemplatesAsync(string siteOdsCode, CancellationToken cancellationToken = default)
    {
        if (!SiteRules.TryParseOdsCode(siteOdsCode, out var site))
        {
            return [];
        }

        await using var connection = await database.OpenAsync(cancellationToken);
        var rows = await connection.QueryAsync<TemplateRow>(new CommandDefinition(
            "SELECT id, from_date, to_date, definition, created_at FROM session_templates WHERE site_ods_code = @site ORDER BY created_at DESC, id LIMIT 50",
            new { site }, cancellationToken: cancellationToken));
        var made = (await connection.QueryAsync<(string TemplateId, long Count)>(new CommandDefinition(
            "SELECT template_id, COUNT(*) FROM sessions WHERE site_ods_code = @site AND template_id IS NOT NULL GROUP BY template_id",
            new { site }, cancellationToken: cancellationToken))).ToDictionary(r => r.TemplateId, r => (int)r.Count, StringComparer.Ordinal);
        return rows.Select(r => new SessionTemplate(r.Id, r.FromDate, r.ToDate, JsonSerializer.Deserialize<List<WeeklySession>>(r.Definition) ?? [],
            r.CreatedAt, made.GetValueOrDefault(r.Id))).ToList();
    }

    /// <summary>One template applied at the site, or null.</summary>
    public async Task<SessionTemplate?> TemplateAsync(string siteOdsCode, string templateId, CancellationToken cancellationToken = default) =>
        (await TemplatesAsync(siteOdsCode, cancellationToken)).FirstOrDefault(t => t.Id == templateId);

    /// <summary>Confirmed appointments at the site from today on: what stays booked when the site goes offline.</summary>
    public async Task<int> BookingsAheadAsync(string siteOdsCode, CancellationToken cancellationToken = default)
    {
        if (!SiteRules.TryParseOdsCode(siteOdsCode, out var site))
        {
            return 0;
        }

        await using var connection = await database.OpenAsync(cancellationToken);
        return await SetSiteStatus.BookingsAheadAsync(connection, null, site, London.Today(clock), cancellationToken);
    }

    private static SessionFigures Figures(Session session, ILookup<string, SlotCount> slots)
    {
        var mine = slots[session.Id].ToList();
        return new SessionFigures(session, mine.Sum(s => s.Capacity), mine.Sum(s => (int)s.Booked), mine.Sum(s => (int)s.Held), mine.Sum(s => (int)s.Cancelled),
            mine.Where(s => s.Started == 0).Sum(s => Math.Max(0, s.Capacity - (int)s.Booked - (int)s.Held)));
    }

    /// <summary>
    /// Per slot: capacity and the bookings in it by kind. The repeated <c>status IN ('held', 'booked')</c> lets SQLite use the
    /// partial index on active bookings (it needs the index's own condition in the query); PostgreSQL proves it either way.
    /// Appointments the site's day has moved on (checked in, vaccinated, not vaccinated, did not attend) still hold their
    /// places: they count as booked (found through the index on slot and status).
    /// </summary>
    private static async Task<ILookup<string, SlotCount>> SlotCountsAsync(DbConnection connection, string where, object parameters, CancellationToken cancellationToken) =>
        (await connection.QueryAsync<SlotCount>(new CommandDefinition(
            $"""
            SELECT sl.session_id, sl.capacity, CASE WHEN sl.starts_at <= @now THEN 1 ELSE 0 END AS started,
                (SELECT COUNT(*) FROM bookings b WHERE b.slot_id = sl.id
                    AND b.status IN ('booked', 'checked-in', 'vaccinated', 'not-vaccinated', 'did-not-attend')) AS booked,
                (SELECT COUNT(*) FROM bookings b WHERE b.slot_id = sl.id AND b.status IN ('held', 'booked') AND b.status = 'held'
                    AND b.hold_expires_at > @now) AS held,
                (SELECT COUNT(*) FROM bookings b WHERE b.slot_id = sl.id AND b.status = 'cancelled' AND b.confirmed_at IS NOT NULL) AS cancelled
            FROM slots sl WHERE {where}
            """,
            parameters, cancellationToken: cancellationToken))).ToLookup(s => s.SessionId, StringComparer.Ordinal);

    private sealed class SlotCount
    {
        public string SessionId { get; set; } = "";
        public int Capacity { get; set; }
        public long Started { get; set; }
        public long Booked { get; set; }
        public long Held { get; set; }
        public long Cancelled { get; set; }
    }

    private sealed class TemplateRow
    {
        public string Id { get; set; } = "";
        public DateOnly FromDate { get; set; }
        public DateOnly ToDate { get; set; }
        public string Definition { get; set; } = "";
        public DateTimeOffset CreatedAt { get; set; }
    }
}
