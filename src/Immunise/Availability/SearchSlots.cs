using Dapper;
using Immunise.Common;
using Immunise.Sites;
using Immunise.Storage;

namespace Immunise.Availability;

/// <summary>Slots of a site's active sessions starting in [<see cref="StartFrom"/>, <see cref="StartTo"/>], free, full or both.</summary>
public sealed record SlotSearch(string SiteOdsCode, DateTimeOffset StartFrom, DateTimeOffset StartTo, bool Free = true, bool Busy = false);

/// <summary>A slot as the FHIR view shows it: free while it has a place left, busy when full.</summary>
public sealed record SlotView(long Id, string SiteOdsCode, string SiteName, DateOnly Date, string StartTime, DateTimeOffset StartsAt, DateTimeOffset EndsAt,
    int Capacity, int Booked, IReadOnlyList<string> Services)
{
    public bool IsFree => Booked < Capacity;
}

/// <summary>
/// Slots by site, start range and status (the FHIR <c>/Slot</c> search): at most 31 days and 5,000 slots at a time. An
/// offline site has none.
/// </summary>
public sealed class SearchSlots(Database database)
{
    public const int MaxDays = 31;
    public const int MaxSlots = 5_000;

    public async Task<Result<IReadOnlyList<SlotView>>> HandleAsync(SlotSearch search, CancellationToken cancellationToken = default)
    {
        if (!SiteRules.TryParseOdsCode(search.SiteOdsCode, out var site))
        {
            return SaveSite.NotFound;
        }

        if (search.StartTo < search.StartFrom)
        {
            return Failure.Invalid("invalid-date-range", "The start range ends before it begins.", "start");
        }

        if (search.StartTo - search.StartFrom > TimeSpan.FromDays(MaxDays))
        {
            return Failure.Invalid("date-range-too-long", $"Slots can be searched over at most {MaxDays} days at a time.", "start");
        }

        await using var connection = await database.OpenAsync(cancellationToken);
        var rows = await connection.QueryAsync<Row>(new CommandDefinition(
            """
            SELECT sl.id, sl.site_ods_code, st.name AS site_name, sl.slot_date, sl.start_time, sl.starts_at, sl.ends_at, sl.capacity, sl.booked, se.services
            FROM slots sl JOIN sessions se ON se.id = sl.session_id JOIN sites st ON st.ods_code = sl.site_ods_code
            WHERE sl.site_ods_code = @site AND sl.slot_date >= @fromDay AND sl.slot_date <= @toDay
              AND sl.starts_at >= @from AND sl.starts_at <= @to AND sl.capacity > 0 AND se.status = 'active' AND st.status = 'online'
              AND ((@free = 1 AND sl.booked < sl.capacity) OR (@busy = 1 AND sl.booked >= sl.capacity))
            ORDER BY sl.starts_at, sl.id
            LIMIT @limit
            """,
            new
            {
                site, from = search.StartFrom, to = search.StartTo,
                fromDay = DateOnly.FromDateTime(search.StartFrom.UtcDateTime).AddDays(-1), toDay = DateOnly.FromDateTime(search.StartTo.UtcDateTime).AddDays(1),
                free = search.Free ? 1 : 0, busy = search.Busy ? 1 : 0, limit = MaxSlots,
            },
            cancellationToken: cancellationToken));
        return rows.Select(r => new SlotView(r.Id, r.SiteOdsCode, r.SiteName, r.SlotDate, r.StartTime, r.StartsAt, r.EndsAt, r.Capacity, r.Booked, SiteRules.Split(r.Services))).ToList();
    }

    private sealed class Row
    {
        public long Id { get; set; }
        public string SiteOdsCode { get; set; } = "";
        public string SiteName { get; set; } = "";
        public DateOnly SlotDate { get; set; }
        public string StartTime { get; set; } = "";
        public DateTimeOffset StartsAt { get; set; }
        public DateTimeOffset EndsAt { get; set; }
        public int Capacity { get; set; }
        public int Booked { get; set; }
        public string Services { get; set; } = "";
    }
}
