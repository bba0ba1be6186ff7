using System.Globalization;
using Immunise.Booking;
using Immunise.Records;
using Immunise.Vaccines;
using Microsoft.AspNetCore.Mvc;

namespace Immunise.Web.Pages.Book;

/// <summary>
/// A step that chooses part of one appointment (site, day or time): appointment 1 is the dose the person needs next,
/// appointment 2 the next dose of the same course, with the same vaccine and inside its window after appointment 1.
/// </summary>
public abstract class AppointmentStep(BookingJourneyStore store, VaccineCatalogue catalogue, TimeProvider clock) : BookingPage(store)
{
    /// <summary>How many days ahead a first appointment is offered.</summary>
    public const int FirstAppointmentDays = 56;

    /// <summary>The longest range of days the availability use case answers at once.</summary>
    public const int MaxRangeDays = 62;

    [FromRoute]
    public int Appointment { get; set; }

    protected VaccineCatalogue Catalogue => catalogue;

    protected int Index => Appointment - 1;

    public DoseChoice Choice => Journey.Dose(Index) ?? new DoseChoice();

    public DoseChoice? First => Index > 0 ? Journey.Dose(0) : null;

    public string Service => Journey.Eligibility?.Service ?? "";

    public DateOnly Today => London.Today(clock);

    public int DoseNumber => (Journey.Eligibility?.DoseNumber ?? 1) + Index;

    /// <summary>"first appointment" / "second appointment" when booking two, else "appointment".</summary>
    public string Which => Journey.Eligibility?.Appointments == 2 ? (Index == 0 ? "first appointment" : "second appointment") : "appointment";

    /// <summary>The vaccine this appointment must use: for a later dose, the vaccine held for the first.</summary>
    public VaccineProduct? Product => First?.ProductCode is { } code ? catalogue.FindProduct(code) : null;

    /// <summary>Days this appointment may be on (inclusive), or null when an earlier appointment must be chosen first.</summary>
    public (DateOnly From, DateOnly To, DoseWindow? Course)? Window()
    {
        var decision = Journey.Eligibility!;
        if (Index == 0)
        {
            var from = Max(Today, decision.Earliest ?? Today);
            var to = from.AddDays(FirstAppointmentDays - 1);
            return (from, decision.Latest is { } latest && latest < to ? latest : to, null);
        }

        if (First is not { Day: { } firstDay, HoldId: not null } || Product is not { } product || ServiceSuitability.NextDoseWindow(product, firstDay) is not { } window)
        {
            return null;
        }

        var start = Max(Today, window.Earliest);
        var end = start.AddDays(MaxRangeDays - 1);
        return (start, window.Latest is { } last && last < end ? last : end, window);
    }

    /// <summary>Where to go when this appointment cannot be chosen yet (no earlier appointment, or not part of this booking).</summary>
    protected IActionResult? Guard()
    {
        if (Load(BookingStage.Searched) is { } elsewhere)
        {
            return elsewhere;
        }

        if (Appointment < 1 || Appointment > Journey.Eligibility!.Appointments)
        {
            return NotFound();
        }

        return Window() is null ? RedirectToPage("/Book/Time", new { appointment = 1 }) : null;
    }

    /// <summary>Where to go once this appointment's time is held.</summary>
    protected IActionResult Next()
    {
        if (Appointment < Journey.Eligibility!.Appointments && Journey.Dose(Index + 1) is not { HoldId: not null })
        {
            return RedirectToPage("/Book/Site", new { appointment = Appointment + 1 });
        }

        return Journey.ContactGiven ? RedirectToPage("/Book/Check") : RedirectToPage("/Book/Contact");
    }

    public static string Day(DateOnly day) => day.ToString("dddd d MMMM yyyy", s_english);

    public static string Time(string hhmm)
    {
        var time = TimeOnly.ParseExact(hhmm, "HH:mm", CultureInfo.InvariantCulture);
        var text = time.Minute == 0 ? time.ToString("%h", s_english) : time.ToString("h:mm", s_english);
        return text + (time.Hour < 12 ? "am" : "pm");
    }

    public static string Miles(double miles) => miles < 0.1 ? "less than 0.1 miles" : $"{miles.ToString("0.0", CultureInfo.InvariantCulture)} miles";

    private static readonly CultureInfo s_english = CultureInfo.GetCultureInfo("en-GB");

    private static DateOnly Max(DateOnly a, DateOnly b) => a > b ? a : b;
}
