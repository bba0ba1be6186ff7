using System.Data.Common;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Dapper;
using Immunise.Sites;

namespace Immunise.Availability;

/// <summary>Storing and reading sessions and their slots: the SQL the availability use cases share.</summary>
internal static class SessionRows
{
    public const string SessionColumns =
        "s.id, s.site_ods_code, s.session_date, s.start_time, s.end_time, s.slot_minutes, s.capacity, s.services, s.status, s.template_id, "
        + "(SELECT COUNT(*) FROM slots sl WHERE sl.session_id = s.id AND sl.capacity > 0) AS slot_count, "
        + "(SELECT COALESCE(SUM(sl.booked), 0) FROM slots sl WHERE sl.session_id = s.id) AS booked";

    public static string NewId() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12));

    public static async Task InsertAsync(DbConnection connection, DbTransaction transaction, string id, string site, SessionPlan plan, string? templateId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await connection.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO sessions (id, site_ods_code, session_date, start_time, end_time, slot_minutes, capacity, services, status, template_id, created_at, updated_at)
            VALUES (@id, @site, @Date, @From, @Until, @SlotMinutes, @Capacity, @services, 'active', @templateId, @now, @now)
            """,
            new { id, site, plan.Date, From = plan.FromText, Until = plan.UntilText, plan.SlotMinutes, plan.Capacity, services = SiteRules.Join(plan.Services), templateId, now },
            transaction, cancellationToken: cancellationToken));
        await InsertServicesAsync(connection, transaction, id, plan.Services, cancellationToken);
        await InsertSlotsAsync(connection, transaction, id, site, plan.Date, plan.Capacity, plan.Slots(), cancellationToken);
    }

    public static Task InsertServicesAsync(DbConnection connection, DbTransaction transaction, string id, IEnumerable<string> services, CancellationToken cancellationToken) =>
        connection.ExecuteAsync(new CommandDefinition(
            "INSERT INTO session_services (session_id, service) VALUES (@id, @service)",
            services.Select(service => new { id, service }), transaction, cancellationToken: cancellationToken));

    /// <summary>Inserts slots with one multi-row statement per 200 slots.</summary>
    public static async Task InsertSlotsAsync(DbConnection connection, DbTransaction transaction, string sessionId, string site, DateOnly date, int capacity, IReadOnlyList<PlannedSlot> slots, CancellationToken cancellationToken)
    {
        foreach (var chunk in slots.Chunk(200))
        {
            var sql = new StringBuilder("INSERT INTO slots (session_id, site_ods_code, slot_date, start_time, starts_at, ends_at, capacity, booked) VALUES ");
            var parameters = new DynamicParameters(new { sessionId, site, date, capacity });
            for (var i = 0; i < chunk.Length; i++)
            {
                var n = i.ToString(CultureInfo.InvariantCulture);
                sql.Append(i == 0 ? "" : ", ").Append($"(@sessionId, @site, @date, @t{n}, @s{n}, @e{n}, @capacity, 0)");
                parameters.Add("t" + n, chunk[i].StartTime);
                parameters.Add("s" + n, chunk[i].StartsAt);
                parameters.Add("e" + n, chunk[i].EndsAt);
            }

            await connection.ExecuteAsync(new CommandDefinition(sql.ToString(), parameters, transaction, cancellationToken: cancellationToken));
        }
    }

    public static async Task<Session?> FindAsync(DbConnection connection, DbTransaction? transaction, string id, CancellationToken cancellationToken)
    {
        var row = await connection.QuerySingleOrDefaultAsync<Row>(new CommandDefinition(
            $"SELECT {SessionColumns} FROM sessions s WHERE s.id = @id", new { id }, transaction, cancellationToken: cancellationToken));
        return row?.ToSession();
    }

    public static async Task<IReadOnlyList<Session>> ForSiteAsync(DbConnection connection, string site, DateOnly from, DateOnly to, CancellationToken cancellationToken) =>
        (await connection.QueryAsync<Row>(new CommandDefinition(
            $"SELECT {SessionColumns} FROM sessions s WHERE s.site_ods_code = @site AND s.session_date >= @from AND s.session_date <= @to ORDER BY s.session_date, s.start_time, s.id",
            new { site, from, to }, cancellationToken: cancellationToken))).Select(r => r.ToSession()).ToList();

    /// <summary>The active sessions of a site from <paramref name="from"/> to <paramref name="to"/> (inclusive), for the overlap check.</summary>
    public static async Task<IReadOnlyList<SessionTimes>> ActiveTimesAsync(DbConnection connection, DbTransaction transaction, string site, DateOnly from, DateOnly to, CancellationToken cancellationToken) =>
        (await connection.QueryAsync<TimesRow>(new CommandDefinition(
            """
            SELECT id, session_date, start_time, end_time FROM sessions
            WHERE site_ods_code = @site AND session_date >= @from AND session_date <= @to AND status = 'active'
            """,
            new { site, from, to }, transaction, cancellationToken: cancellationToken)))
        .Select(r => new SessionTimes(r.Id, r.SessionDate, r.StartTime, r.EndTime)).ToList();

    private sealed class TimesRow
    {
        public string Id { get; set; } = "";
        public DateOnly SessionDate { get; set; }
        public string StartTime { get; set; } = "";
        public string EndTime { get; set; } = "";
    }

    public sealed class Row
    {
        public string Id { get; set; } = "";
        public string SiteOdsCode { get; set; } = "";
        public DateOnly SessionDate { get; set; }
        public string StartTime { get; set; } = "";
        public string EndTime { get; set; } = "";
        public int SlotMinutes { get; set; }
        public int Capacity { get; set; }
        public string Services { get; set; } = "";
        public string Status { get; set; } = "";
        public string? TemplateId { get; set; }
        public long SlotCount { get; set; }
        public long Booked { get; set; }

        public Session ToSession() => new(Id, SiteOdsCode, SessionDate, StartTime, EndTime, SlotMinutes, Capacity,
            SiteRules.Split(Services), Status, TemplateId, (int)SlotCount, (int)Booked);
    }
}
