using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Dapper;
using Immunise.Access;
using Immunise.People;
using Immunise.Storage;
using Immunise.Tests.Infrastructure;
using Immunise.Tests.Web;

namespace Immunise.Tests.Booking;

/// <summary>
/// Correctness under load: many concurrent HTTP requests (real sockets: the app listens on a loopback port) race for the
/// same places, for the same person's dose, and with the same Idempotency-Key, on SQLite and PostgreSQL, with one service
/// instance and with two sharing one database. After each race the database is checked: no slot over capacity, each slot's
/// counter equal to its active bookings, at most one active booking per person per dose per programme.
/// </summary>
public sealed class BookingRaceTests
{
    private const int Racers = 40;

    [Theory, ClassData(typeof(BothDatabases))]
    public async Task Race_ManyPeopleForTheLastPlaces_ExactlyCapacityBooked(DatabaseProvider provider)
    {
        await using var world = await BookingWorld.StartAsync(provider, kestrel: true);
        await world.SiteAsync();
        var slot = (await world.SlotIdsAsync((await world.SessionAsync(capacity: 3)).Id))[0];
        var people = await world.PeopleAsync(Racers);
        var client = await world.App.ClientAsync(Scopes.BookingWrite);

        var outcomes = await RaceAsync(people.Select(nhs => (Func<Task<string>>)(() => HoldAndConfirmAsync(client, nhs, slot))));

        Assert.Equal(3, outcomes.Count(o => o == "booked"));
        Assert.Equal(Racers - 3, outcomes.Count(o => o == "slot-full"));
        Assert.Equal((3, 3, 3L), await world.SlotCountsAsync(slot));
        await AssertConsistentAsync(world.App.Database.Database);
    }

    [Theory, ClassData(typeof(BothDatabases))]
    public async Task Race_OnePersonManyRequestsForOneDose_AtMostOneActiveBooking(DatabaseProvider provider)
    {
        await using var world = await BookingWorld.StartAsync(provider, kestrel: true);
        await world.SiteAsync();
        var slots = await world.SlotIdsAsync((await world.SessionAsync(from: "09:00", until: "12:00", capacity: 5)).Id);
        var nhs = await world.PersonAsync();
        var client = await world.App.ClientAsync(Scopes.BookingWrite);

        var outcomes = await RaceAsync(Enumerable.Range(0, Racers).Select(i => (Func<Task<string>>)(() => HoldAndConfirmAsync(client, nhs, slots[i % slots.Count]))));

        Assert.True(outcomes.Count(o => o == "booked") >= 1, string.Join(",", outcomes.Distinct()));
        Assert.All(outcomes, o => Assert.Contains(o, new[] { "booked", "already-booked", "hold-expired" }));
        await using var connection = await world.App.Database.Database.OpenAsync();
        Assert.Equal(1L, await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM bookings WHERE status IN ('held', 'booked')"));
        Assert.Equal(1L, await connection.ExecuteScalarAsync<long>("SELECT COALESCE(SUM(booked), 0) FROM slots"));
        await AssertConsistentAsync(world.App.Database.Database);
    }

    [Theory, ClassData(typeof(BothDatabases))]
    public async Task Race_SameIdempotencyKeyRetriedConcurrently_OneBookingAndEveryAnswerTheSame(DatabaseProvider provider)
    {
        await using var world = await BookingWorld.StartAsync(provider, kestrel: true);
        await world.SiteAsync();
        var slot = (await world.SlotIdsAsync((await world.SessionAsync(capacity: 10)).Id))[0];
        var nhs = await world.PersonAsync();
        var client = await world.App.ClientAsync(Scopes.BookingWrite);
        var body = new { nhsNumber = nhs.Value, dateOfBirth = "1940-01-01", slotId = slot, service = "COVID:18+" };

        var answers = await RaceAsync(Enumerable.Range(0, Racers).Select(_ => (Func<Task<string>>)(async () =>
        {
            var response = await BookingApiTests.SendAsync(client, "/api/v1/bookings/holds", body, "retry-me");
            return $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}";
        })));
        var settled = await BookingApiTests.SendAsync(client, "/api/v1/bookings/holds", body, "retry-me");
        var settledBody = $"{(int)settled.StatusCode} {await settled.Content.ReadAsStringAsync()}";

        Assert.StartsWith("201 ", settledBody, StringComparison.Ordinal);
        Assert.All(answers, a => Assert.True(a == settledBody || a.Contains("idempotency-request-in-progress", StringComparison.Ordinal), a));
        Assert.Equal((10, 1, 1L), await world.SlotCountsAsync(slot));
        await using var connection = await world.App.Database.Database.OpenAsync();
        Assert.Equal(1L, await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM bookings"));
    }

    [Theory, ClassData(typeof(BothDatabases))]
    public async Task Race_TwoServiceInstancesOverOneDatabase_NoOverbookingAndOneBookingPerPersonDose(DatabaseProvider provider)
    {
        await using var database = await TestDatabase.CreateAsync(provider);
        await using var first = ImmuniseApp.StartOver(database, kestrel: true);
        await using var second = ImmuniseApp.StartOver(database, kestrel: true);
        var world = await BookingWorld.PrepareAsync(first);
        await world.SiteAsync();
        var slot = (await world.SlotIdsAsync((await world.SessionAsync(capacity: 4)).Id))[0];
        var others = await world.SlotIdsAsync((await world.SessionAsync(from: "11:00", until: "12:00", capacity: 5)).Id);
        var people = await world.PeopleAsync(Racers);
        var clients = new[] { await first.ClientAsync(Scopes.BookingWrite), await second.ClientAsync(Scopes.BookingWrite) };
        var repeated = await world.PersonAsync(); // not among the racers for the last places

        var lastPlaces = await RaceAsync(people.Select((nhs, i) => (Func<Task<string>>)(() => HoldAndConfirmAsync(clients[i % 2], nhs, slot))));
        var samePerson = await RaceAsync(Enumerable.Range(0, Racers).Select(i => (Func<Task<string>>)(() => HoldAndConfirmAsync(clients[i % 2], repeated, others[i % others.Count]))));

        Assert.Equal(4, lastPlaces.Count(o => o == "booked"));
        Assert.Equal((4, 4, 4L), await world.SlotCountsAsync(slot));
        Assert.True(samePerson.Count(o => o == "booked") >= 1, string.Join(",", samePerson.Distinct()));
        Assert.All(samePerson, o => Assert.Contains(o, new[] { "booked", "already-booked", "hold-expired" }));
        await using var connection = await database.Database.OpenAsync();
        Assert.Equal(1L, await connection.ExecuteScalarAsync<long>(
            "SELECT COUNT(*) FROM bookings WHERE nhs_number = @nhs AND status IN ('held', 'booked')", new { nhs = repeated.Value }));
        await AssertConsistentAsync(database.Database);
    }

    /// <summary>Starts every racer at once (after all are ready) and collects each outcome.</summary>
    private static async Task<IReadOnlyList<string>> RaceAsync(IEnumerable<Func<Task<string>>> racers)
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var tasks = racers.Select(async racer =>
        {
            await gate.Task;
            return await racer();
        }).ToList();
        gate.SetResult();
        return await Task.WhenAll(tasks);
    }

    /// <summary>Hold then confirm over HTTP; "booked" or the code of the refusal.</summary>
    private static async Task<string> HoldAndConfirmAsync(HttpClient client, NhsNumber nhs, long slot)
    {
        var hold = await client.PostAsJsonAsync("/api/v1/bookings/holds", new { nhsNumber = nhs.Value, dateOfBirth = "1940-01-01", slotId = slot, service = "COVID:18+" });
        var held = await hold.Content.ReadFromJsonAsync<JsonElement>();
        if (hold.StatusCode != HttpStatusCode.Created)
        {
            return held.GetProperty("code").GetString()!;
        }

        var confirm = await client.PostAsJsonAsync("/api/v1/bookings/confirm", new { holdId = held.GetProperty("holdId").GetString() });
        var confirmed = await confirm.Content.ReadFromJsonAsync<JsonElement>();
        return confirm.IsSuccessStatusCode ? confirmed.GetProperty("status").GetString()! : confirmed.GetProperty("code").GetString()!;
    }

    /// <summary>No slot over capacity; each slot's counter equals its active bookings; one active booking per person, programme and dose.</summary>
    internal static async Task AssertConsistentAsync(Database database)
    {
        await using var connection = await database.OpenAsync();
        Assert.Equal(0L, await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM slots WHERE booked > capacity"));
        Assert.Equal(0L, await connection.ExecuteScalarAsync<long>(
            """
            SELECT COUNT(*) FROM slots s
            WHERE s.booked <> (SELECT COUNT(*) FROM bookings b WHERE b.slot_id = s.id AND b.status IN ('held', 'booked'))
            """));
        Assert.Equal(0L, await connection.ExecuteScalarAsync<long>(
            """
            SELECT COUNT(*) FROM (SELECT nhs_number FROM bookings WHERE status IN ('held', 'booked')
                                  GROUP BY nhs_number, programme, dose_number HAVING COUNT(*) > 1) x
            """));
    }
}
