using System.Collections.Concurrent;
using System.Net;
using Immunise.Availability;
using Immunise.Booking;
using Immunise.Geography;
using Immunise.People;
using Immunise.Records;
using Immunise.Sites;
using Immunise.Storage;
using Immunise.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;

namespace Immunise.Browser.Tests.Infrastructure;

/// <summary>
/// The real web app on a real Kestrel port over a fresh database of either kind, at a fixed moment (so the shipped campaign
/// configs, loaded at start-up as in production, are open), seeded through the real use cases: a few Leeds and Bradford
/// postcodes, three sites and a weekday session at each for ten weeks (10-minute slots, one place each). People are added by
/// each test. Logs are captured so tests can check no personal data reached them.
/// </summary>
public abstract class JourneyApp(DatabaseProvider provider, DateTimeOffset now) : IAsyncLifetime
{
    public const string Comirnaty = "39115611000001103";
    public const string FluCellBased = "43207411000001105";

    private static int s_people;
    private WebApplicationFactory<Program>? _factory;

    public TestDatabase Database { get; private set; } = null!;

    public FixedClock Clock { get; } = new(now);

    public DateOnly Today => London.Day(Clock.GetUtcNow());

    public string BaseUrl { get; private set; } = "";

    public ConcurrentQueue<string> Logs { get; } = new();

    public IServiceProvider Services => _factory!.Services;

    public T Get<T>() where T : notnull => Services.GetRequiredService<T>();

    public async Task InitializeAsync()
    {
        Database = await TestDatabase.CreateAsync(provider);
        var factory = new WebApplicationFactory<Program>().WithWebHostBuilder(web =>
        {
            web.UseEnvironment("Testing");
            web.UseSetting("Database:Provider", provider.ToString());
            web.UseSetting("Database:ConnectionString", Database.ConnectionString);
            web.UseSetting("Database:MigrateOnStart", "false");
            web.UseSetting("Demo:SeedPeople", "0");
            web.UseSetting("Demo:ApiKey", "");
            web.UseSetting("Demo:Banner", "false");
            web.ConfigureTestServices(services =>
            {
                services.AddSingleton(Database.Options);
                services.AddSingleton<TimeProvider>(Clock);
                services.RemoveAll<ILoggerProvider>();
                services.AddSingleton<ILoggerProvider>(new CapturedLogs(Logs));
            });
        });
        factory.UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
        factory.StartServer();
        _factory = factory;
        var addresses = Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses;
        BaseUrl = addresses.Single();
        Assert.DoesNotContain(":5000", BaseUrl, StringComparison.Ordinal);
        await SeedAsync();
    }

    private async Task SeedAsync()
    {
        await new ImportPostcodes(Database.Database).HandleAsync(
        [
            new PostcodeEntry("LS1 4AP", 53.7960, -1.5480, "Y63", "QWO", null, 3),
            new PostcodeEntry("LS2 7UE", 53.8030, -1.5520, "Y63", "QWO", null, 4),
            new PostcodeEntry("LS6 2QE", 53.8200, -1.5750, "Y63", "QWO", null, 5),
            new PostcodeEntry("BD1 1HY", 53.7950, -1.7520, "Y63", "QWO", null, 2),
        ]);
        await SiteAsync("JRN001", "Leeds Town Hall Vaccination Centre", "The Headrow, Leeds", "LS2 7UE");
        await SiteAsync("JRN002", "Hyde Park Pharmacy", "2 Woodhouse Street, Leeds", "LS6 2QE");
        await SiteAsync("JRN003", "Bradford City Vaccination Centre", "1 Hall Ings, Bradford", "BD1 1HY");
    }

    private async Task SiteAsync(string ods, string name, string address, string postcode)
    {
        var site = await Get<SaveSite>().CreateAsync(new SiteDetails(
            ods, name, "vaccination-centre", address, postcode, ["step-free-access", "accessible-toilet"], "Use the main entrance.",
            ["COVID:18+", "FLU:65+", "FLU:18-64"], [Comirnaty, FluCellBased], "online"));
        Assert.True(site.Succeeded, site.Failure?.Code);
        var weekdays = new[] { "monday", "tuesday", "wednesday", "thursday", "friday" };
        var applied = await Get<PublishSessions>().ApplyTemplateAsync(ods, new WeeklyTemplate(Today, Today.AddDays(70),
            [new WeeklySession(weekdays, "09:00", "11:00", 10, 1, ["COVID:18+", "FLU:65+", "FLU:18-64"])]), "browser-tests");
        Assert.True(applied.Succeeded, applied.Failure?.Code);
    }

    /// <summary>A new person in the register (through the people import), with a valid synthetic NHS number.</summary>
    public async Task<TestPerson> PersonAsync(DateOnly dateOfBirth, string given = "Margaret", string family = "Hughes", string postcode = "LS1 4AP", IReadOnlyList<string>? risks = null)
    {
        NhsNumber? nhs = null;
        while (nhs is null)
        {
            nhs = NhsNumber.FromFirstNine(999_100_000 + Interlocked.Increment(ref s_people));
        }

        var summary = await new ImportPeople(Database.Database, Clock).HandleAsync(
            [new Person(nhs.Value, given, family, dateOfBirth, "female", postcode, ClinicalRiskGroups: risks)]);
        Assert.Equal(0, summary.Rejected);
        return new TestPerson(nhs.Value, given, family, dateOfBirth, postcode);
    }

    /// <summary>Someone else takes every free place in a slot (through the real hold use case), as another citizen would.</summary>
    public async Task TakeSlotAsync(long slotId, string service)
    {
        var someoneElse = await PersonAsync(new DateOnly(1950, 6, 1), "Other", "Person");
        var held = await Get<HoldSlot>().HandleAsync(new HoldSlotRequest(someoneElse.NhsNumber, someoneElse.DateOfBirth, slotId, service), "someone-else");
        Assert.True(held.Succeeded, held.Failure?.Code);
    }

    public async Task DisposeAsync()
    {
        if (_factory is not null)
        {
            await _factory.DisposeAsync();
        }

        await Database.DisposeAsync();
    }

    private sealed class CapturedLogs(ConcurrentQueue<string> lines) : ILoggerProvider
    {
        public ILogger CreateLogger(string categoryName) => new Logger(categoryName, lines);

        public void Dispose()
        {
        }

        private sealed class Logger(string category, ConcurrentQueue<string> lines) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                var values = state is IEnumerable<KeyValuePair<string, object?>> pairs ? string.Join(" ", pairs.Select(p => $"{p.Key}={p.Value}")) : "";
                lines.Enqueue($"{logLevel} {category} {formatter(state, exception)} {values} {exception}");
            }
        }
    }
}

public sealed record TestPerson(NhsNumber NhsNumber, string GivenName, string FamilyName, DateOnly DateOfBirth, string Postcode);

/// <summary>Wednesday 15 October 2025: flu 2025/26 is open to adults aged 65 and over.</summary>
public sealed class FluSeasonApp() : JourneyApp(DatabaseProvider.Sqlite, new DateTimeOffset(2025, 10, 15, 8, 0, 0, TimeSpan.Zero));

/// <summary>Wednesday 15 April 2026: COVID-19 spring 2026 is open to people aged 75 and over.</summary>
public sealed class CovidSpringApp() : JourneyApp(DatabaseProvider.Sqlite, new DateTimeOffset(2026, 4, 15, 8, 0, 0, TimeSpan.Zero));

public sealed class PostgresFluSeasonApp() : JourneyApp(DatabaseProvider.Postgres, new DateTimeOffset(2025, 10, 15, 8, 0, 0, TimeSpan.Zero));

public sealed class PostgresCovidSpringApp() : JourneyApp(DatabaseProvider.Postgres, new DateTimeOffset(2026, 4, 15, 8, 0, 0, TimeSpan.Zero));
