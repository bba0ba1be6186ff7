using Dapper;
using Immunise.Audit;
using Immunise.Booking;
using Immunise.People;
using Immunise.Records;
using Immunise.SiteDay;
using Immunise.Staff;
using Immunise.Stock;
using Immunise.Storage;
using Immunise.Tests.Booking;
using Immunise.Tests.Staff;
using Immunise.Tests.Web;

namespace Immunise.Tests.SiteDay;

/// <summary>
/// A running app for the site's day: the booking world (test campaigns for care home residents, Leeds and London postcodes),
/// a site <see cref="Site"/> with a session today (Friday 20 November 2026, 13:00–14:00, after "now" at 12:00) and on Monday,
/// a second site <see cref="OtherSite"/> with a session today, in-date flu and COVID-19 batches at the site, and helpers to
/// book people (through the real hold and confirm use cases), add staff and record.
/// </summary>
public sealed class SiteDayWorld : IAsyncDisposable
{
    public const string Site = "LEEDS1";
    public const string OtherSite = "YORK01";
    public const string FluBatch = "FLU001";
    public const string CovidBatch = "COV001";
    public static readonly DateOnly Today = new(2026, 11, 20);

    private SiteDayWorld(BookingWorld booking) => Booking = booking;

    public BookingWorld Booking { get; }

    public ImmuniseApp App => Booking.App;

    public Database Database => App.Database.Database;

    public T Get<T>() where T : notnull => Booking.Get<T>();

    /// <summary>Both sites with sessions today (and Monday at <see cref="Site"/>) and stock; the did-not-attend worker off unless asked for.</summary>
    public static async Task<SiteDayWorld> StartAsync(DatabaseProvider provider, bool kestrel = false, IReadOnlyDictionary<string, string>? settings = null)
    {
        var all = new Dictionary<string, string>(StaffKit.ManySignIns) { ["SiteDay:MarkDidNotAttend"] = "false" };
        foreach (var (key, value) in settings ?? new Dictionary<string, string>())
        {
            all[key] = value;
        }

        var world = new SiteDayWorld(await BookingWorld.StartAsync(provider, all, kestrel));
        await world.Booking.SiteAsync(Site, "LS1 4AP", ["COVID:18+", "FLU:65+", "FLU:18-64"]);
        await world.Booking.SiteAsync(OtherSite, "YO1 7HH", ["COVID:18+", "FLU:65+", "FLU:18-64"]);
        await world.Booking.SessionAsync(Site, Today, "13:00", "14:00", services: ["COVID:18+", "FLU:65+", "FLU:18-64"]);
        await world.Booking.SessionAsync(Site, BookingWorld.Monday, "09:00", "10:00", services: ["COVID:18+", "FLU:65+", "FLU:18-64"]);
        await world.Booking.SessionAsync(OtherSite, Today, "13:00", "14:00", services: ["COVID:18+", "FLU:65+", "FLU:18-64"]);
        await world.ReceiveAsync(Site, Products.FluCellBased, FluBatch, new DateOnly(2027, 3, 31), 50);
        await world.ReceiveAsync(Site, Products.Comirnaty, CovidBatch, new DateOnly(2027, 1, 31), 50);
        return world;
    }

    public async Task<StockBatch> ReceiveAsync(string site, string product, string batch, DateOnly expires, int doses)
    {
        var received = await Get<SiteStock>().ReceiveAsync(site, new ReceiveBatchRequest(product, batch, expires, doses), Actor.System("test"));
        Assert.True(received.Succeeded, received.Failure?.Code);
        return received.Value!;
    }

    /// <summary>A batch already past its expiry date (received before it expired, as the register would hold it).</summary>
    public async Task AddExpiredBatchAsync(string site, string product, string batch)
    {
        await using var connection = await Database.OpenAsync();
        await connection.ExecuteAsync(
            """
            INSERT INTO stock_batches (id, site_ods_code, product_code, batch_number, expires_on, doses_received, doses_used, doses_wasted, received_at, received_by)
            VALUES (@id, @site, @product, @batch, @expires, 10, 0, 0, @now, 'test')
            """,
            new { id = Guid.NewGuid().ToString("N")[..16], site, product, batch, expires = Today.AddDays(-1), now = ImmuniseApp.Now.AddDays(-30) });
    }

    /// <summary>A care home resident born in 1940 (in every test campaign's cohort).</summary>
    public Task<NhsNumber> PersonAsync(DateOnly? born = null) => Booking.PersonAsync(born);

    /// <summary>Someone in no test campaign's cohort (not a care home resident), born in 1950.</summary>
    public async Task<NhsNumber> OutsideTheCohortAsync(string given = "Olive", string family = "Outside")
    {
        var nhs = await PersonAsync(new DateOnly(1950, 5, 5));
        await using var connection = await Database.OpenAsync();
        await connection.ExecuteAsync(
            "UPDATE people SET care_home_resident = @no, given_name = @given, family_name = @family WHERE nhs_number = @nhs",
            new { no = false, given, family, nhs = nhs.Value });
        return nhs;
    }

    public async Task RenameAsync(NhsNumber nhs, string given, string family)
    {
        await using var connection = await Database.OpenAsync();
        await connection.ExecuteAsync("UPDATE people SET given_name = @given, family_name = @family WHERE nhs_number = @nhs", new { given, family, nhs = nhs.Value });
    }

    /// <summary>Books <paramref name="nhs"/> into the slot at <paramref name="time"/> of <paramref name="site"/>'s session on <paramref name="day"/>.</summary>
    public async Task<Appointment> BookAsync(NhsNumber nhs, string service = "FLU:65+", string site = Site, DateOnly? day = null, string time = "13:00",
        string? product = null, DateOnly? born = null)
    {
        await using var connection = await Database.OpenAsync();
        var slot = await connection.ExecuteScalarAsync<long>(
            "SELECT id FROM slots WHERE site_ods_code = @site AND slot_date = @day AND start_time = @time", new { site, day = day ?? Today, time });
        var held = await Get<HoldSlot>().HandleAsync(new HoldSlotRequest(nhs, born ?? BookingWorld.Born1940, slot, service, product), "test");
        Assert.True(held.Succeeded, held.Failure?.Code);
        var booked = await Get<ConfirmBooking>().HandleAsync(new ConfirmBookingRequest(held.Value!.HoldId));
        Assert.True(booked.Succeeded, booked.Failure?.Code);
        return booked.Value!;
    }

    /// <summary>A vaccination already in the register (given elsewhere).</summary>
    public async Task GivenAsync(NhsNumber nhs, string product, DateOnly on)
    {
        var recorded = await Get<RecordVaccination>().HandleAsync(
            new RecordVaccinationRequest(nhs.Value, product, new DateTimeOffset(on.ToDateTime(new TimeOnly(10, 0)), TimeSpan.Zero), "RXX01"), "test");
        Assert.True(recorded.Succeeded, recorded.Failure?.Code);
    }

    public async Task<StaffMember> StaffAsync(StaffRole role, string site = Site)
    {
        var user = await App.AddStaffAsync(Grant.Organisation(role, site));
        return new StaffMember(user.Id, user.DisplayName);
    }

    public static SiteVaccinationRequest Flu(string batch = FluBatch, string consent = "self") =>
        new(Products.FluCellBased, batch, "left-upper-arm", "intramuscular", consent);

    public static SiteVaccinationRequest Covid(string batch = CovidBatch) => new(Products.Comirnaty, batch, "right-upper-arm", "intramuscular", "self");

    public async Task<string> StatusAsync(string reference)
    {
        await using var connection = await Database.OpenAsync();
        return await connection.ExecuteScalarAsync<string>("SELECT status FROM bookings WHERE reference = @reference", new { reference }) ?? "";
    }

    public async Task<int> DosesUsedAsync(string batch, string site = Site)
    {
        await using var connection = await Database.OpenAsync();
        return await connection.ExecuteScalarAsync<int>("SELECT doses_used FROM stock_batches WHERE site_ods_code = @site AND batch_number = @batch", new { site, batch });
    }

    public async Task<long> CountAsync(string sql, object? parameters = null)
    {
        await using var connection = await Database.OpenAsync();
        return await connection.ExecuteScalarAsync<long>(sql, parameters);
    }

    /// <summary>The audit trail's actions for a person, oldest first.</summary>
    public async Task<IReadOnlyList<string>> AuditActionsAsync(NhsNumber nhs) =>
        (await App.AuditFor(nhs)).Reverse().Select(e => e.Action).ToList();

    public ValueTask DisposeAsync() => Booking.DisposeAsync();
}
