using System.Globalization;
using Immunise.Availability;
using Immunise.Booking;
using Immunise.Common;
using Immunise.Sites;
using Immunise.Vaccines;

namespace Immunise.Web.Api;

// What the booking API receives and returns, mapped by hand from the use cases' types. Dates are yyyy-MM-dd, times HH:mm
// (Europe/London), instants UTC. Request fields are strings where a bad value should get our own code, not a JSON error.

public sealed record SiteBody(
    string? OdsCode, string? Name, string? Type, string? Address, string? Postcode, IReadOnlyList<string>? Accessibility,
    string? Information, IReadOnlyList<string>? Services, IReadOnlyList<string>? Products, string? Status, string? Phone = null, string? Email = null)
{
    public SiteDetails ToDetails() => new(OdsCode, Name, Type, Address, Postcode, Accessibility, Information, Services, Products, Status, Phone, Email);
}

public sealed record SiteResponse(
    string OdsCode, string Name, string Type, string Address, string Postcode, double Latitude, double Longitude,
    string? RegionOdsCode, string? IcbOdsCode, IReadOnlyList<string> Accessibility, string? Information,
    IReadOnlyList<string> Services, IReadOnlyList<string> Products, string Status, DateTimeOffset UpdatedAt, string? Phone, string? Email)
{
    public static SiteResponse From(Site s) => new(s.OdsCode, s.Name, s.Type, s.Address, s.Postcode, s.Latitude, s.Longitude,
        s.RegionOdsCode, s.IcbOdsCode, s.Accessibility, s.Information, s.Services, s.Products, s.Status, s.UpdatedAt, s.Phone, s.Email);
}

public sealed record SitePageResponse(int Page, int PageSize, long Total, IReadOnlyList<SiteResponse> Sites);

public sealed record SiteSearchBody(string? Postcode, string? Service, int? Limit, double? MaxMiles, string? ProductCode, bool? OnlyWithAvailability);

public sealed record NearbySiteResponse(SiteResponse Site, double DistanceKm, double DistanceMiles, DateOnly? NextFreeDate);

public sealed record SiteSearchResponse(string Postcode, bool PostcodeExact, IReadOnlyList<NearbySiteResponse> Sites);

public sealed record AvailabilityResponse(string SiteOdsCode, DateOnly From, DateOnly To, IReadOnlyList<AvailableDay> Days);

public sealed record SessionBody(string? Date, string? From, string? Until, int? SlotMinutes, int? Capacity, IReadOnlyList<string>? Services);

public sealed record TemplateBody(string? From, string? To, IReadOnlyList<WeeklySession>? Sessions);

public sealed record SessionResponse(
    string Id, string SiteOdsCode, DateOnly Date, string From, string Until, int SlotMinutes, int Capacity,
    IReadOnlyList<string> Services, string Status, string? TemplateId, int Slots, int Booked)
{
    public static SessionResponse Of(Session s) =>
        new(s.Id, s.SiteOdsCode, s.Date, s.From, s.Until, s.SlotMinutes, s.Capacity, s.Services, s.Status, s.TemplateId, s.Slots, s.Booked);
}

public sealed record TemplateResponse(string TemplateId, DateOnly From, DateOnly To, IReadOnlyList<SessionResponse> Sessions);

/// <summary>What a change did to bookings: moved to another time of the same session, cancelled (each citizen told), holds released.</summary>
public sealed record SessionChangeResponse(IReadOnlyList<SessionResponse> Sessions, int BookingsMoved, int BookingsCancelled, int HoldsReleased)
{
    public static SessionChangeResponse From(SessionChange c) => new(
        c.Sessions.Select(SessionResponse.Of).ToList(), c.Bookings.Moved, c.Bookings.Cancelled, c.Bookings.HoldsReleased);
}

public sealed record HoldBody(string? NhsNumber, string? DateOfBirth, long? SlotId, string? Service, string? ProductCode, string? FirstDoseReference);

public sealed record ConfirmBody(string? HoldId, string? Mobile, string? Email);

public sealed record ReferenceBody(string? Reference, string? DateOfBirth);

public sealed record RescheduleBody(string? Reference, string? DateOfBirth, long? SlotId);

public sealed record PersonBookingsBody(string? NhsNumber);

public sealed record AppointmentSite(string OdsCode, string Name, string Address, string Postcode);

public sealed record AppointmentProduct(string Code, string Name);

/// <summary>An appointment. <c>holdId</c> appears only while it is held (it is what confirms it).</summary>
public sealed record AppointmentResponse(
    string Reference, string Status, string? HoldId, DateTimeOffset? HoldExpiresAt, string Programme, string Service, int DoseNumber,
    AppointmentProduct? Product, AppointmentSite Site, long SlotId, DateOnly Date, string Time, DateTimeOffset StartsAt, DateTimeOffset EndsAt,
    string? FirstDoseReference, string? Mobile, string? Email, DateTimeOffset? ConfirmedAt, DateTimeOffset? CancelledAt, string? CancelReason)
{
    public static AppointmentResponse From(Appointment a, VaccineCatalogue catalogue) => new(
        a.Reference, a.Status, a.Status == BookingStatus.Held ? a.HoldId : null, a.HoldExpiresAt, a.Programme, a.Service, a.DoseNumber,
        catalogue.FindProduct(a.ProductCode) is { } p ? new AppointmentProduct(p.Code, p.ShortName) : null,
        new AppointmentSite(a.SiteOdsCode, a.SiteName, a.SiteAddress, a.SitePostcode), a.SlotId, a.Date, a.StartTime, a.StartsAt, a.EndsAt,
        a.FirstDoseReference, a.Mobile, a.Email, a.ConfirmedAt, a.CancelledAt, a.CancelReason);
}

public sealed record PersonAppointmentsResponse(string NhsNumber, int Count, IReadOnlyList<AppointmentResponse> Appointments);

internal static class BookingInput
{
    public static bool TryDate(string? text, string code, string field, out DateOnly date, out Failure? failure)
    {
        failure = null;
        if (DateOnly.TryParseExact(text?.Trim(), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out date))
        {
            return true;
        }

        failure = Failure.Invalid(code, $"'{field}' must be a date written yyyy-MM-dd.", field);
        return false;
    }

    public static bool TryOptionalDate(string? text, string field, out DateOnly? date, out Failure? failure)
    {
        date = null;
        failure = null;
        if (string.IsNullOrWhiteSpace(text))
        {
            return true;
        }

        if (TryDate(text, "invalid-date", field, out var parsed, out failure))
        {
            date = parsed;
            return true;
        }

        return false;
    }
}
