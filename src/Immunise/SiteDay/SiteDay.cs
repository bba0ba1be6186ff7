using System.Data.Common;
using Dapper;
using Immunise.Audit;
using Immunise.Booking;
using Immunise.Common;
using Immunise.People;
using Immunise.Storage;

namespace Immunise.SiteDay;

/// <summary>
/// The member of staff doing something at a site: their account id (the audit trail's actor, and who a record says recorded
/// it) and their display name (a vaccinator's name on the vaccination record).
/// </summary>
public sealed record StaffMember(string Id, string DisplayName)
{
    public Actor Actor => Actor.Staff(Id);

    /// <summary>How the register's <c>recorded_by</c> names a member of staff.</summary>
    public string RecordedBy => $"staff:{Id}";
}

/// <summary>
/// An appointment as a site sees it on the day: when, who (name, NHS number, date of birth), what (programme, service, dose
/// booked), its status and what happened (checked in when and by whom; the outcome, the register's vaccination event or
/// why the person was not vaccinated).
/// </summary>
public sealed record DayAppointment(
    string Reference,
    string SiteOdsCode,
    DateOnly Date,
    string StartTime,
    DateTimeOffset StartsAt,
    NhsNumber NhsNumber,
    string GivenName,
    string FamilyName,
    DateOnly DateOfBirth,
    string Programme,
    string Service,
    int DoseNumber,
    string? ProductCode,
    string Status,
    DateTimeOffset? CheckedInAt,
    string? CheckedInBy,
    DateTimeOffset? ClosedAt,
    string? ClosedBy,
    string? VaccinationEventId,
    string? NotVaccinatedReason)
{
    /// <summary>Still waiting for an outcome: booked or checked in.</summary>
    public bool IsOpen => Status is BookingStatus.Booked or BookingStatus.CheckedIn;
}

/// <summary>The statuses an appointment shows on the day list, in the order a site works through them.</summary>
public static class DayStatuses
{
    public static readonly IReadOnlyList<string> All =
    [
        BookingStatus.Booked, BookingStatus.CheckedIn, BookingStatus.Vaccinated, BookingStatus.NotVaccinated, BookingStatus.DidNotAttend,
        BookingStatus.Cancelled,
    ];

    public static string Display(string status) => status switch
    {
        BookingStatus.Booked => "Booked",
        BookingStatus.CheckedIn => "Checked in",
        BookingStatus.Vaccinated => "Vaccinated",
        BookingStatus.NotVaccinated => "Not vaccinated",
        BookingStatus.DidNotAttend => "Did not attend",
        BookingStatus.Cancelled => "Cancelled",
        _ => status,
    };
}

/// <summary>Who gave consent to the vaccination (or on what authority it was given).</summary>
public static class Consent
{
    public static readonly IReadOnlyList<(string Code, string Display)> All =
    [
        ("self", "The person themselves"),
        ("parent-or-guardian", "A parent or guardian"),
        ("lasting-power-of-attorney", "Someone with lasting power of attorney for health and welfare"),
        ("court-appointed-deputy", "A court-appointed deputy"),
        ("best-interests-decision", "A best interests decision (the person lacks capacity and no one can consent for them)"),
    ];

    public static bool TryParse(string? input, out string code)
    {
        code = input?.Trim().ToLowerInvariant() ?? "";
        var candidate = code;
        return All.Any(c => c.Code == candidate);
    }

    public static string Display(string code) => All.FirstOrDefault(c => c.Code == code).Display ?? code;
}

/// <summary>Why a person who came to their appointment was not vaccinated.</summary>
public static class NotVaccinatedReasons
{
    public static readonly IReadOnlyList<(string Code, string Display)> All =
    [
        ("refused", "Refused or changed their mind"),
        ("unwell", "Unwell today"),
        ("contraindicated", "Contraindicated (a clinical reason not to vaccinate)"),
        ("already-vaccinated", "Already vaccinated elsewhere"),
        ("did-not-meet-criteria", "Did not meet the criteria"),
        ("no-suitable-vaccine", "No suitable vaccine available"),
        ("other", "Another reason"),
    ];

    public static bool TryParse(string? input, out string code)
    {
        code = input?.Trim().ToLowerInvariant() ?? "";
        var candidate = code;
        return All.Any(c => c.Code == candidate);
    }

    public static string Display(string code) => All.FirstOrDefault(c => c.Code == code).Display ?? code;
}

/// <summary>The stable codes of the site's day (ProblemDetails <c>code</c>).</summary>
public static class SiteDayCodes
{
    public static readonly Failure SiteNotFound = Failure.NotFound("site-not-found", "No vaccination site has this ODS code.");

    public static readonly Failure InvalidReference =
        Failure.Invalid("invalid-reference", "Enter the booking reference: 8 letters and numbers, like ACDE3467.", "reference");

    public static readonly Failure BookingNotFound = Failure.NotFound("booking-not-found", "No booking has this reference.");

    public static readonly Failure BookingAtAnotherSite =
        Failure.Conflict("booking-at-another-site", "This booking is for another vaccination site.", "reference");

    public static readonly Failure BookingNotToday =
        Failure.Conflict("booking-not-today", "This booking is for another day: only today's appointments can be checked in or recorded.", "reference");

    public static readonly Failure BookingCancelled = Failure.Conflict("booking-cancelled", "This booking has been cancelled.", "reference");

    public static readonly Failure AlreadyVaccinated =
        Failure.Conflict("already-vaccinated", "This appointment's vaccination has already been recorded.", "reference");

    public static Failure AppointmentClosed(string status) =>
        Failure.Conflict("appointment-closed", $"This appointment is already closed: {DayStatuses.Display(status).ToLowerInvariant()}.", "reference");

    public static readonly Failure InvalidConsent =
        Failure.Invalid("invalid-consent", "Choose who gave consent to the vaccination.", "consent");

    public static readonly Failure InvalidReason =
        Failure.Invalid("invalid-reason", "Choose why the person was not vaccinated.", "reason");

    public static readonly Failure MissingProduct = Failure.Invalid("missing-product", "Choose the vaccine given.", "productCode");

    public static readonly Failure MissingBodySite = Failure.Invalid("missing-body-site", "Choose where on the body the vaccine was given.", "bodySite");

    public static readonly Failure MissingRoute = Failure.Invalid("missing-route", "Choose how the vaccine was given.", "route");

    public static readonly Failure InvalidStatus =
        Failure.Invalid("invalid-status", $"The status must be one of: {string.Join(", ", DayStatuses.All)}.", "status");

    public static readonly Failure InvalidSearch =
        Failure.Invalid("invalid-search", "Search with 2 to 100 characters: a name, an NHS number or a booking reference.", "query");

    public static readonly Failure InvalidDate =
        Failure.Invalid("invalid-date", "The date must be a calendar date within a year of today.", "date");
}

/// <summary>The SQL the site's day shares: an appointment with its slot, person and outcome.</summary>
internal static class DayRows
{
    public const string Select =
        """
        SELECT b.id AS booking_id, b.reference, b.site_ods_code, sl.slot_date, sl.start_time, sl.starts_at, b.nhs_number, p.given_name,
            p.family_name, p.date_of_birth, b.programme, b.service, b.dose_number, b.product_code, b.status, b.confirmed_at,
            b.checked_in_at, b.checked_in_by, b.closed_at, b.closed_by, o.vaccination_event_id, o.reason AS not_vaccinated_reason
        FROM bookings b
        JOIN slots sl ON sl.id = b.slot_id
        JOIN people p ON p.nhs_number = b.nhs_number
        LEFT JOIN site_outcomes o ON o.booking_id = b.id
        """;

    /// <summary>
    /// Runs <paramref name="change"/> on the appointment an action at <paramref name="site"/> today is about, in a write
    /// transaction (SQLite's write turn; run again if PostgreSQL picks it as a deadlock's victim). The change commits; a
    /// change that returns without committing leaves nothing behind.
    /// </summary>
    public static Task<Result<T>> ChangeAsync<T>(
        Database database, string site, string? reference, DateOnly today, Func<DbConnection, DbTransaction, Row, Task<Result<T>>> change,
        CancellationToken cancellationToken) =>
        Deadlocks.RetryAsync<Result<T>>(async () =>
        {
            using var turn = await database.WriteTurnAsync(cancellationToken);
            await using var connection = await database.OpenAsync(cancellationToken);
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
            var found = await ForActionAsync(connection, transaction, site, reference, today, cancellationToken);
            return found.Succeeded ? await change(connection, transaction, found.Value!) : found.Failure!;
        });

    /// <summary>
    /// Moves the appointment to <paramref name="to"/> if it is still in one of <paramref name="from"/>, stamping when and by whom
    /// in the <paramref name="stamp"/> columns (<c>checked_in</c> or <c>closed</c>); null when it moved, otherwise the
    /// appointment as it now is (someone else got there first), for the caller to judge.
    /// </summary>
    public static async Task<Row?> MoveAsync(
        DbConnection connection, DbTransaction transaction, Row row, string to, string stamp, string by, DateTimeOffset now, CancellationToken cancellationToken,
        params string[] from)
    {
        var moved = await connection.ExecuteAsync(new CommandDefinition(
            $"""
            UPDATE bookings SET status = @to, {stamp}_at = @now, {stamp}_by = @by, updated_at = @now
            WHERE id = @BookingId AND status IN ({string.Join(", ", from.Select(f => $"'{f}'"))})
            """,
            new { row.BookingId, to, now, by }, transaction, cancellationToken: cancellationToken));
        return moved == 1 ? null : await ByReferenceAsync(connection, transaction, row.Reference, cancellationToken);
    }

    /// <summary>A booking of this reference, of any status and any site.</summary>
    public static Task<Row?> ByReferenceAsync(DbConnection connection, DbTransaction? transaction, string reference, CancellationToken cancellationToken) =>
        connection.QuerySingleOrDefaultAsync<Row>(new CommandDefinition($"{Select} WHERE b.reference = @reference", new { reference }, transaction,
            cancellationToken: cancellationToken));

    /// <summary>
    /// The booking an action at <paramref name="site"/> on <paramref name="today"/> is about: a confirmed booking of that site
    /// and day, or why not (not found, another site, another day, cancelled). Its status is for the caller to judge.
    /// </summary>
    public static async Task<Result<Row>> ForActionAsync(
        DbConnection connection, DbTransaction? transaction, string site, string? reference, DateOnly today, CancellationToken cancellationToken)
    {
        if (!BookingReference.TryParse(reference, out var canonical))
        {
            return SiteDayCodes.InvalidReference;
        }

        var row = await ByReferenceAsync(connection, transaction, canonical, cancellationToken);
        if (row is null || row.Status is BookingStatus.Held or BookingStatus.Expired || (row.Status == BookingStatus.Cancelled && row.ConfirmedAt is null))
        {
            return SiteDayCodes.BookingNotFound; // holds never confirmed are not bookings
        }

        if (row.SiteOdsCode != site)
        {
            return SiteDayCodes.BookingAtAnotherSite;
        }

        if (row.Status == BookingStatus.Cancelled)
        {
            return SiteDayCodes.BookingCancelled;
        }

        if (row.SlotDate != today)
        {
            return SiteDayCodes.BookingNotToday;
        }

        return row;
    }

    public sealed class Row
    {
        public string BookingId { get; set; } = "";
        public string Reference { get; set; } = "";
        public string SiteOdsCode { get; set; } = "";
        public DateOnly SlotDate { get; set; }
        public string StartTime { get; set; } = "";
        public DateTimeOffset StartsAt { get; set; }
        public string NhsNumber { get; set; } = "";
        public string GivenName { get; set; } = "";
        public string FamilyName { get; set; } = "";
        public DateOnly DateOfBirth { get; set; }
        public string Programme { get; set; } = "";
        public string Service { get; set; } = "";
        public int DoseNumber { get; set; }
        public string? ProductCode { get; set; }
        public string Status { get; set; } = "";
        public DateTimeOffset? ConfirmedAt { get; set; }
        public DateTimeOffset? CheckedInAt { get; set; }
        public string? CheckedInBy { get; set; }
        public DateTimeOffset? ClosedAt { get; set; }
        public string? ClosedBy { get; set; }
        public string? VaccinationEventId { get; set; }
        public string? NotVaccinatedReason { get; set; }

        public DayAppointment ToAppointment() => new(
            Reference, SiteOdsCode, SlotDate, StartTime, StartsAt, People.NhsNumber.FromStored(NhsNumber), GivenName, FamilyName, DateOfBirth,
            Programme, Service, DoseNumber, ProductCode, Status, CheckedInAt, CheckedInBy, ClosedAt, ClosedBy, VaccinationEventId, NotVaccinatedReason);
    }
}
