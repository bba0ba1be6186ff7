using Dapper;
using Immunise.Availability;
using Immunise.Booking;
using Immunise.Sites;
using Immunise.Storage;
using Immunise.Tests.Infrastructure;
using Immunise.Tests.Web;
using static Immunise.Tests.Booking.BookingUseCaseTests;

namespace Immunise.Tests.Booking;

/// <summary>Sites near a postcode and availability by day and slot, on SQLite and PostgreSQL; service suitability (pure).</summary>
public sealed class FindSitesAndAvailabilityTests
{
    [Theory, ClassData(typeof(BothDatabases))]
    public async Task FindSites_NearLeeds_NearestFirstWithDistanceAndNextFreeDate_OnlyOnlineSitesOfferingTheServiceWithAvailability(DatabaseProvider provider)
    {
        await using var world = await BookingWorld.StartAsync(provider);
        await world.SiteAsync("LEEDS1", "LS1 4AP");
        await world.SiteAsync("LEEDS6", "LS6 2QE");
        await world.SiteAsync("YORK1", "YO1 7HH");
        await world.SiteAsync("LONDON1", "SW1A 1AA");
        await world.SiteAsync("OFFLINE", "LS1 4AP", status: "offline");
        await world.SiteAsync("FLUONLY", "LS1 4AP", services: ["FLU:65+"]);
        await world.SiteAsync("NOSLOTS", "LS6 2QE");
        foreach (var (ods, day) in new[] { ("LEEDS1", 3), ("LEEDS6", 1), ("YORK1", 5), ("LONDON1", 1), ("OFFLINE", 1), ("FLUONLY", 1) })
        {
            await world.SessionAsync(ods, BookingWorld.Monday.AddDays(day), services: ods == "FLUONLY" ? ["FLU:65+"] : null);
        }

        var near = Ok(await world.Get<FindSites>().HandleAsync(new FindSitesRequest("ls1 4ap", "COVID:18+")));
        var withoutAvailability = Ok(await world.Get<FindSites>().HandleAsync(new FindSitesRequest("LS1 4AP", "COVID:18+", OnlyWithAvailability: false)));
        var nearUnlisted = Ok(await world.Get<FindSites>().HandleAsync(new FindSitesRequest("LS1 9ZZ", "COVID:18+", Limit: 1)));

        Assert.Equal(["LEEDS1", "LEEDS6", "YORK1"], near.Sites.Select(s => s.Site.OdsCode));
        Assert.Equal(0, near.Sites[0].DistanceKm);
        Assert.InRange(near.Sites[1].DistanceMiles, 1.7, 2.1);
        Assert.InRange(near.Sites[2].DistanceKm, 35, 40);
        Assert.Equal([BookingWorld.Monday.AddDays(3), BookingWorld.Monday.AddDays(1), BookingWorld.Monday.AddDays(5)], near.Sites.Select(s => s.NextFreeDate!.Value));
        Assert.Equal(["LEEDS1", "LEEDS6", "NOSLOTS", "YORK1"], withoutAvailability.Sites.Select(s => s.Site.OdsCode));
        Assert.Null(withoutAvailability.Sites[2].NextFreeDate);
        Assert.False(nearUnlisted.PostcodeExact);
        Assert.Single(nearUnlisted.Sites);
    }

    [Theory, ClassData(typeof(BothDatabases))]
    public async Task FindSites_BadInput_StableCodes(DatabaseProvider provider)
    {
        await using var world = await BookingWorld.StartAsync(provider);
        var find = world.Get<FindSites>();

        var codes = new[]
        {
            (await find.HandleAsync(new FindSitesRequest("not a postcode", "COVID:18+"))).Failure?.Code,
            (await find.HandleAsync(new FindSitesRequest("ZE1 0AA", "COVID:18+"))).Failure?.Code,
            (await find.HandleAsync(new FindSitesRequest("LS1 4AP", "COVID:99+"))).Failure?.Code,
            (await find.HandleAsync(new FindSitesRequest("LS1 4AP", "COVID:18+", Limit: 0))).Failure?.Code,
            (await find.HandleAsync(new FindSitesRequest("LS1 4AP", "COVID:18+", MaxMiles: double.NaN))).Failure?.Code,
        };

        Assert.Equal<IEnumerable<string?>>(["invalid-postcode", "postcode-not-found", "invalid-service", "invalid-limit", "invalid-distance"], codes);
    }

    [Theory, ClassData(typeof(BothDatabases))]
    public async Task GetAvailability_ByDayAndSlot_FreePlacesOfFutureSlotsOfActiveSessionsOfferingTheService(DatabaseProvider provider)
    {
        await using var world = await BookingWorld.StartAsync(provider);
        await world.SiteAsync();
        var morning = await world.SessionAsync(from: "09:00", until: "09:30", capacity: 3);
        var flu = await world.SessionAsync(from: "14:00", until: "14:20", services: ["FLU:65+"]);
        var cancelled = await world.SessionAsync(date: BookingWorld.Monday.AddDays(1));
        await world.SessionAsync(date: BookingWorld.Monday.AddDays(2), from: "10:00", until: "10:30");
        await using (var connection = await world.App.Database.Database.OpenAsync())
        {
            await connection.ExecuteAsync("UPDATE sessions SET status = 'cancelled' WHERE id = @Id", new { cancelled.Id });
        }

        var firstSlot = (await world.SlotIdsAsync(morning.Id))[0];
        await BookAsync(world, await world.PersonAsync(), firstSlot, null);
        world.App.Clock.Now = new DateTimeOffset(2026, 11, 23, 9, 5, 0, TimeSpan.Zero); // Monday 09:05: the 09:00 slot has started
        var secondSlot = (await world.SlotIdsAsync(morning.Id))[1];
        await BookAsync(world, await world.PersonAsync(), secondSlot, null);

        var covid = Ok(await world.Get<GetAvailability>().HandleAsync(new AvailabilityQuery("leeds1", BookingWorld.Monday, BookingWorld.Monday.AddDays(6), "COVID:18+")));
        var all = Ok(await world.Get<GetAvailability>().HandleAsync(new AvailabilityQuery("LEEDS1", BookingWorld.Monday, BookingWorld.Monday)));

        Assert.Equal([BookingWorld.Monday, BookingWorld.Monday.AddDays(2)], covid.Days.Select(d => d.Date));
        Assert.Equal(["09:10", "09:20"], covid.Days[0].Slots.Select(s => s.From));
        Assert.Equal([(2, "09:20"), (3, "09:30")], covid.Days[0].Slots.Select(s => (s.Free, s.Until)));
        Assert.Equal(5, covid.Days[0].Free);
        Assert.Equal([9, 4], all.Days.Select(d => d.Free).Append(all.Days[0].Slots.Count));
        Assert.Equal(["FLU:65+"], all.Days[0].Slots[^1].Services);
        _ = flu;
    }

    [Theory, ClassData(typeof(BothDatabases))]
    public async Task GetAvailability_BadInput_StableCodes(DatabaseProvider provider)
    {
        await using var world = await BookingWorld.StartAsync(provider);
        await world.SiteAsync();
        var availability = world.Get<GetAvailability>();

        var codes = new[]
        {
            (await availability.HandleAsync(new AvailabilityQuery("NOSUCH", null, null))).Failure?.Code,
            (await availability.HandleAsync(new AvailabilityQuery("LEEDS1", BookingWorld.Monday, BookingWorld.Monday.AddDays(-1)))).Failure?.Code,
            (await availability.HandleAsync(new AvailabilityQuery("LEEDS1", BookingWorld.Monday, BookingWorld.Monday.AddDays(62)))).Failure?.Code,
            (await availability.HandleAsync(new AvailabilityQuery("LEEDS1", null, null, "FLU:1+"))).Failure?.Code,
        };

        Assert.Equal<IEnumerable<string?>>(["site-not-found", "invalid-date-range", "date-range-too-long", "invalid-service"], codes);
    }

    [Theory, ClassData(typeof(BothDatabases))]
    public async Task SeedSites_DemoSitesAcrossEngland_SearchableWithSessionsForTheComingWeeks(DatabaseProvider provider)
    {
        await using var world = await BookingWorld.StartAsync(provider);
        await new Immunise.Geography.ImportPostcodes(world.App.Database.Database).HandleAsync(Immunise.Geography.SyntheticPostcodeDirectory.Generate(2));
        var seeder = new Immunise.Seeding.SeedSites(world.App.Database.Database, world.App.Clock);

        var added = await seeder.SeedIfEmptyAsync(84, days: 14, seed: 1);
        var again = await seeder.SeedIfEmptyAsync(84, days: 14, seed: 1);
        var near = Ok(await world.Get<FindSites>().HandleAsync(new FindSitesRequest("LS1 4AP", "COVID:18+", Limit: 3, MaxMiles: 100)));
        var days = Ok(await world.Get<GetAvailability>().HandleAsync(new AvailabilityQuery(near.Sites[0].Site.OdsCode, null, BookingWorld.Monday.AddDays(13), "COVID:18+")));

        Assert.Equal((84, 0), (added, again));
        Assert.Equal(3, near.Sites.Count);
        Assert.All(near.Sites, s => Assert.Equal(ImmuniseApp.Now.Date.AddDays(0).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture), s.NextFreeDate!.Value.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture)));
        Assert.Equal(12, days.Days.Count); // 14 days from Friday 20th to Thursday 3 December, less two Sundays
        await using var connection = await world.App.Database.Database.OpenAsync();
        Assert.Equal(42L, await connection.ExecuteScalarAsync<long>("SELECT COUNT(DISTINCT icb_ods_code) FROM sites"));
    }

    /// <summary>
    /// The search widens in rings; its answers must be those of one search over the whole radius: checked against every site's
    /// distance worked out here, for postcodes across England, several limits and radii, with and without availability.
    /// </summary>
    [Theory, ClassData(typeof(BothDatabases))]
    public async Task FindSites_SearchInRings_AnswersAsOneSearchOfTheWholeRadius(DatabaseProvider provider)
    {
        await using var world = await BookingWorld.StartAsync(provider);
        var database = world.App.Database.Database;
        await new Immunise.Geography.ImportPostcodes(database).HandleAsync(Immunise.Geography.SyntheticPostcodeDirectory.Generate(2));
        await new Immunise.Seeding.SeedSites(database, world.App.Clock).SeedIfEmptyAsync(300, days: 3, seed: 7);
        List<(string Ods, double Lat, double Lon)> sites;
        List<(string Postcode, double Lat, double Lon)> postcodes;
        HashSet<string> available;
        await using (var connection = await database.OpenAsync())
        {
            // A third of the sites have no free place left, so availability decides too.
            await connection.ExecuteAsync("UPDATE slots SET booked = capacity WHERE site_ods_code IN (SELECT ods_code FROM sites WHERE ods_code LIKE '%0' OR ods_code LIKE '%3' OR ods_code LIKE '%6')");
            sites = [.. await connection.QueryAsync<(string, double, double)>(
                "SELECT ods_code, latitude, longitude FROM sites WHERE status = 'online' AND EXISTS (SELECT 1 FROM site_services ss WHERE ss.ods_code = sites.ods_code AND ss.service = 'COVID:18+')")];
            available = [.. await connection.QueryAsync<string>(
                "SELECT DISTINCT sl.site_ods_code FROM slots sl JOIN session_services ss ON ss.session_id = sl.session_id AND ss.service = 'COVID:18+' WHERE sl.booked < sl.capacity AND sl.starts_at > @now",
                new { now = world.App.Clock.GetUtcNow() })];
            postcodes = [.. (await connection.QueryAsync<(string, double, double)>("SELECT postcode, latitude, longitude FROM postcodes ORDER BY postcode")).Where((_, i) => i % 97 == 0).Take(25)];
        }

        var find = world.Get<FindSites>();
        var compared = 0;
        foreach (var (postcode, lat, lon) in postcodes)
        {
            foreach (var (limit, miles, onlyAvailable) in new[] { (1, 50.0, true), (5, 50.0, true), (10, 100.0, false), (20, 30.0, true) })
            {
                var expected = sites
                    .Select(s => (s.Ods, Km: Immunise.Sites.PostcodeLocation.DistanceKm(lat, lon, s.Lat, s.Lon)))
                    .Where(s => s.Km <= miles * FindSites.KmPerMile && (!onlyAvailable || available.Contains(s.Ods)))
                    .OrderBy(s => s.Km).ThenBy(s => s.Ods, StringComparer.Ordinal)
                    .Take(limit).Select(s => s.Ods).ToList();
                var found = Ok(await find.HandleAsync(new FindSitesRequest(postcode, "COVID:18+", limit, miles, OnlyWithAvailability: onlyAvailable)));
                Assert.Equal(expected, found.Sites.Select(s => s.Site.OdsCode));
                compared += expected.Count;
            }
        }

        Assert.True(compared > 100, $"only {compared} sites compared: the seeded sites are too sparse to test the rings");
    }

    [Theory]
    [InlineData("1960-11-23", "2026-11-23", "COVID:18+ FLU:65+ RSV:Adult")] // 66 on the day
    [InlineData("1961-11-24", "2026-11-23", "COVID:18+ FLU:18-64 RSV:Adult")] // 64 until tomorrow
    [InlineData("2010-06-01", "2026-11-23", "COVID:12-17 FLU:2-17")]
    [InlineData("2008-11-23", "2026-11-23", "COVID:18+ FLU:18-64 RSV:Adult")] // 18 today
    [InlineData("2024-01-01", "2026-11-23", "FLU:2-17")]
    public void ServicesFor_AgeOnTheAppointmentDay_TheServicesOfThatAgeBand(string born, string day, string expected)
    {
        var services = ServiceSuitability.ServicesFor(DateOnly.Parse(born, System.Globalization.CultureInfo.InvariantCulture), DateOnly.Parse(day, System.Globalization.CultureInfo.InvariantCulture));

        Assert.Equal(expected, string.Join(' ', services.Select(s => s.Service)));
    }

    [Fact]
    public void SuitabilityAndDoseWindow_ProgrammeProductsAndSameProductWindow()
    {
        var catalogue = Vaccines.VaccineCatalogue.Default;
        var covidForTeen = ServiceSuitability.ProductsFor(ServiceSuitability.Find("COVID:12-17")!, new DateOnly(2013, 1, 1), new DateOnly(2026, 11, 23), catalogue);
        var vaxzevria = catalogue.FindProduct(Products.Vaxzevria)!;

        var window = ServiceSuitability.NextDoseWindow(vaxzevria, new DateOnly(2026, 11, 23))!;

        Assert.Contains(covidForTeen, p => p.Code == Products.Comirnaty);
        Assert.DoesNotContain(covidForTeen, p => p.Code == Products.Vaxzevria); // 18+
        Assert.Equal(["FLU:18-64", "FLU:2-17", "FLU:65+"], ServiceSuitability.Bands.Where(b => b.Programme == "FLU").Select(b => b.Service).Order(StringComparer.Ordinal));
        Assert.Equal(new DateOnly(2026, 12, 21), window.Earliest); // 28 days
        Assert.Equal(new DateOnly(2027, 2, 15), window.Latest); // 12 weeks
        Assert.Null(ServiceSuitability.NextDoseWindow(catalogue.FindProduct(Products.FluCellBased)!, new DateOnly(2026, 11, 23)));
        Assert.True(BookingReference.TryParse("acde-fghj", out var reference) && reference == "ACDEFGHJ");
        Assert.False(BookingReference.TryParse("ACDEFGH0", out _));
        Assert.All(Enumerable.Range(0, 200).Select(_ => BookingReference.New()), r => Assert.Matches("^[ACDEFGHJKMNPQRTUVWXY346789]{8}$", r));
    }
}
