using System.Globalization;
using Immunise.Availability;
using Immunise.Booking;
using Immunise.Records;
using Immunise.Vaccines;
using Immunise.Web.Pages.Book;
using Immunise.Web.Pages.Shared;
using Microsoft.AspNetCore.Mvc;

namespace Immunise.Web.Pages.Manage;

/// <summary>
/// Moving an appointment, first the day: days at the same site with a free place for its service, inside its dose window (a
/// second dose: after the first, by the vaccine's intervals). The move itself is checked again by <see cref="RescheduleBooking"/>.
/// </summary>
public sealed class ChangeDayModel(ManageStateStore store, GetBooking bookings, GetAvailability availability, VaccineCatalogue catalogue, TimeProvider clock)
    : ManagePage(store, bookings)
{
    public override string Title => "Choose a new day";

    public override string? BackLink => "/manage/appointment";

    public IReadOnlyList<AvailableDay> Days { get; private set; } = [];

    public string? Selected { get; private set; }

    public string Hint => $"At {Appointment.SiteName}. Your appointment is now on {AppointmentStep.Day(Appointment.Date)} at {AppointmentStep.Time(Appointment.StartTime)}.";

    public IReadOnlyList<RadioItem> Items => Days.Select(d => new RadioItem(
        d.Date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
        AppointmentStep.Day(d.Date),
        d.Free == 1 ? "1 time free" : $"{d.Free.ToString(CultureInfo.InvariantCulture)} times free")).ToList();

    public async Task<IActionResult> OnGetAsync(CancellationToken cancellationToken)
    {
        if (await LoadAsync(mustBeActive: true, cancellationToken) is { } elsewhere)
        {
            return elsewhere;
        }

        Selected = (State.NewDay ?? Appointment.Date).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        await ReadAsync(cancellationToken);
        return Page();
    }

    public async Task<IActionResult> OnPostAsync([FromForm(Name = "day")] string? day, CancellationToken cancellationToken)
    {
        if (await LoadAsync(mustBeActive: true, cancellationToken) is { } elsewhere)
        {
            return elsewhere;
        }

        await ReadAsync(cancellationToken);
        if (!DateOnly.TryParseExact(day, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date) || Days.All(d => d.Date != date))
        {
            Errors.Add("day", "Select a day");
            return Page();
        }

        Store.Write(HttpContext, State with { NewDay = date });
        return RedirectToPage("/Manage/ChangeTime");
    }

    private async Task ReadAsync(CancellationToken cancellationToken)
    {
        var (from, to) = await WindowAsync(cancellationToken);
        if (to < from)
        {
            Days = [];
            return;
        }

        var found = await availability.HandleAsync(new AvailabilityQuery(Appointment.SiteOdsCode, from, to, Appointment.Service), cancellationToken);
        Days = found.Succeeded ? found.Value!.Days.Where(d => d.Free > 0).ToList() : [];
    }

    /// <summary>The days this appointment may move to: from today for 8 weeks; a second dose, its window after the first.</summary>
    private async Task<(DateOnly From, DateOnly To)> WindowAsync(CancellationToken cancellationToken)
    {
        var today = London.Today(clock);
        var from = today;
        var to = today.AddDays(AppointmentStep.FirstAppointmentDays - 1);
        if (Appointment.FirstDoseReference is { } firstReference
            && await GetFirstAsync(firstReference, cancellationToken) is { } first
            && catalogue.FindProduct(first.ProductCode) is { } product
            && ServiceSuitability.NextDoseWindow(product, first.Date) is { } window)
        {
            from = window.Earliest > today ? window.Earliest : today;
            to = window.Latest ?? from.AddDays(AppointmentStep.MaxRangeDays - 1);
        }

        var longest = from.AddDays(AppointmentStep.MaxRangeDays - 1);
        return (from, to < longest ? to : longest);
    }

    private async Task<Appointment?> GetFirstAsync(string reference, CancellationToken cancellationToken)
    {
        var found = await Bookings.ByReferenceAsync(reference, State.DateOfBirth, cancellationToken);
        return found.Succeeded ? found.Value : null;
    }
}
