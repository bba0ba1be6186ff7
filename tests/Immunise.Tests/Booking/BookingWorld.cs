using Dapper;
using Immunise.Availability;
using Immunise.Booking;
using Immunise.Eligibility;
using Immunise.Geography;
using Immunise.People;
using Immunise.Sites;
using Immunise.Storage;
using Immunise.Tests.Eligibility;
using Immunise.Tests.Web;
using Microsoft.Extensions.DependencyInjection;

namespace Immunise.Tests.Booking;

/// <summary>
/// A running app with what booking needs: a few postcodes (Leeds, York, London), COVID and flu campaigns of our own for
/// care home residents aged 18 and over, sites, and helpers to publish sessions and add people. Now is Friday 20 November
/// 2026, 12:00 UTC; <see cref="Monday"/> is the 23rd.
/// </summary>
public sealed class BookingWorld : IAsyncDisposable
{
    public static readonly DateOnly Monday = new(2026, 11, 23);
    public static readonly DateOnly Born1940 = new(1940, 1, 1);

    private int _people;

    private BookingWorld(ImmuniseApp app) => App = app;

    public ImmuniseApp App { get; }

    public T Get<T>() where T : notnull => App.Services.GetRequiredService<T>();

    public static async Task<BookingWorld> StartAsync(DatabaseProvider provider, IReadOnlyDictionary<string, string>? settings = null, bool kestrel = false)
    {
        var app = await ImmuniseApp.StartAsync(provider, settings, kestrel);
        return await PrepareAsync(app);
    }

    public static async Task<BookingWorld> PrepareAsync(ImmuniseApp app, bool loadReferenceData = true)
    {
        var world = new BookingWorld(app);
        if (!loadReferenceData)
        {
            return world;
        }

        var loaded = await app.Services.GetRequiredService<CampaignStore>().LoadAsync(
        [
            ("booking-covid.json", BookingCheckTests.CampaignJson("COVID", minimumAge: 18)),
            ("booking-flu.json", BookingCheckTests.CampaignJson("FLU", minimumAge: 18)),
        ], "test");
        Assert.True(loaded.Succeeded, string.Join("; ", loaded.Errors));
        await new ImportPostcodes(app.Database.Database).HandleAsync(
        [
            new PostcodeEntry("LS1 4AP", 53.796, -1.548, "Y63", "QWO", null, 3),
            new PostcodeEntry("LS6 2QE", 53.82, -1.575, "Y63", "QWO", null, 5),
            new PostcodeEntry("YO1 7HH", 53.96, -1.08, "Y63", "QWO", null, 6),
            new PostcodeEntry("SW1A 1AA", 51.501, -0.141, "Y56", "QMJ", null, 10),
        ]);
        return world;
    }

    /// <summary>Creates a site (COVID:18+, FLU:65+ and FLU:18-64 by default; any product).</summary>
    public async Task<Site> SiteAsync(string ods = "LEEDS1", string postcode = "LS1 4AP", IReadOnlyList<string>? services = null, IReadOnlyList<string>? products = null, string status = "online")
    {
        var result = await Get<SaveSite>().CreateAsync(new SiteDetails(
            ods, $"Site {ods}", "vaccination-centre", "1 Test Street, Leeds", postcode, ["step-free-access"], "Use the side entrance.",
            services ?? ["COVID:18+", "FLU:65+", "FLU:18-64"], products ?? [], status));
        Assert.True(result.Succeeded, result.Failure?.Code);
        return result.Value!;
    }

    /// <summary>Publishes a session (09:00–10:00 in 10-minute slots, 2 places each, on Monday by default).</summary>
    public async Task<Session> SessionAsync(string ods = "LEEDS1", DateOnly? date = null, string from = "09:00", string until = "10:00", int slotMinutes = 10, int capacity = 2, IReadOnlyList<string>? services = null)
    {
        var result = await Get<PublishSessions>().CreateAsync(ods, new SessionDetails(date ?? Monday, from, until, slotMinutes, capacity, services ?? ["COVID:18+", "FLU:65+"]));
        Assert.True(result.Succeeded, result.Failure?.Code);
        return result.Value!;
    }

    /// <summary>The slot ids of a session, in time order.</summary>
    public async Task<IReadOnlyList<long>> SlotIdsAsync(string sessionId)
    {
        await using var connection = await App.Database.Database.OpenAsync();
        return (await connection.QueryAsync<long>("SELECT id FROM slots WHERE session_id = @sessionId AND capacity > 0 ORDER BY start_time", new { sessionId })).ToList();
    }

    /// <summary>A new care home resident (in every test campaign's cohort), born on <paramref name="dateOfBirth"/> (1 January 1940).</summary>
    public async Task<NhsNumber> PersonAsync(DateOnly? dateOfBirth = null)
    {
        NhsNumber? nhs = null;
        while (nhs is null)
        {
            nhs = NhsNumber.FromFirstNine(999_000_000 + Interlocked.Increment(ref _people));
        }

        return await App.AddPersonAsync(nhs.Value, dateOfBirth ?? Born1940);
    }

    /// <summary>Many people (for the races).</summary>
    public async Task<IReadOnlyList<NhsNumber>> PeopleAsync(int count, DateOnly? dateOfBirth = null)
    {
        var list = new List<NhsNumber>();
        while (list.Count < count)
        {
            list.Add(await PersonAsync(dateOfBirth));
        }

        return list;
    }

    public async Task<(int Capacity, int Booked, long Active)> SlotCountsAsync(long slotId)
    {
        await using var connection = await App.Database.Database.OpenAsync();
        var (capacity, booked) = await connection.QuerySingleAsync<(long, long)>("SELECT capacity, booked FROM slots WHERE id = @slotId", new { slotId });
        var active = await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM bookings WHERE slot_id = @slotId AND status IN ('held', 'booked')", new { slotId });
        return ((int)capacity, (int)booked, active);
    }

    public ValueTask DisposeAsync() => App.DisposeAsync();
}
