extern alias web;

using System.Collections.Concurrent;
using System.Net.Http.Json;
using Dapper;
using Immunise.Access;
using Immunise.Audit;
using Immunise.People;
using Immunise.Storage;
using Immunise.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using WebProgram = web::Program;

namespace Immunise.Tests.Web;

/// <summary>
/// The whole web app in memory over a fresh <see cref="TestDatabase"/> of the theory's kind: no demo seeding, no banner, no
/// shipped campaign configs (tests load the configs they need), a
/// <see cref="FixedClock"/>, and log output captured instead of written to the console. One per test.
/// </summary>
public sealed class ImmuniseApp : IAsyncDisposable
{
    public static readonly DateTimeOffset Now = new(2026, 11, 20, 12, 0, 0, TimeSpan.Zero);
    public static readonly NhsNumber Sarah = NhsNumber.Parse("9434765919");

    private readonly WebApplicationFactory<WebProgram> _factory;

    private readonly bool _ownsDatabase;

    private ImmuniseApp(TestDatabase database, bool ownsDatabase, WebApplicationFactory<WebProgram> factory, FixedClock clock, CapturedLogs logs)
    {
        Database = database;
        _ownsDatabase = ownsDatabase;
        _factory = factory;
        Clock = clock;
        Logs = logs;
    }

    public TestDatabase Database { get; }

    public FixedClock Clock { get; }

    public CapturedLogs Logs { get; }

    public IServiceProvider Services => _factory.Services;

    public static async Task<ImmuniseApp> StartAsync(DatabaseProvider provider, IReadOnlyDictionary<string, string>? settings = null, bool kestrel = false) =>
        Start(await TestDatabase.CreateAsync(provider), ownsDatabase: true, settings, kestrel);

    /// <summary>
    /// An app over a database the caller owns (and disposes), e.g. to start twice over the same data. <paramref name="kestrel"/>:
    /// listen on a real loopback port (clients then make real HTTP requests over sockets) instead of the in-memory server.
    /// </summary>
    public static ImmuniseApp StartOver(TestDatabase database, IReadOnlyDictionary<string, string>? settings = null, bool kestrel = false) =>
        Start(database, ownsDatabase: false, settings, kestrel);

    private static ImmuniseApp Start(TestDatabase database, bool ownsDatabase, IReadOnlyDictionary<string, string>? settings, bool kestrel = false)
    {
        var provider = database.Provider;
        var clock = new FixedClock(Now);
        var logs = new CapturedLogs();
        var factory = new WebApplicationFactory<WebProgram>().WithWebHostBuilder(web =>
        {
            web.UseEnvironment("Testing");
            web.UseSetting("Database:Provider", provider.ToString());
            web.UseSetting("Database:ConnectionString", database.ConnectionString);
            web.UseSetting("Database:MigrateOnStart", "false");
            web.UseSetting("Demo:SeedPeople", "0");
            web.UseSetting("Demo:ApiKey", "");
            web.UseSetting("Demo:Banner", "false");
            web.UseSetting("Eligibility:LoadShippedCampaigns", "false");
            web.UseSetting("Notifications:DispatcherEnabled", "false"); // tests that want it say so
            if (kestrel)
            {
                web.UseSetting(WebHostDefaults.ServerUrlsKey, "http://127.0.0.1:0");
            }

            foreach (var (key, value) in settings ?? new Dictionary<string, string>())
            {
                web.UseSetting(key, value);
            }

            web.ConfigureTestServices(services =>
            {
                services.AddSingleton(database.Options);
                services.AddSingleton<TimeProvider>(clock);
                services.RemoveAll<ILoggerProvider>();
                services.AddSingleton<ILoggerProvider>(logs);
                services.Configure<LoggerFilterOptions>(o => o.Rules.Add(new LoggerFilterRule(null, null, LogLevel.Trace, null)));
            });
        });
        if (kestrel)
        {
            factory.UseKestrel(0);
            factory.StartServer();
        }
        else
        {
            _ = factory.Server; // start now, so start-up failures surface here
        }

        var address = kestrel
            ? new Uri(factory.Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>()
                .Features.Get<Microsoft.AspNetCore.Hosting.Server.Features.IServerAddressesFeature>()!.Addresses.First())
            : null;
        return new ImmuniseApp(database, ownsDatabase, factory, clock, logs) { Address = address };
    }

    /// <summary>A client that sends no API key.</summary>
    public HttpClient Anonymous() => _factory.CreateClient(new WebApplicationFactoryClientOptions
    {
        AllowAutoRedirect = false,
        BaseAddress = Address ?? new Uri("http://localhost"),
    });

    /// <summary>Where the app listens when started on Kestrel (null: in memory).</summary>
    public Uri? Address { get; private init; }

    /// <summary>
    /// A client that behaves like a browser for staff pages: HTTPS (the staff cookie is Secure), cookies kept, redirects not
    /// followed.
    /// </summary>
    public HttpClient Browser() => _factory.CreateClient(new WebApplicationFactoryClientOptions
    {
        AllowAutoRedirect = false,
        BaseAddress = new Uri("https://localhost"),
        HandleCookies = true,
    });

    /// <summary>A client with a new API key holding these scopes (both by default).</summary>
    public async Task<HttpClient> ClientAsync(params string[] scopes)
    {
        var key = await Services.GetRequiredService<ApiKeys>()
            .CreateAsync($"test-{Guid.NewGuid():N}"[..20], scopes.Length == 0 ? [Scopes.RecordsRead, Scopes.RecordsWrite] : scopes);
        var client = Anonymous();
        client.DefaultRequestHeaders.Add("X-Api-Key", key.Value!.Key);
        return client;
    }

    public async Task<NhsNumber> AddPersonAsync(NhsNumber? nhsNumber = null, DateOnly? dateOfBirth = null)
    {
        var nhs = nhsNumber ?? Sarah;
        await using var connection = await Database.Database.OpenAsync();
        await connection.ExecuteAsync(
            """
            INSERT INTO people (nhs_number, given_name, family_name, date_of_birth, sex, postcode, gp_practice_code, ethnicity,
                care_home_resident, clinical_risk_groups, mobile, created_at, updated_at)
            VALUES (@nhs, 'Sarah', 'Taylor', @dob, 'female', 'EC1A 1BB', 'B87008', 'A', @careHome, 'DIABETES', '07700900123', @now, @now)
            """,
            new { nhs = nhs.Value, dob = dateOfBirth ?? new DateOnly(1965, 2, 28), careHome = true, now = Now });
        return nhs;
    }

    public Task<IReadOnlyList<AuditEvent>> AuditFor(NhsNumber nhs) => Services.GetRequiredService<AuditLog>().ForPersonAsync(nhs);

    /// <summary>A vaccination body for the REST API (Comirnaty by default).</summary>
    public static object Vaccination(NhsNumber nhs, DateTimeOffset occurredAt, string product = Products.Comirnaty, string? sourceIdentifier = null) => new
    {
        nhsNumber = nhs.Value,
        productCode = product,
        occurredAt,
        siteOdsCode = "B87008",
        batchNumber = "FK1234",
        batchExpiry = new DateOnly(2027, 1, 31),
        route = "intramuscular",
        bodySite = "left-upper-arm",
        performer = "Nurse Jones",
        sourceSystem = sourceIdentifier is null ? null : "https://supplierABC/identifiers/vacc",
        sourceIdentifier,
    };

    public async Task<string> RecordAsync(HttpClient client, NhsNumber nhs, DateTimeOffset occurredAt, string product = Products.Comirnaty)
    {
        var response = await client.PostAsJsonAsync("/api/v1/vaccinations", Vaccination(nhs, occurredAt, product));
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>()).GetProperty("id").GetString()!;
    }

    public async ValueTask DisposeAsync()
    {
        await _factory.DisposeAsync();
        if (_ownsDatabase)
        {
            await Database.DisposeAsync();
        }
    }
}

public static class Products
{
    public const string Comirnaty = "39115611000001103";
    public const string Vaxzevria = "39114911000001105";
    public const string FluCellBased = "43207411000001105";
}

/// <summary>Every log line the app writes: the formatted message, its structured values and any exception.</summary>
public sealed class CapturedLogs : ILoggerProvider
{
    private readonly ConcurrentQueue<string> _lines = new();

    public IReadOnlyList<string> Lines => [.. _lines];

    public ILogger CreateLogger(string categoryName) => new Logger(categoryName, _lines);

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
            lines.Enqueue($"{logLevel} {category} [{eventId.Id}] {formatter(state, exception)} {values} {exception}");
        }
    }
}
