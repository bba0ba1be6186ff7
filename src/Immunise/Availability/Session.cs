using System.Globalization;
using Immunise.Common;
using Immunise.Records;
using Immunise.Sites;

namespace Immunise.Availability;

/// <summary>
/// A session at a site: one day, a Europe/London time range cut into slots of <see cref="SlotMinutes"/>, each with room for
/// <see cref="Capacity"/> people (vaccinators), offering <see cref="Services"/>. <see cref="Booked"/> counts held and booked places.
/// </summary>
public sealed record Session(
    string Id,
    string SiteOdsCode,
    DateOnly Date,
    string From,
    string Until,
    int SlotMinutes,
    int Capacity,
    IReadOnlyList<string> Services,
    string Status,
    string? TemplateId,
    int Slots,
    int Booked);

/// <summary>A session as a caller describes it (times as <c>HH:mm</c>, Europe/London).</summary>
public sealed record SessionDetails(DateOnly? Date, string? From, string? Until, int? SlotMinutes, int? Capacity, IReadOnlyList<string>? Services);

/// <summary>One slot a session plan makes: its local start (<c>HH:mm</c>) and its UTC start and end.</summary>
public sealed record PlannedSlot(string StartTime, DateTimeOffset StartsAt, DateTimeOffset EndsAt);

/// <summary>A checked session: what will be stored, and the slots it cuts into.</summary>
public sealed record SessionPlan(DateOnly Date, TimeOnly From, TimeOnly Until, int SlotMinutes, int Capacity, IReadOnlyList<string> Services)
{
    public string FromText => SessionRules.Format(From);

    public string UntilText => SessionRules.Format(Until);

    /// <summary>Slots from <see cref="From"/> while a whole slot fits before <see cref="Until"/>; times are Europe/London wall-clock.</summary>
    public IReadOnlyList<PlannedSlot> Slots()
    {
        var slots = new List<PlannedSlot>();
        for (var start = From; ; start = start.AddMinutes(SlotMinutes))
        {
            var end = start.AddMinutes(SlotMinutes);
            if (end > Until || end <= start)
            {
                break;
            }

            slots.Add(new PlannedSlot(SessionRules.Format(start), SessionRules.ToInstant(Date, start), SessionRules.ToInstant(Date, end)));
            if (end == Until)
            {
                break;
            }
        }

        return slots;
    }
}

/// <summary>When an active session runs: its id, day and Europe/London times (<c>HH:mm</c>).</summary>
public sealed record SessionTimes(string Id, DateOnly Date, string From, string Until);

/// <summary>The rules a session must keep (pure).</summary>
public static class SessionRules
{
    public const int MinSlotMinutes = 5;
    public const int MaxSlotMinutes = 240;
    public const int MaxCapacity = 100;

    /// <summary>How far ahead sessions may be published.</summary>
    public const int MaxDaysAhead = 366;

    public static string Format(TimeOnly time) => time.ToString("HH:mm", CultureInfo.InvariantCulture);

    public static bool TryParseTime(string? text, out TimeOnly time) =>
        TimeOnly.TryParseExact(text?.Trim(), "HH:mm", CultureInfo.InvariantCulture, DateTimeStyles.None, out time);

    /// <summary>A Europe/London wall-clock time on a day as a UTC instant (an hour the clocks skip is refused by <see cref="Validate"/>).</summary>
    public static DateTimeOffset ToInstant(DateOnly date, TimeOnly time)
    {
        var local = date.ToDateTime(time, DateTimeKind.Unspecified);
        return new DateTimeOffset(local, London.Zone.GetUtcOffset(local)).ToUniversalTime();
    }

    /// <summary>Whether two time ranges of one day share a moment (one ending when the other starts is no overlap).</summary>
    public static bool Overlap(string aFrom, string aUntil, string bFrom, string bUntil) =>
        string.CompareOrdinal(aFrom, bUntil) < 0 && string.CompareOrdinal(bFrom, aUntil) < 0;

    /// <summary>The first of <paramref name="existing"/> (other than <paramref name="except"/>) that a plan overlaps, or null.</summary>
    public static SessionTimes? FirstOverlap(IEnumerable<SessionPlan> plans, IReadOnlyList<SessionTimes> existing, string? except = null)
    {
        foreach (var plan in plans)
        {
            var clash = existing.FirstOrDefault(e => e.Id != except && e.Date == plan.Date && Overlap(plan.FromText, plan.UntilText, e.From, e.Until));
            if (clash is not null)
            {
                return clash;
            }
        }

        return null;
    }

    /// <summary>The first plan that overlaps an earlier plan of the same list, or null (a template's own sessions).</summary>
    public static SessionPlan? FirstOverlapWithin(IReadOnlyList<SessionPlan> plans)
    {
        for (var i = 1; i < plans.Count; i++)
        {
            for (var j = 0; j < i; j++)
            {
                if (plans[i].Date == plans[j].Date && Overlap(plans[i].FromText, plans[i].UntilText, plans[j].FromText, plans[j].UntilText))
                {
                    return plans[i];
                }
            }
        }

        return null;
    }

    /// <summary>The failure when a session would overlap <paramref name="existing"/> (409 <c>session-overlaps</c>).</summary>
    public static Failure Overlaps(SessionTimes existing) => Failure.Conflict(
        "session-overlaps",
        $"The site already has a session on {existing.Date.ToString("d MMMM yyyy", CultureInfo.InvariantCulture)} from {existing.From} to {existing.Until}. "
        + "Sessions at a site cannot overlap: change that session, or choose other times.",
        "from");

    public static Result<SessionPlan> Validate(SessionDetails details, DateOnly today)
    {
        if (details.Date is not { } date)
        {
            return Failure.Invalid("invalid-date", "The session's date is missing (yyyy-MM-dd).", "date");
        }

        return Validate(date, details.From, details.Until, details.SlotMinutes, details.Capacity, details.Services, today);
    }

    public static Result<SessionPlan> Validate(DateOnly date, string? from, string? until, int? slotMinutes, int? capacity, IReadOnlyList<string>? services, DateOnly today, string fieldPrefix = "")
    {
        if (date < today)
        {
            return Failure.Invalid("date-in-past", "The session's date is before today.", fieldPrefix + "date");
        }

        if (date > today.AddDays(MaxDaysAhead))
        {
            return Failure.Invalid("date-too-far-ahead", $"Sessions can be published at most {MaxDaysAhead} days ahead.", fieldPrefix + "date");
        }

        if (!TryParseTime(from, out var start))
        {
            return Failure.Invalid("invalid-time", "'from' must be a time written HH:mm (Europe/London).", fieldPrefix + "from");
        }

        if (!TryParseTime(until, out var end))
        {
            return Failure.Invalid("invalid-time", "'until' must be a time written HH:mm (Europe/London).", fieldPrefix + "until");
        }

        if (end <= start)
        {
            return Failure.Invalid("invalid-time-range", "'until' must be after 'from' on the same day.", fieldPrefix + "until");
        }

        if (slotMinutes is not { } minutes || minutes is < MinSlotMinutes or > MaxSlotMinutes)
        {
            return Failure.Invalid("invalid-slot-length", $"slotMinutes must be {MinSlotMinutes} to {MaxSlotMinutes}.", fieldPrefix + "slotMinutes");
        }

        if ((end - start).TotalMinutes < minutes)
        {
            return Failure.Invalid("session-too-short", "The session is shorter than one slot.", fieldPrefix + "slotMinutes");
        }

        if (capacity is not { } places || places is < 1 or > MaxCapacity)
        {
            return Failure.Invalid("invalid-capacity", $"capacity (people per slot) must be 1 to {MaxCapacity}.", fieldPrefix + "capacity");
        }

        var checkedServices = SiteRules.ValidateServices(services, fieldPrefix + "services");
        if (!checkedServices.Succeeded)
        {
            return checkedServices.Failure!;
        }

        var plan = new SessionPlan(date, start, end, minutes, places, checkedServices.Value!);
        foreach (var time in Enumerable.Range(0, (int)((end - start).TotalMinutes) + 1).Select(m => start.AddMinutes(m)))
        {
            if (London.Zone.IsInvalidTime(date.ToDateTime(time)))
            {
                return Failure.Invalid("invalid-local-time", "The session covers an hour the clocks skip in Europe/London on that day.", fieldPrefix + "from");
            }
        }

        return plan;
    }
}
