using System.Data.Common;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using Dapper;
using Immunise.Common;
using Immunise.People;
using Immunise.Storage;
using Column = Immunise.Storage.Columns;

namespace Immunise.Booking;

public static class BookingStatus
{
    /// <summary>A provisional hold on a place, released if not confirmed by <see cref="Appointment.HoldExpiresAt"/>.</summary>
    public const string Held = "held";
    public const string Booked = "booked";
    public const string Cancelled = "cancelled";
    public const string Expired = "expired";

    /// <summary>The person has arrived at the site (still their active booking for the dose).</summary>
    public const string CheckedIn = "checked-in";

    /// <summary>Vaccinated at the appointment: the register holds the event.</summary>
    public const string Vaccinated = "vaccinated";

    /// <summary>Seen at the site but not vaccinated (a reason is recorded).</summary>
    public const string NotVaccinated = "not-vaccinated";

    /// <summary>Booked (or checked in) but nothing was recorded by the end of the site's day.</summary>
    public const string DidNotAttend = "did-not-attend";
}

/// <summary>
/// An appointment: a place in a slot at a site for one dose of a programme, held then booked, with its reference.
/// Times: <see cref="Date"/> and <see cref="StartTime"/> are Europe/London; <see cref="StartsAt"/>/<see cref="EndsAt"/> UTC.
/// </summary>
public sealed record Appointment(
    string HoldId,
    string Reference,
    NhsNumber NhsNumber,
    string Programme,
    string Service,
    int DoseNumber,
    string? ProductCode,
    string Status,
    long SlotId,
    string SiteOdsCode,
    string SiteName,
    string SiteAddress,
    string SitePostcode,
    DateOnly Date,
    string StartTime,
    DateTimeOffset StartsAt,
    DateTimeOffset EndsAt,
    DateTimeOffset? HoldExpiresAt,
    string? FirstDoseReference,
    string? Mobile,
    string? Email,
    DateTimeOffset CreatedAt,
    DateTimeOffset? ConfirmedAt,
    DateTimeOffset? CancelledAt,
    string? CancelReason)
{
    public bool IsActive => Status is BookingStatus.Held or BookingStatus.Booked;
}

/// <summary>The stable codes of booking failures (ProblemDetails <c>code</c>). Eligibility refusals use <see cref="Eligibility.BookingCheckCodes"/>.</summary>
public static class BookingCodes
{
    public static readonly Failure PersonNotFound =
        Failure.NotFound("person-not-found", "No person in the register has this NHS number and date of birth.");

    public static readonly Failure SlotNotFound = Failure.NotFound("slot-not-found", "No slot has this id.");

    public static readonly Failure SlotInPast = Failure.Invalid("slot-in-past", "The slot has already started.", "slotId");

    public static readonly Failure SlotUnavailable =
        Failure.Conflict("slot-unavailable", "The slot's session has been cancelled or shortened; choose another time.", "slotId");

    public static readonly Failure SiteOffline =
        Failure.Conflict("site-offline", "The site is not taking bookings at the moment; choose another site.", "slotId");

    public static readonly Failure SlotFull = Failure.Conflict("slot-full", "Every place in this slot has been taken; choose another time.", "slotId");

    public static readonly Failure AlreadyBooked =
        Failure.Conflict("already-booked", "The person already has an appointment for this dose of this vaccine; change or cancel it instead.");

    public static readonly Failure HoldNotFound = Failure.NotFound("hold-not-found", "No hold has this id.");

    public static readonly Failure HoldExpired =
        Failure.Conflict("hold-expired", "The place was held for 5 minutes and has been released; choose a time again.", "holdId");

    public static readonly Failure BookingNotFound =
        Failure.NotFound("booking-not-found", "No appointment has this reference and date of birth.");

    public static readonly Failure BookingNotActive =
        Failure.Conflict("booking-not-active", "The appointment has been cancelled or has lapsed.", "reference");

    public static readonly Failure AppointmentInPast =
        Failure.Invalid("appointment-in-past", "The appointment has already started, so it cannot be changed or cancelled.", "reference");

    public static readonly Failure FirstDoseNotFound =
        Failure.NotFound("first-dose-not-found", "No active appointment of this person has the first-dose reference given.");

    public static readonly Failure FirstDoseNotBooked =
        Failure.Conflict("first-dose-not-booked", "The earlier dose's appointment is not confirmed (or was cancelled); confirm it first.", "firstDoseReference");

    public static Failure ServiceNotOffered(string service) =>
        Failure.Invalid("service-not-offered", $"This slot's session does not offer {service}.", "service");

    public static Failure ServiceNotSuitable(string service) =>
        Failure.Invalid("service-not-suitable", $"{service} is not for the person's age on the day of the appointment.", "service");

    public static readonly Failure UnknownService =
        Failure.Invalid("invalid-service", "The service must be one of: " + string.Join(", ", Sites.SiteRules.KnownServices) + ".", "service");

    public static readonly Failure ProductNotAvailable =
        Failure.Invalid("product-not-available", "The site does not stock a vaccine that suits this dose for this person.", "productCode");

    public static readonly Failure BreaksNextDoseWindow =
        Failure.Invalid("breaks-next-dose-window", "The later dose already booked would no longer fall in its window after this date; move or cancel it first.", "slotId");

    public static readonly Failure InvalidHoldId = Failure.Invalid("invalid-hold-id", "The hold id is missing or malformed.", "holdId");
}

/// <summary>
/// Booking references: 8 characters from an alphabet without look-alikes (no 0/O, 1/I/L, 2/Z, 5/S, 8/B), drawn by a
/// cryptographic random generator: 26^8 ≈ 2×10^11 values, unique by index (a collision is retried).
/// </summary>
public static partial class BookingReference
{
    public const string Alphabet = "ACDEFGHJKMNPQRTUVWXY346789";
    public const int Length = 8;

    public static string New() => new(RandomNumberGenerator.GetItems<char>(Alphabet, Length));

    /// <summary>Accepts what a person types: any case, with spaces or hyphens; answers the canonical form.</summary>
    public static bool TryParse(string? input, out string reference)
    {
        reference = Separators().Replace(input ?? "", "").ToUpperInvariant();
        return reference.Length == Length && reference.All(c => Alphabet.Contains(c, StringComparison.Ordinal));
    }

    [GeneratedRegex(@"[\s-]")]
    private static partial Regex Separators();
}

/// <summary>The SQL the booking use cases share: reading a booking with its slot and site, and moving the slot counter.</summary>
internal static class BookingRows
{
    public const string Select =
        """
        SELECT b.id AS hold_id, b.reference, b.nhs_number, b.programme, b.service, b.dose_number, b.product_code, b.status, b.slot_id,
            b.site_ods_code, st.name AS site_name, st.address AS site_address, st.postcode AS site_postcode, sl.slot_date,
            sl.start_time, sl.starts_at, sl.ends_at, b.hold_expires_at, f.reference AS first_dose_reference, b.mobile, b.email,
            b.created_at, b.confirmed_at, b.cancelled_at, b.cancel_reason, b.first_dose_id, p.date_of_birth
        FROM bookings b
        JOIN slots sl ON sl.id = b.slot_id
        JOIN sites st ON st.ods_code = b.site_ods_code
        JOIN people p ON p.nhs_number = b.nhs_number
        LEFT JOIN bookings f ON f.id = b.first_dose_id
        """;

    /// <summary>Gives a place back to its slot (a hold expired, a booking cancelled or moved).</summary>
    public const string ReleasePlace = "UPDATE slots SET booked = booked - 1 WHERE id = @slotId AND booked > 0";

    /// <summary>Claims a place: one conditional statement, so the database never lets <c>booked</c> pass <c>capacity</c>.</summary>
    public const string ClaimPlace = "UPDATE slots SET booked = booked + 1 WHERE id = @slotId AND booked < capacity";

    public static async Task<Row?> FindAsync(DbConnection connection, DbTransaction? transaction, string where, object parameters, CancellationToken cancellationToken) =>
        await connection.QuerySingleOrDefaultAsync<Row>(new CommandDefinition($"{Select} WHERE {where}", parameters, transaction, cancellationToken: cancellationToken));

    /// <summary>A booking by its id (the hold id, <c>@holdId</c>).</summary>
    public static readonly string ById = $"{Select} WHERE b.id = @holdId";

    public sealed class Row
    {
        /// <summary>Maps a row of <see cref="Select"/> by position.</summary>
        public static Row Read(DbDataReader r) => new()
        {
            HoldId = Column.Text(r, 0),
            Reference = Column.Text(r, 1),
            NhsNumber = Column.Text(r, 2),
            Programme = Column.Text(r, 3),
            Service = Column.Text(r, 4),
            DoseNumber = Column.Integer(r, 5),
            ProductCode = Column.TextOrNull(r, 6),
            Status = Column.Text(r, 7),
            SlotId = r.GetInt64(8),
            SiteOdsCode = Column.Text(r, 9),
            SiteName = Column.Text(r, 10),
            SiteAddress = Column.TextOrNull(r, 11) ?? "",
            SitePostcode = Column.TextOrNull(r, 12) ?? "",
            SlotDate = Column.Date(r, 13),
            StartTime = Column.Text(r, 14),
            StartsAt = Column.Instant(r, 15),
            EndsAt = Column.Instant(r, 16),
            HoldExpiresAt = Column.InstantOrNull(r, 17),
            FirstDoseReference = Column.TextOrNull(r, 18),
            Mobile = Column.TextOrNull(r, 19),
            Email = Column.TextOrNull(r, 20),
            CreatedAt = Column.Instant(r, 21),
            ConfirmedAt = Column.InstantOrNull(r, 22),
            CancelledAt = Column.InstantOrNull(r, 23),
            CancelReason = Column.TextOrNull(r, 24),
            FirstDoseId = Column.TextOrNull(r, 25),
            DateOfBirth = Column.Date(r, 26),
        };

        public string HoldId { get; set; } = "";
        public string Reference { get; set; } = "";
        public string NhsNumber { get; set; } = "";
        public string Programme { get; set; } = "";
        public string Service { get; set; } = "";
        public int DoseNumber { get; set; }
        public string? ProductCode { get; set; }
        public string Status { get; set; } = "";
        public long SlotId { get; set; }
        public string SiteOdsCode { get; set; } = "";
        public string SiteName { get; set; } = "";
        public string SiteAddress { get; set; } = "";
        public string SitePostcode { get; set; } = "";
        public DateOnly SlotDate { get; set; }
        public string StartTime { get; set; } = "";
        public DateTimeOffset StartsAt { get; set; }
        public DateTimeOffset EndsAt { get; set; }
        public DateTimeOffset? HoldExpiresAt { get; set; }
        public string? FirstDoseReference { get; set; }
        public string? Mobile { get; set; }
        public string? Email { get; set; }
        public DateTimeOffset CreatedAt { get; set; }
        public DateTimeOffset? ConfirmedAt { get; set; }
        public DateTimeOffset? CancelledAt { get; set; }
        public string? CancelReason { get; set; }
        public string? FirstDoseId { get; set; }
        public DateOnly DateOfBirth { get; set; }

        public Appointment ToAppointment() => new(
            HoldId, Reference, People.NhsNumber.FromStored(NhsNumber), Programme, Service, DoseNumber, ProductCode, Status, SlotId,
            SiteOdsCode, SiteName, SiteAddress, SitePostcode, SlotDate, StartTime, StartsAt, EndsAt,
            Status == BookingStatus.Held ? HoldExpiresAt : null, FirstDoseReference, Mobile, Email, CreatedAt, ConfirmedAt, CancelledAt, CancelReason);
    }
}
