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
/// materialised as a row (<c>slots</c>) with its capacity and a <c>booked</c> counter. The site must offer each service.
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
        var site = await SiteServicesAsync(connection, transaction, siteOdsCode, cancellationToken);
        if (!site.Succeeded)
        {
            return site.Failure!;
        }

        if (Unoffered(plan.Value!.Services, site.Value!.Services) is { } failure)
        {
            return failure;
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

        using var turn = await database.WriteTurnAsync(cancellationToken);
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var site = await SiteServicesAsync(connection, transaction, siteOdsCode, cancellationToken);
        if (!site.Succeeded)
        {
            return site.Failure!;
        }

        if (Unoffered(plans.SelectMany(p => p.Services).Distinct(), site.Value!.Services) is { } failure)
        {
            return failure;
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

    internal static async Task<Result<SiteServices>> SiteServicesAsync(System.Data.Common.DbConnection connection, System.Data.Common.DbTransaction transaction, string siteOdsCode, CancellationToken cancellationToken)
    {
        if (!SiteRules.TryParseOdsCode(siteOdsCode, out var ods))
        {
            return SaveSite.NotFound;
        }

        var services = await connection.QuerySingleOrDefaultAsync<string>(new CommandDefinition(
            "SELECT services FROM sites WHERE ods_code = @ods", new { ods }, transaction, cancellationToken: cancellationToken));
        return services is null ? SaveSite.NotFound : new SiteServices(ods, SiteRules.Split(services));
    }

    internal static Failure? Unoffered(IEnumerable<string> services, IReadOnlyList<string> offered) =>
        services.FirstOrDefault(s => !offered.Contains(s)) is { } missing
            ? Failure.Invalid("service-not-offered-by-site", $"The site does not offer {missing}; add it to the site's services first.", "services")
            : null;
}
