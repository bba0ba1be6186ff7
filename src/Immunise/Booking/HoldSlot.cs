using System.Data.Common;
using System.Security.Cryptography;
using Dapper;
using Immunise.Common;
using Immunise.Eligibility;
using Immunise.People;
using Immunise.Records;
using Immunise.Storage;
using Immunise.Vaccines;
using Column = Immunise.Storage.Columns;

namespace Immunise.Booking;

/// <summary>
/// A person (NHS number and date of birth, as they identify themselves) asks for a place in a slot for a service.
/// <see cref="FirstDoseReference"/>: this is a later dose of a course whose earlier dose is booked (held or confirmed) but not
/// yet given; its product and window then follow from that appointment. <see cref="ProductCode"/> optionally picks the vaccine.
/// </summary>
public sealed record HoldSlotRequest(
    NhsNumber NhsNumber,
    DateOnly DateOfBirth,
    long SlotId,
    string? Service,
    string? ProductCode = null,
    string? FirstDoseReference = null);

/// <summary>
/// Places a provisional hold (5 minutes) on one place in a slot. Checks, in order: the person (NHS number + date of birth);
/// the slot (exists, not started, its session active, its site online, and offering the service); the service suits the person's age on the
/// day; the booking check (eligibility on the day, the next dose and its window; see <see cref="BookingCheck"/>); a product
/// the site stocks. Then, in one transaction, the person's own earlier hold for the same dose is released, the place is
/// claimed with one conditional UPDATE (never past capacity; holds that have lapsed in the slot are swept first when it
/// looks full), and the hold is inserted under the unique index "one active booking per person per dose per programme".
/// </summary>
public sealed class HoldSlot(Database database, BookingCheck check, VaccineCatalogue catalogue, TimeProvider clock)
{
    public static readonly TimeSpan HoldFor = TimeSpan.FromMinutes(5);

    /// <summary>Where references come from (tests replace it to force a collision).</summary>
    internal Func<string> NewReference { get; init; } = BookingReference.New;

    public async Task<Result<Appointment>> HandleAsync(HoldSlotRequest request, string createdBy, CancellationToken cancellationToken = default)
    {
        var now = clock.GetUtcNow();
        if (ServiceSuitability.Find(request.Service) is not { } service)
        {
            return BookingCodes.UnknownService;
        }

        var slot = await SlotFacts.ReadAsync(database, request.SlotId, service.Service, request.NhsNumber, cancellationToken);
        if (slot is null)
        {
            return BookingCodes.SlotNotFound;
        }

        if (slot.StartsAt <= now)
        {
            return BookingCodes.SlotInPast;
        }

        if (slot.SessionStatus != "active" || slot.Capacity == 0)
        {
            return BookingCodes.SlotUnavailable;
        }

        if (slot.SiteStatus != Sites.SiteRules.Online)
        {
            return BookingCodes.SiteOffline;
        }

        if (!slot.OffersService)
        {
            return BookingCodes.ServiceNotOffered(service.Service);
        }

        var plan = await PlanAsync(request.NhsNumber, request.DateOfBirth, service, slot, request.ProductCode, request.FirstDoseReference, null, cancellationToken);
        if (!plan.Succeeded)
        {
            return plan.Failure!;
        }

        for (var attempt = 1; ; attempt++)
        {
            var held = await Deadlocks.RetryAsync(() => InsertHoldAsync(request.NhsNumber, service, slot, plan.Value!, createdBy, now, cancellationToken));
            if (held.Succeeded || held.Failure != s_referenceTaken || attempt == 5)
            {
                return held.Failure == s_referenceTaken ? Failure.Conflict("reference-unavailable", "No free booking reference was found; try again.") : held;
            }
        }
    }

    private static readonly Failure s_referenceTaken = Failure.Conflict("reference-taken", "The reference drawn is already in use.");

    private async Task<Result<Appointment>> InsertHoldAsync(
        NhsNumber nhs, ServiceBand service, SlotFacts slot, DosePlan plan, string createdBy, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        var reference = NewReference();
        using var turn = await database.WriteTurnAsync(cancellationToken);
        await using var connection = await turn.OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);

        var hold = new NewHold(id, reference, nhs.Value, service.Programme, service.Service, plan.DoseNumber, plan.ProductCode, plan.FirstDoseId,
            slot.SlotId, slot.SiteOdsCode, now + HoldFor, now, createdBy);
        try
        {
            // PostgreSQL: the person's lock, the release of their earlier hold and the claim with the insert go in one round
            // trip. On SQLite the one writer already keeps a person's changes apart. When the slot looks full nothing is
            // inserted yet, and the claim below sweeps lapsed holds first.
            var held = false;
            if (database.Dialect.IsPostgres)
            {
                held = await HoldInOneTripAsync(connection, transaction, hold, cancellationToken);
            }
            else
            {
                await ReleaseEarlierHoldAsync(connection, transaction, hold, cancellationToken);
            }

            if (!held)
            {
                if (!await ClaimAsync(connection, transaction, slot.SlotId, now, cancellationToken))
                {
                    return BookingCodes.SlotFull;
                }

                await connection.ExecuteAsync(new CommandDefinition(
                    $"INSERT INTO bookings ({NewHold.Columns}) VALUES ({NewHold.Values})", hold, transaction, cancellationToken: cancellationToken));
            }
        }
        catch (DbException e) when (UniqueViolation.Is(e))
        {
            return UniqueViolation.Message(e).Contains("reference", StringComparison.Ordinal) ? s_referenceTaken : BookingCodes.AlreadyBooked;
        }

        await transaction.CommitAsync(cancellationToken);
        return new Appointment(id, reference, nhs, service.Programme, service.Service, plan.DoseNumber, plan.ProductCode, BookingStatus.Held,
            slot.SlotId, slot.SiteOdsCode, slot.SiteName, slot.SiteAddress, slot.SitePostcode, slot.Date, slot.StartTime, slot.StartsAt,
            slot.EndsAt, now + HoldFor, plan.FirstDoseReference, null, null, now, null, null, null);
    }

    /// <summary>A hold as inserted (the parameters of the statements below, by name).</summary>
    private sealed record NewHold(
        string Id, string Reference, string Nhs, string Programme, string Service, int Dose, string? Product, string? FirstDoseId,
        long SlotId, string Site, DateTimeOffset Expires, DateTimeOffset Now, string CreatedBy)
    {
        public const string Columns =
            "id, reference, nhs_number, programme, service, dose_number, product_code, first_dose_id, slot_id, site_ods_code, status, hold_expires_at, created_at, created_by, updated_at";

        public const string Values = "@Id, @Reference, @Nhs, @Programme, @Service, @Dose, @Product, @FirstDoseId, @SlotId, @Site, 'held', @Expires, @Now, @CreatedBy, @Now";

        public IEnumerable<(string Name, object? Value)> Parameters() =>
        [
            (nameof(Id), Id), (nameof(Reference), Reference), (nameof(Nhs), Nhs), (nameof(Programme), Programme), (nameof(Service), Service),
            (nameof(Dose), Dose), (nameof(Product), Product), (nameof(FirstDoseId), FirstDoseId), (nameof(SlotId), SlotId), (nameof(Site), Site),
            (nameof(Expires), Expires), (nameof(Now), Now), (nameof(CreatedBy), CreatedBy),
        ];
    }

    /// <summary>The person's own earlier hold for this dose (they went back and chose another time) gives its place back.</summary>
    private const string ReleaseEarlierHold =
        """
        UPDATE bookings SET status = 'cancelled', cancelled_at = @Now, cancel_reason = 'replaced-by-new-hold', updated_at = @Now
        WHERE nhs_number = @Nhs AND programme = @Programme AND dose_number = @Dose AND status = 'held'
        RETURNING slot_id
        """;

    private static async Task ReleaseEarlierHoldAsync(DbConnection connection, DbTransaction transaction, NewHold hold, CancellationToken cancellationToken)
    {
        var replaced = await connection.QueryAsync<long>(new CommandDefinition(ReleaseEarlierHold, hold, transaction, cancellationToken: cancellationToken));
        foreach (var slotId in replaced)
        {
            await connection.ExecuteAsync(new CommandDefinition(BookingRows.ReleasePlace, new { slotId }, transaction, cancellationToken: cancellationToken));
        }
    }

    /// <summary>
    /// PostgreSQL, in one round trip: lock the person (one change to a person's bookings at a time: without it, two holds of
    /// one person could each wait for the other, one for the slot the other releases, one for the unique index), release
    /// their earlier hold for this dose, then claim a place and insert the hold in one statement, which inserts nothing when
    /// the slot is full. The three run in order in the caller's transaction, and are the statements the other path runs one
    /// by one (<see cref="ReleaseEarlierHold"/>, <see cref="BookingRows.ClaimPlace"/>, the insert). Returns whether the hold
    /// was inserted.
    /// </summary>
    private static async Task<bool> HoldInOneTripAsync(DbConnection connection, DbTransaction transaction, NewHold hold, CancellationToken cancellationToken)
    {
        await using var batch = connection.CreateBatch();
        batch.Transaction = transaction;
        Add("SELECT 1 FROM people WHERE nhs_number = @Nhs FOR UPDATE");
        Add($"WITH replaced AS ({ReleaseEarlierHold}) UPDATE slots SET booked = booked - 1 FROM replaced WHERE slots.id = replaced.slot_id AND slots.booked > 0");
        Add($"WITH claimed AS ({BookingRows.ClaimPlace} RETURNING id) INSERT INTO bookings ({NewHold.Columns}) SELECT {NewHold.Values} FROM claimed");
        await batch.ExecuteNonQueryAsync(cancellationToken);
        return batch.BatchCommands[2].RecordsAffected == 1;

        // The statements share the hold's values by name (PostgreSQL's driver matches names without regard to case).
        void Add(string sql)
        {
            var command = batch.CreateBatchCommand();
            command.CommandText = sql;
            foreach (var (name, value) in hold.Parameters())
            {
                if (sql.Contains("@" + name, StringComparison.OrdinalIgnoreCase))
                {
                    var parameter = command.CreateParameter();
                    parameter.ParameterName = name;
                    parameter.Value = value ?? DBNull.Value;
                    command.Parameters.Add(parameter);
                }
            }

            batch.BatchCommands.Add(command);
        }
    }

    /// <summary>
    /// Claims a place in the slot; when it looks full, first releases holds in it that have lapsed but not yet been swept by
    /// <see cref="ReleaseExpiredHolds"/>, then tries once more.
    /// </summary>
    internal static async Task<bool> ClaimAsync(DbConnection connection, DbTransaction transaction, long slotId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (await connection.ExecuteAsync(new CommandDefinition(BookingRows.ClaimPlace, new { slotId }, transaction, cancellationToken: cancellationToken)) == 1)
        {
            return true;
        }

        var lapsed = await connection.ExecuteAsync(new CommandDefinition(
            """
            UPDATE bookings SET status = 'expired', updated_at = @now
            WHERE slot_id = @slotId AND status = 'held' AND hold_expires_at <= @now
            """,
            new { slotId, now }, transaction, cancellationToken: cancellationToken));
        if (lapsed == 0)
        {
            return false;
        }

        await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE slots SET booked = booked - @lapsed WHERE id = @slotId", new { slotId, lapsed }, transaction, cancellationToken: cancellationToken));
        return await connection.ExecuteAsync(new CommandDefinition(BookingRows.ClaimPlace, new { slotId }, transaction, cancellationToken: cancellationToken)) == 1;
    }

    /// <summary>What a person's booking of a dose will be: its number, product and the first dose it follows.</summary>
    internal sealed record DosePlan(int DoseNumber, string? ProductCode, string? FirstDoseId, string? FirstDoseReference);

    /// <summary>
    /// Checks the person, the service's age band, the booking check and the product for an appointment in
    /// <paramref name="slot"/> (shared with <see cref="RescheduleBooking"/> and <see cref="ConfirmBooking"/>).
    /// <paramref name="moving"/>: the booking being moved, which is not counted as the person's first dose.
    /// </summary>
    internal async Task<Result<DosePlan>> PlanAsync(
        NhsNumber nhs, DateOnly dateOfBirth, ServiceBand service, SlotFacts slot, string? productCode, string? firstDoseReference,
        string? moving, CancellationToken cancellationToken) =>
        await Plan(database, check, catalogue, nhs, dateOfBirth, service, slot, productCode, firstDoseReference, moving, cancellationToken);

    internal static async Task<Result<DosePlan>> Plan(
        Database database, BookingCheck check, VaccineCatalogue catalogue, NhsNumber nhs, DateOnly dateOfBirth, ServiceBand service,
        SlotFacts slot, string? productCode, string? firstDoseReference, string? moving, CancellationToken cancellationToken)
    {
        if (slot.PersonBorn != dateOfBirth)
        {
            return BookingCodes.PersonNotFound;
        }

        if (!ServiceSuitability.Suits(service, dateOfBirth, slot.Date))
        {
            return BookingCodes.ServiceNotSuitable(service.Service);
        }

        IReadOnlyList<VaccinationEvent> planned = [];
        string? firstDoseId = null;
        string? firstDoseReferenceFound = null;
        if (!string.IsNullOrWhiteSpace(firstDoseReference))
        {
            if (!BookingReference.TryParse(firstDoseReference, out var reference))
            {
                return Failure.Invalid("invalid-reference", "The first-dose reference is not a booking reference (8 letters and digits).", "firstDoseReference");
            }

            await using var connection = await database.OpenAsync(cancellationToken);
            var first = await BookingRows.FindAsync(connection, null,
                "b.reference = @reference AND b.nhs_number = @nhs AND b.status IN ('held', 'booked')", new { reference, nhs = nhs.Value }, cancellationToken);
            if (first is null || first.Programme != service.Programme || first.ProductCode is null || first.HoldId == moving)
            {
                return BookingCodes.FirstDoseNotFound;
            }

            firstDoseId = first.HoldId;
            firstDoseReferenceFound = first.Reference;
            planned = [ServiceSuitability.PlannedDose(nhs, first.Programme, first.ProductCode, first.DoseNumber, first.StartsAt)];
        }

        var answer = await check.HandleAsync(new BookingCheckRequest(nhs, new BookingService(service.Service, service.Service.Split(':')[0], service.Programme), slot.Date), planned, cancellationToken);
        if (!answer.Allowed)
        {
            return answer.Code == BookingCheckCodes.PersonNotFound
                ? BookingCodes.PersonNotFound
                : Failure.Invalid(answer.Code, answer.Message, "slotId");
        }

        var offered = answer.Dose!.Products.Where(p => slot.Stocks(p.Code)).ToList();
        if (productCode is not null && catalogue.FindProduct(productCode) is null)
        {
            return Failure.Invalid("unknown-product", "The product code is not in the vaccine catalogue.", "productCode");
        }

        var product = productCode is null ? offered.FirstOrDefault() : offered.FirstOrDefault(p => p.Code == productCode.Trim());
        if (product is null)
        {
            return BookingCodes.ProductNotAvailable;
        }

        return new DosePlan(answer.Dose.Number, product.Code, firstDoseId, firstDoseReferenceFound);
    }
}

/// <summary>What a hold or a move needs to know about a slot, read in one statement.</summary>
internal sealed class SlotFacts
{
    public long SlotId { get; set; }
    public string SiteOdsCode { get; set; } = "";
    public DateOnly Date { get; set; }
    public DateTimeOffset StartsAt { get; set; }
    public int Capacity { get; set; }
    public string SessionStatus { get; set; } = "";

    /// <summary>The site's status: <c>online</c>, or <c>offline</c> (it takes no new holds or moves; its bookings stay).</summary>
    public string SiteStatus { get; set; } = "";
    public string SiteProducts { get; set; } = "";
    public bool OffersService { get; set; }
    public string StartTime { get; set; } = "";
    public DateTimeOffset EndsAt { get; set; }
    public string SiteName { get; set; } = "";
    public string SiteAddress { get; set; } = "";
    public string SitePostcode { get; set; } = "";

    /// <summary>The date of birth the register holds for the person asked about (null: not in the register).</summary>
    public DateOnly? PersonBorn { get; set; }

    /// <summary>Whether the site stocks the product (a site that lists no products is taken to stock all its services need).</summary>
    public bool Stocks(string productCode)
    {
        var products = Sites.SiteRules.Split(SiteProducts);
        return products.Count == 0 || products.Contains(productCode);
    }

    /// <summary>
    /// The slot, its session and site, and (one round trip for both) the person's date of birth in the register. Read by
    /// position through <see cref="Database.ReadAsync{T}"/>, whose statement stays prepared (on SQLite the driver would
    /// otherwise parse this four-table statement afresh at every hold and every confirmation).
    /// </summary>
    public static Task<SlotFacts?> ReadAsync(Database database, long slotId, string service, NhsNumber nhsNumber, CancellationToken cancellationToken) =>
        database.ReadAsync(
            SelectSql,
            command =>
            {
                Column.Parameter(command, "slotId", slotId);
                Column.Parameter(command, "service", service);
                Column.Parameter(command, "nhs", nhsNumber.Value);
            },
            async (r, ct) => await r.ReadAsync(ct) ? Read(r) : null,
            cancellationToken);

    /// <summary>
    /// The same for the slot of the hold <c>@holdId</c>, with the hold's service and person: what a confirmation checks
    /// again, read in the same command as the hold itself (<see cref="ConfirmBooking"/>).
    /// </summary>
    internal static readonly string ForHoldSql = SelectSql
        .Replace("@service", "(SELECT h.service FROM bookings h WHERE h.id = @holdId)", StringComparison.Ordinal)
        .Replace("@nhs", "(SELECT h.nhs_number FROM bookings h WHERE h.id = @holdId)", StringComparison.Ordinal)
        .Replace("@slotId", "(SELECT h.slot_id FROM bookings h WHERE h.id = @holdId)", StringComparison.Ordinal);

    /// <summary>Maps a row of the slot statement by position.</summary>
    internal static SlotFacts Read(DbDataReader r) => new()
    {
        SlotId = r.GetInt64(0),
        SiteOdsCode = Column.Text(r, 1),
        Date = Column.Date(r, 2),
        StartTime = Column.Text(r, 3),
        StartsAt = Column.Instant(r, 4),
        EndsAt = Column.Instant(r, 5),
        Capacity = Column.Integer(r, 6),
        SessionStatus = Column.Text(r, 7),
        SiteStatus = Column.Text(r, 8),
        SiteProducts = Column.TextOrNull(r, 9) ?? "",
        SiteName = Column.Text(r, 10),
        SiteAddress = Column.TextOrNull(r, 11) ?? "",
        SitePostcode = Column.TextOrNull(r, 12) ?? "",
        OffersService = Column.Integer(r, 13) != 0,
        PersonBorn = Column.DateOrNull(r, 14),
    };

    private const string SelectSql =
        """
        SELECT sl.id, sl.site_ods_code, sl.slot_date, sl.start_time, sl.starts_at, sl.ends_at, sl.capacity,
            se.status, st.status, st.products, st.name, st.address, st.postcode,
            CASE WHEN EXISTS (SELECT 1 FROM session_services ss WHERE ss.session_id = sl.session_id AND ss.service = @service)
                THEN 1 ELSE 0 END,
            (SELECT p.date_of_birth FROM people p WHERE p.nhs_number = @nhs)
        FROM slots sl
        JOIN sessions se ON se.id = sl.session_id
        JOIN sites st ON st.ods_code = sl.site_ods_code
        WHERE sl.id = @slotId
        """;
}
