using Immunise.Records;

namespace Immunise.Vaccines;

public enum NextDoseStatus
{
    /// <summary>A dose is needed: <see cref="NextDoseOutcome.Dose"/> says which, with what and when.</summary>
    Due,
    /// <summary>The primary course is complete and the disease has no further doses (e.g. RSV: one dose).</summary>
    CourseComplete,
    /// <summary>Too young for every product that could be given; <see cref="NextDoseOutcome.Dose"/> says from when.</summary>
    TooYoung,
    /// <summary>No product in the catalogue suits the person's age now or later (past every product's maximum age).</summary>
    NoProductForAge,
}

/// <summary>
/// The days a dose may be given, Europe/London calendar days, inclusive: from <see cref="Earliest"/> (the last dose plus the
/// minimum interval, or when the person becomes old enough), ideally on or after <see cref="Recommended"/> (the programme
/// interval), and no later than <see cref="Latest"/> where there is a limit.
/// </summary>
public sealed record DoseWindow(DateOnly Earliest, DateOnly Recommended, DateOnly? Latest)
{
    public bool Contains(DateOnly day) => day >= Earliest && (Latest is not { } latest || day <= latest);
}

/// <summary>
/// The dose a person needs next: its number (counted across a life, or within a season for seasonal diseases), its kind,
/// the products that may be used (for the rest of a primary course: the product of dose 1) and when.
/// </summary>
public sealed record DoseNeeded(int Number, DoseKind Kind, IReadOnlyList<VaccineProduct> Products, DoseWindow Window);

/// <summary>What <see cref="NextDose.For"/> answers. <see cref="Dose"/> is set when due, and when too young (from when).</summary>
public sealed record NextDoseOutcome(NextDoseStatus Status, DoseNeeded? Dose, DateOnly? LastDoseOn);

/// <summary>
/// Which dose of a disease a person needs next, from their date of birth, their completed doses and the catalogue's dose
/// rules. Pure: no clock, no I/O. Days are Europe/London calendar days (<see cref="London.Day"/>).
/// <list type="bullet">
/// <item>No dose yet: dose 1 of a primary course, any product of the disease that suits the person's age.</item>
/// <item>Primary course not finished (dose 1's product's <see cref="VaccineProduct.DosesInPrimaryCourse"/>): the next dose
/// with the same product, from the last dose plus its minimum interval, recommended at its programme interval, at the
/// latest its maximum interval. A person who has outgrown dose 1's product may finish with any product suiting their age.</item>
/// <item>Primary course complete: the disease's <see cref="FurtherDosePolicy"/> (none: the course is complete); the first
/// further dose is of kind <c>First</c>, later ones of kind <c>Then</c>; any product suiting their age; from the last dose
/// plus the smallest <see cref="VaccineProduct.BoosterIntervalDays"/> of those products, recommended at the policy's interval.</item>
/// <item>Seasonal diseases (flu): one course per season (seasons start on the first of <see cref="TargetDisease.SeasonStartMonth"/>).
/// With no dose this season, dose 1 may be given from the season's start to its end; with this season's course done, the
/// next is dose 1 of next season.</item>
/// </list>
/// Age is judged on the later of the day asked about and the window's earliest day.
/// </summary>
public static class NextDose
{
    public static NextDoseOutcome For(
        DateOnly dateOfBirth, TargetDisease disease, IEnumerable<VaccinationEvent> history, VaccineCatalogue catalogue, DateOnly day)
    {
        var doses = history
            .Where(e => e.Status == VaccinationStatus.Completed && string.Equals(e.TargetDisease, disease.Target, StringComparison.OrdinalIgnoreCase))
            .OrderBy(e => e.OccurredAt)
            .ToList();
        var last = doses.Count == 0 ? (DateOnly?)null : London.Day(doses[^1].OccurredAt);
        var all = catalogue.ProductsFor(disease).ToList();
        return disease.DoseNumbering == DoseNumbering.Seasonal
            ? Seasonal(dateOfBirth, disease, doses, last, all, catalogue, day)
            : Cumulative(dateOfBirth, disease, doses, last, all, catalogue, day);
    }

    private static NextDoseOutcome Cumulative(
        DateOnly dateOfBirth, TargetDisease disease, List<VaccinationEvent> doses, DateOnly? last, List<VaccineProduct> all,
        VaccineCatalogue catalogue, DateOnly day)
    {
        if (last is not { } lastDay)
        {
            return Choose(dateOfBirth, day, 1, DoseKind.Primary, all, _ => new DoseWindow(dateOfBirth, dateOfBirth, null), null);
        }

        var first = catalogue.FindProduct(doses[0].ProductCode);
        var inPrimaryCourse = first?.DosesInPrimaryCourse ?? 1;
        if (first is not null && doses.Count < inPrimaryCourse)
        {
            return PrimaryCourse(dateOfBirth, day, doses.Count + 1, first, all, lastDay, latestAllowed: null);
        }

        if (disease.FurtherDoses is not { } policy)
        {
            return new NextDoseOutcome(NextDoseStatus.CourseComplete, null, lastDay);
        }

        var kind = doses.Count == inPrimaryCourse ? policy.First : policy.Then;
        return Choose(dateOfBirth, day, doses.Count + 1, kind, all, products => AfterLastDose(products, lastDay, policy.RecommendedIntervalDays, null), lastDay);
    }

    private static NextDoseOutcome Seasonal(
        DateOnly dateOfBirth, TargetDisease disease, List<VaccinationEvent> doses, DateOnly? last, List<VaccineProduct> all,
        VaccineCatalogue catalogue, DateOnly day)
    {
        var seasonStart = disease.SeasonStart(day);
        var seasonEnd = seasonStart.AddYears(1).AddDays(-1);
        var thisSeason = doses.Where(d => disease.SeasonStart(London.Day(d.OccurredAt)) == seasonStart).ToList();
        var kind = disease.FurtherDoses?.Then ?? DoseKind.Seasonal;
        if (thisSeason.Count == 0)
        {
            return Choose(dateOfBirth, day, 1, kind, all, products => InSeason(products, last, seasonStart, seasonEnd), last);
        }

        var first = catalogue.FindProduct(thisSeason[0].ProductCode);
        if (first is not null && thisSeason.Count < first.DosesInPrimaryCourse)
        {
            return PrimaryCourse(dateOfBirth, day, thisSeason.Count + 1, first, all, London.Day(thisSeason[^1].OccurredAt), seasonEnd);
        }

        var nextStart = seasonStart.AddYears(1);
        return Choose(dateOfBirth, day, 1, kind, all, products => InSeason(products, last, nextStart, nextStart.AddYears(1).AddDays(-1)), last);
    }

    /// <summary>The rest of a primary course: dose 1's product (unless outgrown), within its intervals after the last dose.</summary>
    private static NextDoseOutcome PrimaryCourse(
        DateOnly dateOfBirth, DateOnly day, int number, VaccineProduct first, List<VaccineProduct> all, DateOnly lastDay, DateOnly? latestAllowed)
    {
        var window = new DoseWindow(
            lastDay.AddDays(first.MinimumIntervalDays),
            lastDay.AddDays(first.ProgrammeIntervalDays),
            Earlier(first.MaximumIntervalDays is { } max ? lastDay.AddDays(max) : null, latestAllowed));
        var at = Later(day, window.Earliest);
        IReadOnlyList<VaccineProduct> candidates = first.SuitsAge(dateOfBirth, at) ? [first] : all.Where(p => p != first).ToList();
        return Choose(dateOfBirth, day, number, DoseKind.Primary, candidates, _ => window, lastDay);
    }

    /// <summary>
    /// Picks the products that suit the person's age on the later of <paramref name="day"/> and the window's start; when none
    /// does, the person is too young (from the first day some product suits them) or no product suits them at all.
    /// </summary>
    private static NextDoseOutcome Choose(
        DateOnly dateOfBirth, DateOnly day, int number, DoseKind kind, IReadOnlyList<VaccineProduct> candidates,
        Func<IReadOnlyList<VaccineProduct>, DoseWindow> windowFor, DateOnly? last)
    {
        if (candidates.Count == 0)
        {
            return new NextDoseOutcome(NextDoseStatus.NoProductForAge, null, last);
        }

        var window = windowFor(candidates);
        var at = Later(day, window.Earliest);
        var suitable = candidates.Where(p => p.SuitsAge(dateOfBirth, at)).ToList();
        if (suitable.Count > 0)
        {
            return new NextDoseOutcome(NextDoseStatus.Due, new DoseNeeded(number, kind, suitable, windowFor(suitable)), last);
        }

        var later = candidates
            .Select(p => p.OldEnoughFrom(dateOfBirth))
            .Where(from => from > at && candidates.Any(p => p.SuitsAge(dateOfBirth, from)))
            .ToList();
        if (later.Count == 0)
        {
            return new NextDoseOutcome(NextDoseStatus.NoProductForAge, null, last);
        }

        var oldEnoughFrom = later.Min();

        var then = candidates.Where(p => p.SuitsAge(dateOfBirth, oldEnoughFrom)).ToList();
        var thenWindow = windowFor(then);
        var tooYoungWindow = new DoseWindow(Later(thenWindow.Earliest, oldEnoughFrom), Later(thenWindow.Recommended, oldEnoughFrom), thenWindow.Latest);
        return new NextDoseOutcome(NextDoseStatus.TooYoung, new DoseNeeded(number, kind, then, tooYoungWindow), last);
    }

    /// <summary>A dose after a completed course: from the last dose plus the smallest booster interval of the products.</summary>
    private static DoseWindow AfterLastDose(IReadOnlyList<VaccineProduct> products, DateOnly lastDay, int? recommendedDays, DateOnly? latest)
    {
        var minimum = products.Min(p => p.BoosterIntervalDays ?? p.MinimumIntervalDays);
        return new DoseWindow(lastDay.AddDays(minimum), lastDay.AddDays(Math.Max(minimum, recommendedDays ?? minimum)), latest);
    }

    /// <summary>A season's dose: from the season's start (and any booster interval since the last dose) to its end.</summary>
    private static DoseWindow InSeason(IReadOnlyList<VaccineProduct> products, DateOnly? last, DateOnly seasonStart, DateOnly seasonEnd)
    {
        var earliest = seasonStart;
        if (last is { } lastDay && products.Min(p => p.BoosterIntervalDays) is { } minimum)
        {
            earliest = Later(earliest, lastDay.AddDays(minimum));
        }

        return new DoseWindow(earliest, earliest, seasonEnd);
    }

    private static DateOnly Later(DateOnly a, DateOnly b) => a > b ? a : b;

    private static DateOnly? Earlier(DateOnly? a, DateOnly? b) => a is null ? b : b is null ? a : a < b ? a : b;
}
