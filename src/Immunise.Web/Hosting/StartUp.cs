using System.ComponentModel.DataAnnotations;
using System.Data.Common;
using Dapper;
using Immunise.Access;
using Immunise.Eligibility;
using Immunise.Seeding;
using Immunise.Staff;
using Immunise.Storage;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Immunise.Web.Hosting;

/// <summary>What the service prepares when it starts. Bound from <c>Demo</c>; <c>Database:MigrateOnStart</c> is read beside it.</summary>
public sealed class StartUpOptions
{
    public const string Section = "Demo";

    /// <summary>Seed this many synthetic people on first start (an empty register); 0 seeds nothing.</summary>
    [Range(0, 10_000_000)]
    public int SeedPeople { get; set; }

    /// <summary>The random seed for the demo population, so every laptop gets the same people.</summary>
    public int Seed { get; set; } = 20210108;

    /// <summary>A demo API key (<c>imm_{id}_{secret}</c>) stored under the name <c>demo</c> when set. Never set in production.</summary>
    public string? ApiKey { get; set; }

    /// <summary>
    /// Also load the shipped campaign configs moved on by whole years to be in force today (beside the shipped ones, under
    /// IDs ending <c>_DEMO</c>), so a demo has campaigns open whatever the date. Never set in production.
    /// </summary>
    public bool CampaignsLiveToday { get; set; }

    /// <summary>Seed this many synthetic vaccination sites (with sessions) when there are none; 0 seeds none.</summary>
    [Range(0, 10_000)]
    public int SeedSites { get; set; }

    /// <summary>How many days ahead the demo sites' sessions run.</summary>
    [Range(1, 90)]
    public int SeedSiteDays { get; set; } = 28;

    /// <summary>
    /// Give the demo staff's site (<c>Staff:DemoSite</c>) a day to work through: the site (if missing), a session today, this many
    /// flu appointments today and in-date stock (<see cref="Immunise.Seeding.SeedSiteDay"/>); 0 does nothing. Never set in production.
    /// </summary>
    [Range(0, 1_000)]
    public int SeedSiteDay { get; set; }

    /// <summary>Print the start-up banner (URLs, database, demo key, example requests) to the console.</summary>
    public bool Banner { get; set; } = true;
}

/// <summary>
/// Start-up work that must finish before requests are served: migrations (when <c>Database:MigrateOnStart</c>, the default
/// for SQLite), the shipped campaign configs (unless <c>Eligibility:LoadShippedCampaigns</c> is false), the demo
/// population, the demo API key. Then, once the server listens, a banner on the console.
/// </summary>
public static class StartUp
{
    public const string DemoKeyName = "demo";

    public static async Task PrepareAsync(WebApplication app)
    {
        var services = app.Services;
        var database = services.GetRequiredService<Database>();
        var options = services.GetRequiredService<IOptions<StartUpOptions>>().Value;
        var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger("Immunise.StartUp");
        var stopping = app.Lifetime.ApplicationStopping;

        var migrate = app.Configuration.GetValue<bool?>("Database:MigrateOnStart") ?? database.Provider == DatabaseProvider.Sqlite;
        if (migrate)
        {
            var applied = await new Migrator(database).MigrateAsync(stopping);
            StartUpLog.Migrated(logger, database.Provider.ToString(), applied.Count, Migrator.Scripts(database.Provider)[^1].Version);
        }

        if (app.Configuration.GetValue("Eligibility:LoadShippedCampaigns", true))
        {
            var loaded = await ShippedCampaigns.LoadAsync(services.GetRequiredService<CampaignStore>(), stopping);
            if (loaded.Succeeded)
            {
                StartUpLog.ShippedCampaignsLoaded(logger, loaded.Items.Count(i => i.Added), loaded.Items.Count);
            }
            else
            {
                StartUpLog.ShippedCampaignsRefused(logger, string.Join("; ", loaded.Errors));
            }
        }

        if (options.CampaignsLiveToday)
        {
            var today = Immunise.Records.London.Today(services.GetRequiredService<TimeProvider>());
            var moved = await services.GetRequiredService<CampaignStore>().LoadAsync(ShippedCampaigns.MovedToToday(today), ShippedCampaigns.LoadedBy + " moved to today", stopping);
            if (moved.Succeeded)
            {
                StartUpLog.ShippedCampaignsLoaded(logger, moved.Items.Count(i => i.Added), moved.Items.Count);
            }
            else
            {
                StartUpLog.ShippedCampaignsRefused(logger, string.Join("; ", moved.Errors));
            }
        }

        if (options.SeedPeople > 0)
        {
            StartUpLog.SeedingStarted(logger, options.SeedPeople);
            var progress = new Progress<string>(step => StartUpLog.SeedingProgress(logger, step));
            var seeded = await services.GetRequiredService<DemoData>().SeedIfEmptyAsync(options.SeedPeople, options.Seed, progress, stopping);
            StartUpLog.Seeded(logger, seeded.People, seeded.Vaccinations, seeded.Postcodes, seeded.AlreadySeeded);
        }

        if (options.SeedSites > 0)
        {
            var progress = new Progress<string>(step => StartUpLog.SeedingProgress(logger, step));
            var sites = await new SeedSites(database, services.GetRequiredService<TimeProvider>())
                .SeedIfEmptyAsync(options.SeedSites, options.SeedSiteDays, options.Seed, progress, stopping);
            StartUpLog.SitesSeeded(logger, sites, options.SeedSiteDays);
        }

        if (!string.IsNullOrWhiteSpace(options.ApiKey))
        {
            var ensured = await services.GetRequiredService<ApiKeys>()
                .EnsureAsync(DemoKeyName, options.ApiKey.Trim(), [Scopes.RecordsRead, Scopes.RecordsWrite, Scopes.EligibilityRead, Scopes.BookingRead, Scopes.BookingWrite, Scopes.SitesWrite], stopping);
            if (ensured.Succeeded)
            {
                StartUpLog.DemoKeyEnsured(logger, DemoKeyName, ensured.Value);
            }
            else
            {
                StartUpLog.DemoKeyRefused(logger, ensured.Failure!.Code);
            }
        }

        var staffOptions = services.GetRequiredService<StaffOptions>();
        IReadOnlyList<DemoAccount> demoStaff = [];
        if (!string.IsNullOrWhiteSpace(staffOptions.DemoPassword))
        {
            var ensured = await services.GetRequiredService<DemoStaff>().EnsureAsync(staffOptions, stopping);
            if (ensured.Succeeded)
            {
                demoStaff = ensured.Value!;
                StartUpLog.DemoStaffEnsured(logger, demoStaff.Count);
            }
            else
            {
                StartUpLog.DemoStaffRefused(logger, ensured.Failure!.Code);
            }
        }

        if (options.SeedSiteDay > 0 && !string.IsNullOrWhiteSpace(staffOptions.DemoSite))
        {
            var day = await new SeedSiteDay(database, services.GetRequiredService<Immunise.Stock.SiteStock>(), services.GetRequiredService<TimeProvider>())
                .EnsureAsync(staffOptions.DemoSite, staffOptions.DemoRegion, options.SeedSiteDay, stopping);
            StartUpLog.SiteDaySeeded(logger, staffOptions.DemoSite, day.SiteAdded, day.SessionAdded, day.Appointments, day.Batches);
        }

        if (options.Banner)
        {
            var example = await FirstNhsNumberAsync(database, stopping);
            app.Lifetime.ApplicationStarted.Register(() => PrintBanner(app, database, options, example, demoStaff, staffOptions.DemoPassword));
        }
    }

    private static async Task<string?> FirstNhsNumberAsync(Database database, CancellationToken cancellationToken)
    {
        try
        {
            await using var connection = await database.OpenAsync(cancellationToken);
            return await connection.QueryFirstOrDefaultAsync<string>(new CommandDefinition(
                "SELECT nhs_number FROM people ORDER BY nhs_number LIMIT 1", cancellationToken: cancellationToken));
        }
        catch (DbException)
        {
            return null; // not migrated yet: the banner says so
        }
    }

    private static void PrintBanner(WebApplication app, Database database, StartUpOptions options, string? exampleNhsNumber,
        IReadOnlyList<DemoAccount> demoStaff, string? demoPassword)
    {
        var addresses = app.Services.GetService<IServer>()?.Features.Get<IServerAddressesFeature>()?.Addresses.ToList() ?? [];
        var url = (addresses.FirstOrDefault(a => a.StartsWith("http://", StringComparison.Ordinal)) ?? addresses.FirstOrDefault() ?? "http://localhost:5000")
            .Replace("://[::]", "://localhost", StringComparison.Ordinal)
            .Replace("://0.0.0.0", "://localhost", StringComparison.Ordinal)
            .Replace("://+", "://localhost", StringComparison.Ordinal)
            .Replace("://*", "://localhost", StringComparison.Ordinal)
            .TrimEnd('/');
        var key = string.IsNullOrWhiteSpace(options.ApiKey) ? null : options.ApiKey.Trim();
        var keyArgument = key ?? "<your API key>";
        var lines = new List<string>
        {
            "",
            "  Immunise — the national immunisation register",
            "",
            $"  Listening on   {(addresses.Count == 0 ? "(in-process test server)" : string.Join(", ", addresses))}",
            $"  Home page      {url}/",
            $"  Database       {DescribeDatabase(database, app.Services.GetRequiredService<DatabaseOptions>())}",
            $"  OpenAPI        {url}/openapi/v1.json",
            $"  FHIR           {url}/fhir/metadata",
            $"  Health         {url}/health/ready",
            $"  Demo API key   {key ?? "(none: set Demo:ApiKey, or create one with `immunise keys create`)"}",
            "",
        };
        if (exampleNhsNumber is null)
        {
            lines.Add("  The register has no people yet: seed it (Demo:SeedPeople) or import a file with the immunise CLI.");
        }
        else
        {
            lines.Add("  Try:");
            lines.Add($"    curl -H \"X-Api-Key: {keyArgument}\" {url}/api/v1/people/{exampleNhsNumber}");
            lines.Add($"    curl -H \"X-Api-Key: {keyArgument}\" {url}/api/v1/people/{exampleNhsNumber}/vaccinations");
            lines.Add($"    curl -H \"X-Api-Key: {keyArgument}\" \"{url}/fhir/Immunization?patient.identifier=https://fhir.nhs.uk/Id/nhs-number|{exampleNhsNumber}&-immunization.target=COVID19,FLU\"");
            lines.Add($"    curl -H \"X-Api-Key: {keyArgument}\" {url}/eligibility-signposting-api/patient-check/{exampleNhsNumber}");
            lines.Add($"    curl -H \"X-Api-Key: {keyArgument}\" -H \"Content-Type: application/json\" -d '{{\"postcode\":\"LS1 4AP\",\"service\":\"COVID:18+\"}}' {url}/api/v1/sites/search");
        }

        if (demoStaff.Count > 0)
        {
            lines.Add("");
            lines.Add($"  Staff sign-in  {url}/staff/sign-in   (demo accounts; password for all: {demoPassword})");
            lines.AddRange(demoStaff.Select(a => $"    {a.Email,-40} {a.Grant.Describe()}"));
            if (options.SeedSiteDay > 0)
            {
                lines.Add($"  Site's day     {url}/staff/sites/{demoStaff.First(a => a.Grant.Role == StaffRole.Receptionist).Grant.ScopeCode}/day   (receptionist checks in, clinician vaccinates)");
            }
        }

        lines.Add("");
        Console.Out.WriteLine(string.Join(Environment.NewLine, lines));
        Console.Out.Flush();
    }

    /// <summary>The provider and where the data is: a file path, or host/port/database. Never a password.</summary>
    public static string DescribeDatabase(Database database, DatabaseOptions options)
    {
        try
        {
            if (database.Provider == DatabaseProvider.Postgres)
            {
                var pg = new NpgsqlConnectionStringBuilder(options.ConnectionString);
                return $"PostgreSQL, {pg.Host}:{pg.Port}/{pg.Database} as {pg.Username}";
            }

            var sqlite = new SqliteConnectionStringBuilder(options.ConnectionString);
            return $"SQLite, {Path.GetFullPath(sqlite.DataSource)}";
        }
        catch (ArgumentException)
        {
            return database.Provider.ToString();
        }
    }
}
