using System.Globalization;
using System.Text.Json;
using Dapper;
using Immunise.Common;
using Immunise.Records;
using Immunise.Sites;
using Immunise.Storage;

namespace Immunise.Availability;

/// <summary>One session of a weekly template: the weekdays it runs on and its times, slots and services.</summary>
public sealed record WeeklySession(IReadOnlyList<string>? Days, string? From, string? Until, int? SlotMinutes, int? Capacity, IReadOnlyList<string>? Services);

/// <summary>A weekly template to apply to every matching day from <see cref="From"/> to <see cref="To"/> (inclusive).</summary>
public sealed record WeeklyTemplate(DateOnly? From, DateOnly? To, IReadOnlyList<WeeklySession>? Sessions);

public sealed record AppliedTemplate(string TemplateId, DateOnly From, DateOnly To, IReadOnlyList<Session> Sessions);

/// <summary>
/// Publishes availability at a site: one session, or a weekly template applied over a date range. Every slot is
/// materialised as a row (<c>slots</c>) with its capacity and a <c>booked</c> counter. The site must offer each service, and
/// a new session must not overlap an active session of the site on the same day (<c>session-overlaps</c>; sessions that
/// only touch, one ending when the other starts, do not overlap). The check and the insert run with the site's row locked
/// (PostgreSQL; on SQLite the one writer), so two overlapping sessions published at once cannot both be stored.
/// </summary>
public sealed class PublishSessions(Database database, TimeProvider clock)
{
    /// <summary>Longest date range a template may be applied over in one request.</summary>
    public const int MaxTemplateDays = 184;

    public async Task<Result<Session>> CreateAsync(string siteOdsCode, SessionDetails details, CancellationToken cancellationToken = default)
    {
        var plan = SessionRules.Validate(details, London.Today(clock));
        if (!plan.Succeeded)
        {
            return plan.Failure!;
        }

        using var turn = await database.WriteTurnAsync(cancellationToken);
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var site = await SiteServicesAsync(connection, transaction, siteOdsCode, cancellationToken, lockSite: database.Dialect.IsPostgres);
        if (!site.Succeeded)
        {
            return site.Failure!;
        }

        if (Unoffered(plan.Value!.Services, site.Value!.Services) is { } failure)
        {
            return failure;
        }

        var existing = await SessionRows.ActiveTimesAsync(connection, transaction, site.Value.OdsCode, plan.Value.Date, plan.Value.Date, cancellationToken);
        if (SessionRules.FirstOverlap([plan.Value], existing) is { } overlap)
        {
            return SessionRules.Overlaps(overlap);
        }

        var id = SessionRows.NewId();
        await SessionRows.InsertAsync(connection, transaction, id, site.Value.OdsCode, plan.Value, null, clock.GetUtcNow(), cancellationToken);
        var session = await SessionRows.FindAsync(connection, transaction, id, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return session!;
    }

    public async Task<Result<AppliedTemplate>> ApplyTemplateAsync(string siteOdsCode, WeeklyTemplate template, string createdBy, CancellationToken cancellationToken = default)
    {
        var today = London.Today(clock);
        if (template.From is not { } from || template.To is not { } to)
        {
            return Failure.Invalid("invalid-date", "The template needs 'from' and 'to' dates (yyyy-MM-dd).", template.From is null ? "from" : "to");
        }

        if (to < from)
        {
            return Failure.Invalid("invalid-date-range", "'to' is before 'from'.", "to");
        }

        if (to.DayNumber - from.DayNumber + 1 > MaxTemplateDays)
        {
            return Failure.Invalid("date-range-too-long", $"A template can be applied to at most {MaxTemplateDays} days at a time.", "to");
        }

        if (to < today)
        {
            return Failure.Invalid("date-in-past", "The whole date range is before today.", "to");
        }

        if (template.Sessions is not { Count: > 0 and <= 20 } weekly)
        {
            return Failure.Invalid("missing-sessions", "A template needs 1 to 20 weekly sessions.", "sessions");
        }

        var plans = new List<SessionPlan>();
        var effectiveFrom = from < today ? today : from;
        for (var i = 0; i < weekly.Count; i++)
        {
            var prefix = $"sessions[{i.ToString(CultureInfo.InvariantCulture)}].";
            var days = new HashSet<DayOfWeek>();
            foreach (var name in weekly[i].Days ?? [])
            {
                if (!Enum.TryParse<DayOfWeek>(name?.Trim(), ignoreCase: true, out var day) || !Enum.IsDefined(day) || int.TryParse(name, out _))
                {
                    return Failure.Invalid("invalid-day", "Days must be weekday names (monday … sunday).", prefix + "days");
                }

                days.Add(day);
            }

            if (days.Count == 0)
            {
                return Failure.Invalid("invalid-day", "Each weekly session needs at least one weekday.", prefix + "days");
            }

            // Check the session's shape once (on the first day of the range), then plan each matching day.
            var shape = SessionRules.Validate(effectiveFrom, weekly[i].From, weekly[i].Until, weekly[i].SlotMinutes, weekly[i].Capacity, weekly[i].Services, today, prefix);
            if (!shape.Succeeded)
            {
                return shape.Failure!;
            }

            for (var date = effectiveFrom; date <= to; date = date.AddDays(1))
            {
                if (days.Contains(date.DayOfWeek))
                {
                    var plan = SessionRules.Validate(date, weekly[i].From, weekly[i].Until, weekly[i].SlotMinutes, weekly[i].Capacity, weekly[i].Services, today, prefix);
                    if (!plan.Succeeded)
                    {
                        return plan.Failure!;
                    }

                    plans.Add(plan.Value!);
                }
            }
        }

        if (SessionRules.FirstOverlapWithin(plans) is { } clash)
        {
            return Failure.Invalid("sessions-overlap",
                $"Two of the template's sessions overlap on {clash.Date:dddd} ({clash.From}–{clash.Until}): change the times or the days.", "sessions");
        }

        using var turn = await database.WriteTurnAsync(cancellationToken);
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var site = await SiteServicesAsync(connection, transaction, siteOdsCode, cancellationToken, lockSite: database.Dialect.IsPostgres);
        if (!site.Succeeded)
        {
            return site.Failure!;
        }

        if (Unoffered(plans.SelectMany(p => p.Services).Distinct(), site.Value!.Services) is { } failure)
        {
            return failure;
        }

        var existing = await SessionRows.ActiveTimesAsync(connection, transaction, site.Value.OdsCode, effectiveFrom, to, cancellationToken);
        if (SessionRules.FirstOverlap(plans, existing) is { } overlap)
        {
            return SessionRules.Overlaps(overlap);
        }

        var now = clock.GetUtcNow();
        var templateId = SessionRows.NewId();
        await connection.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO session_templates (id, site_ods_code, from_date, to_date, definition, created_at, created_by)
            VALUES (@templateId, @site, @from, @to, @definition, @now, @createdBy)
            """,
            new { templateId, site = site.Value.OdsCode, from, to, definition = JsonSerializer.Serialize(weekly), now, createdBy },
            transaction, cancellationToken: cancellationToken));
        var ids = new List<string>();
        foreach (var plan in plans.OrderBy(p => p.Date).ThenBy(p => p.From))
        {
            var id = SessionRows.NewId();
            ids.Add(id);
            await SessionRows.InsertAsync(connection, transaction, id, site.Value.OdsCode, plan, templateId, now, cancellationToken);
        }

        var sessions = new List<Session>();
        foreach (var id in ids)
        {
            sessions.Add((await SessionRows.FindAsync(connection, transaction, id, cancellationToken))!);
        }

        await transaction.CommitAsync(cancellationToken);
        return new AppliedTemplate(templateId, effectiveFrom, to, sessions);
    }

    internal sealed record SiteServices(string OdsCode, IReadOnlyList<string> Services);

    /// <summary>
    /// The site's services. <paramref name="lockSite"/> (PostgreSQL): lock the site's row until the transaction ends, so that
    /// changes to its sessions that must not overlap take turns (the lock does not block holds, nor the foreign keys of new sessions).
    /// </summary>
    internal static async Task<Result<SiteServices>> SiteServicesAsync(
        System.Data.Common.DbConnection connection, System.Data.Common.DbTransaction transaction, string siteOdsCode, CancellationToken cancellationToken, bool lockSite = false)
    {
        if (!SiteRules.TryParseOdsCode(siteOdsCode, out var ods))
        {
            return SaveSite.NotFound;
        }

        var services = await connection.QuerySingleOrDefaultAsync<string>(new CommandDefinition(
            $"SELECT services FROM sites WHERE ods_code = @ods{(lockSite ? " FOR NO KEY UPDATE" : "")}", new { ods }, transaction, cancellationToken: cancellationToken));
        return services is null ? SaveSite.NotFound : new SiteServices(ods, SiteRules.Split(services));
    }

    internal static Failure? Unoffered(IEnumerable<string> services, IReadOnlyList<string> offered) =>
        services.FirstOrDefault(s => !offered.Contains(s)) is { } missing
            ? Failure.Invalid("service-not-offered-by-site", $"The site does not offer {missing}; add it to the site's services first.", "services")
            : null;
}
