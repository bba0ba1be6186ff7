using System.Globalization;
using Immunise.Eligibility;
using Immunise.Records;
using Immunise.Sites;
using Immunise.Vaccines;

namespace Immunise.Booking;

/// <summary>
/// A bookable service and the ages it is for, judged on the appointment date: <c>COVID:18+</c> is 18 and over,
/// <c>FLU:18-64</c> 18 to 64 inclusive, <c>RSV:Adult</c> 18 and over. <see cref="Programme"/> is the register's target
/// disease (<c>COVID19</c>, <c>FLU</c>, <c>RSV</c>).
/// </summary>
public sealed record ServiceBand(string Service, string Programme, int MinimumAge, int? MaximumAge)
{
    public bool SuitsAge(int age) => age >= MinimumAge && (MaximumAge is not { } max || age <= max);
}

/// <summary>
/// Which services and products suit a person (pure): the services of <see cref="SiteRules.KnownServices"/> whose age band
/// holds the person's age on the appointment date, and the catalogue's products for the programme that are licensed for
/// that age. The dose-2 window of a course follows from the product of dose 1 (<see cref="NextDose"/>).
/// </summary>
public static class ServiceSuitability
{
    /// <summary>Every known service with its programme and age band, parsed from its name.</summary>
    public static readonly IReadOnlyList<ServiceBand> Bands = SiteRules.KnownServices.Select(Parse).ToList();

    /// <summary>The person's age in whole years on <paramref name="day"/>.</summary>
    public static int AgeOn(DateOnly dateOfBirth, DateOnly day)
    {
        var age = day.Year - dateOfBirth.Year;
        return dateOfBirth.AddYears(age) > day ? age - 1 : age;
    }

    public static ServiceBand? Find(string? service) =>
        SiteRules.CanonicalService(service) is { } name ? Bands.First(b => b.Service == name) : null;

    /// <summary>
    /// The services that suit a person born on <paramref name="dateOfBirth"/> on <paramref name="day"/>, optionally for one
    /// programme (<c>COVID19</c>, <c>FLU</c>, <c>RSV</c>, or the NBS condition <c>COVID</c>).
    /// </summary>
    public static IReadOnlyList<ServiceBand> ServicesFor(DateOnly dateOfBirth, DateOnly day, string? programme = null)
    {
        var target = programme is null ? null : ProgrammeOf(programme);
        var age = AgeOn(dateOfBirth, day);
        return Bands.Where(b => (target is null || b.Programme == target) && b.SuitsAge(age)).ToList();
    }

    /// <summary>Whether <paramref name="service"/> suits the person's age on <paramref name="day"/>.</summary>
    public static bool Suits(ServiceBand service, DateOnly dateOfBirth, DateOnly day) => service.SuitsAge(AgeOn(dateOfBirth, day));

    /// <summary>The catalogue's products for the service's programme that are licensed for the person on <paramref name="day"/>.</summary>
    public static IReadOnlyList<VaccineProduct> ProductsFor(ServiceBand service, DateOnly dateOfBirth, DateOnly day, VaccineCatalogue catalogue)
    {
        var disease = catalogue.FindDisease(service.Programme);
        return disease is null ? [] : catalogue.ProductsFor(disease).Where(p => p.SuitsAge(dateOfBirth, day)).ToList();
    }

    /// <summary>
    /// The window for the dose after a dose of <paramref name="product"/> on <paramref name="doseOn"/> in the same primary course
    /// (same product): from the licensed minimum interval, recommended at the programme interval, at the latest the maximum
    /// interval. Null when the product's primary course has only one dose.
    /// </summary>
    public static DoseWindow? NextDoseWindow(VaccineProduct product, DateOnly doseOn) => product.DosesInPrimaryCourse < 2
        ? null
        : new DoseWindow(
            doseOn.AddDays(product.MinimumIntervalDays),
            doseOn.AddDays(product.ProgrammeIntervalDays),
            product.MaximumIntervalDays is { } max ? doseOn.AddDays(max) : null);

    /// <summary>A dose booked but not given, as the dose rules count it when planning the next one.</summary>
    public static VaccinationEvent PlannedDose(People.NhsNumber nhsNumber, string programme, string productCode, int doseNumber, DateTimeOffset at) =>
        new($"planned-{doseNumber.ToString(CultureInfo.InvariantCulture)}", nhsNumber, programme, productCode, doseNumber, at, "X99999",
            null, null, null, null, null, true, VaccinationStatus.Completed, at, "booking");

    /// <summary><c>COVID</c> or <c>COVID19</c> → <c>COVID19</c>; <c>FLU</c> → <c>FLU</c>; <c>RSV</c> → <c>RSV</c>; else null.</summary>
    public static string? ProgrammeOf(string programme)
    {
        var upper = programme.Trim().ToUpperInvariant();
        return BookingService.Diseases.TryGetValue(upper, out var disease) ? disease
            : BookingService.Diseases.Values.Contains(upper) ? upper
            : null;
    }

    private static ServiceBand Parse(string service)
    {
        var condition = service[..service.IndexOf(':', StringComparison.Ordinal)];
        var band = service[(condition.Length + 1)..];
        var programme = BookingService.Diseases[condition];
        if (band.Equals("Adult", StringComparison.OrdinalIgnoreCase))
        {
            return new ServiceBand(service, programme, 18, null);
        }

        if (band.EndsWith('+'))
        {
            return new ServiceBand(service, programme, int.Parse(band[..^1], CultureInfo.InvariantCulture), null);
        }

        var parts = band.Split('-');
        return new ServiceBand(service, programme, int.Parse(parts[0], CultureInfo.InvariantCulture), int.Parse(parts[1], CultureInfo.InvariantCulture));
    }
}
