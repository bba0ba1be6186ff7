using System.Globalization;
using System.Net;
using System.Text;
using Dapper;
using Immunise.Access;
using Immunise.Eligibility;
using Immunise.Geography;
using Immunise.People;
using Immunise.Seeding;
using Immunise.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Immunise.Bench;

/// <summary>
/// Booking over HTTP against the real web app (hosted in this process on Kestrel, Production settings) with 3,000 sites
/// and their sessions: hold + confirm through <c>/api/v1/bookings</c> (API key, eligibility check, audit, as in production),
/// each booking for a new person, at a random slot; beside a bench-only endpoint that performs one INSERT on the same
/// database (added to the app from outside with an <see cref="IStartupFilter"/>: it is not in the production app); and the
/// site search near a postcode. Load from wrk; interleaved rounds, each figure its median round. After the run the database
/// is checked for overbooked slots and for people with two active bookings of one dose.
/// </summary>
public static class BookingBenchmark
{
    private const int Sites = 3_000;
    private const int PeoplePerBlock = 40_000;

    public static async Task<string> RunAsync(BenchOptions options)
    {
        var report = new StringBuilder();
        report.AppendLine(CultureInfo.InvariantCulture,
            $"### Booking over HTTP, {Sites:N0} sites, {options.Concurrency} concurrent connections, median of {options.Rounds} interleaved rounds of {options.Seconds} s, load from wrk");
        report.AppendLine();
        report.AppendLine("| database | request | per second | p50 ms | p99 ms | non-2xx | ratio to bare INSERT | target |");
        report.AppendLine("|---|---|---:|---:|---:|---:|---:|---|");
        var rounds = new StringBuilder();
        var checks = new StringBuilder();
        foreach (var kind in options.Databases)
        {
            var databaseOptions = await Databases.CreateAsync(kind, "bench_booking");
            var blocks = options.Rounds * 3 + 1;
            var (key, slotRange, postcodes) = await PrepareAsync(databaseOptions, kind, blocks * PeoplePerBlock);
            await using var server = Host(databaseOptions);
            var address = server.Address;
            var warmUp = TimeSpan.FromSeconds(8);

            // The booking path runs several hundred methods that the bare INSERT does not. Under full load the runtime's
            // tiered compilation needs about half a minute to finish optimising them: a profile taken 8 s into a round that
            // had been warmed for 8 s still spent 8 % of the CPU in the JIT, and none 16 s later. Measure the steady state.
            var bookingWarmUp = TimeSpan.FromSeconds(25);
            var duration = TimeSpan.FromSeconds(options.Seconds);
            var (bare, booking, search) = (new List<LoadResult>(), new List<LoadResult>(), new List<LoadResult>());
            var (bareCpu, bookingCpu, messagesCpu) = (new List<Cpu>(), new List<Cpu>(), new List<Cpu>());
            var bookingsPerSecond = new List<double>();
            var withMessages = new List<(LoadResult Result, double Bookings)>();
            var block = 0;
            for (var round = 1; round <= options.Rounds; round++)
            {
                var warm = round == 1 ? warmUp : TimeSpan.FromSeconds(2);
                Workspace.Log($"{kind}: round {round} of {options.Rounds}: bare INSERT, hold + confirm, site search");
                var cpu = Cpu.Now();
                bare.Add((await Wrk.RunScriptAsync("bare-insert", address, BareScript(), options.Concurrency, warm, duration)).Result);
                bareCpu.Add((Cpu.Now() - cpu) / (bare[^1].RequestsPerSecond * bare[^1].Duration.TotalSeconds));

                // Warm-up and measurement each book a block of people of their own (a person books dose 1 once).
                await Wrk.RunScriptAsync("booking-warm", address, BookingScript(key, slotRange, block++ * PeoplePerBlock), options.Concurrency, TimeSpan.Zero, round == 1 ? bookingWarmUp : warm);
                cpu = Cpu.Now();
                var (result, output) = await Wrk.RunScriptAsync("booking", address, BookingScript(key, slotRange, block++ * PeoplePerBlock), options.Concurrency, TimeSpan.Zero, duration);
                var booked = long.Parse(System.Text.RegularExpressions.Regex.Match(output, @"booked=(\d+)").Groups[1].Value, CultureInfo.InvariantCulture);
                booking.Add(result);
                bookingsPerSecond.Add(booked / result.Duration.TotalSeconds);
                bookingCpu.Add((Cpu.Now() - cpu) / booked);

                // The same with a mobile number and an email address: each confirmation writes two messages to the outbox.
                cpu = Cpu.Now();
                (result, output) = await Wrk.RunScriptAsync("booking-messages", address, BookingScript(key, slotRange, block++ * PeoplePerBlock, withContact: true), options.Concurrency, TimeSpan.Zero, duration);
                booked = long.Parse(System.Text.RegularExpressions.Regex.Match(output, @"booked=(\d+)").Groups[1].Value, CultureInfo.InvariantCulture);
                withMessages.Add((result, booked / result.Duration.TotalSeconds));
                messagesCpu.Add((Cpu.Now() - cpu) / booked);

                search.Add((await Wrk.RunScriptAsync("search", address, SearchScript(key, postcodes), options.Concurrency, warm, duration)).Result);
                Workspace.Log($"{kind}: round {round}: bare {bare[^1].RequestsPerSecond:N0}/s, bookings {bookingsPerSecond[^1]:N0}/s, with messages {withMessages[^1].Bookings:N0}/s ({booking[^1].RequestsPerSecond:N0} requests/s), search {search[^1].RequestsPerSecond:N0}/s p99 {search[^1].P99Ms:F1} ms; CPU µs (service + PostgreSQL): bare INSERT {bareCpu[^1]}, booking {bookingCpu[^1]}, with messages {messagesCpu[^1]}");
            }

            var bareMedian = LookupBenchmark.Median(bare);
            var bookingMedian = bookingsPerSecond.Order().ElementAt(bookingsPerSecond.Count / 2);
            var bookingRound = booking[bookingsPerSecond.IndexOf(bookingMedian)];
            var ratio = bookingMedian / bareMedian.RequestsPerSecond;
            report.AppendLine(string.Create(CultureInfo.InvariantCulture,
                $"| {kind} | `POST /bench/insert` (one INSERT, bare baseline) | {bareMedian.RequestsPerSecond:N0} | {bareMedian.P50Ms:F2} | {bareMedian.P99Ms:F2} | {bareMedian.Errors} | 100% | |"));
            report.AppendLine(string.Create(CultureInfo.InvariantCulture,
                $"| {kind} | **booking** (`POST …/holds` + `POST …/confirm`), bookings | **{bookingMedian:N0}** | {bookingRound.P50Ms:F2} | {bookingRound.P99Ms:F2} | {bookingRound.Errors} | **{ratio:P0}** | ≥ 50%: {(ratio >= 0.5 ? "met" : "NOT met")} |"));
            report.AppendLine(string.Create(CultureInfo.InvariantCulture,
                $"| {kind} | (the same run as HTTP requests: hold or confirm) | {bookingRound.RequestsPerSecond:N0} | | | | {bookingRound.RequestsPerSecond / bareMedian.RequestsPerSecond:P0} | |"));
            var messagesMedian = withMessages.OrderBy(m => m.Bookings).ElementAt(withMessages.Count / 2);
            report.AppendLine(string.Create(CultureInfo.InvariantCulture,
                $"| {kind} | booking with a mobile and an email (**two messages into the outbox** in the confirm's transaction), bookings | **{messagesMedian.Bookings:N0}** | {messagesMedian.Result.P50Ms:F2} | {messagesMedian.Result.P99Ms:F2} | {messagesMedian.Result.Errors} | {messagesMedian.Bookings / bareMedian.RequestsPerSecond:P0} (outbox cost: {1 - (messagesMedian.Bookings / bookingMedian):P0} of bookings/s) | |"));
            var searchMedian = LookupBenchmark.Median(search);
            report.AppendLine(string.Create(CultureInfo.InvariantCulture,
                $"| {kind} | site search near a postcode (`POST /api/v1/sites/search`, {Sites:N0} sites) | {searchMedian.RequestsPerSecond:N0} | {searchMedian.P50Ms:F2} | {searchMedian.P99Ms:F2} | {searchMedian.Errors} | {searchMedian.RequestsPerSecond / bareMedian.RequestsPerSecond:P0} | |"));
            rounds.AppendLine(string.Create(CultureInfo.InvariantCulture,
                $"- {kind}: bare {string.Join(" / ", bare.Select(r => r.RequestsPerSecond.ToString("N0", CultureInfo.InvariantCulture)))}; "
                + $"bookings {string.Join(" / ", bookingsPerSecond.Select(r => r.ToString("N0", CultureInfo.InvariantCulture)))}; "
                + $"with messages {string.Join(" / ", withMessages.Select(r => r.Bookings.ToString("N0", CultureInfo.InvariantCulture)))}; "
                + $"search {string.Join(" / ", search.Select(r => r.RequestsPerSecond.ToString("N0", CultureInfo.InvariantCulture)))}; "
                + $"CPU µs per bare INSERT {string.Join(" / ", bareCpu)}, per booking {string.Join(" / ", bookingCpu)}, per booking with messages {string.Join(" / ", messagesCpu)}"));
            report.AppendLine(string.Create(CultureInfo.InvariantCulture,
                $"| {kind} | CPU per operation (service + PostgreSQL, median): bare INSERT {Cpu.Median(bareCpu)} µs, booking {Cpu.Median(bookingCpu)} µs, with messages {Cpu.Median(messagesCpu)} µs | | | | | {Cpu.Median(bareCpu).Total * 2 / Cpu.Median(bookingCpu).Total:P0} of two bare requests' CPU | |"));
            checks.AppendLine(await CheckAsync(databaseOptions, kind));
        }

        report.AppendLine();
        report.AppendLine("Every round (per second, in order):");
        report.Append(rounds);
        report.AppendLine();
        report.AppendLine("After the run:");
        report.Append(checks);
        report.AppendLine();
        return report.ToString();
    }

    /// <summary>Postcodes, 3,000 sites with two days of sessions, people for every block, a campaign they are all in, an API key.</summary>
    private static async Task<(string Key, (long First, long Last) Slots, IReadOnlyList<string> Postcodes)> PrepareAsync(DatabaseOptions options, string kind, int people)
    {
        await using var database = new Database(options);
        Workspace.Log($"{kind}: postcodes, {Sites:N0} sites with sessions, {people:N0} people");
        await new ImportPostcodes(database).HandleAsync(SyntheticPostcodeDirectory.Generate(10));
        var tomorrow = new ShiftedClock(TimeSpan.FromDays(1)); // sessions from tomorrow, so none start during the run
        await new SeedSites(database, tomorrow).SeedAsync(Sites, days: 2, seed: 5);
        var born = new DateOnly(1940, 1, 1);
        await new ImportPeople(database, TimeProvider.System).HandleAsync(Enumerable.Range(0, people)
            .Select(i => NhsNumber.FromFirstNine(999_000_000 + i))
            .Where(n => n is not null)
            .Select(n => new Person(n!.Value, "Bench", "Person", born, "female", "LS1 4AP", CareHomeResident: true)));
        var loaded = await new CampaignStore(database, TimeProvider.System).LoadAsync([("bench-covid.json", CampaignJson())], "bench");
        if (!loaded.Succeeded)
        {
            throw new InvalidOperationException(string.Join("; ", loaded.Errors));
        }

        var key = (await new ApiKeys(database, TimeProvider.System).CreateAsync("bench", [Scopes.BookingRead, Scopes.BookingWrite])).Value!.Key;
        await using var connection = await database.OpenAsync();
        var (first, last) = await connection.QuerySingleAsync<(long, long)>("SELECT MIN(id), MAX(id) FROM slots");
        var postcodes = (await connection.QueryAsync<string>("SELECT postcode FROM postcodes ORDER BY postcode")).Where((_, i) => i % 40 == 0).Take(500).ToList();
        await connection.ExecuteAsync(options.Provider == DatabaseProvider.Postgres
            ? "CREATE TABLE bench_inserts (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, payload text NOT NULL, created_at timestamptz NOT NULL)"
            : "CREATE TABLE bench_inserts (id INTEGER PRIMARY KEY, payload TEXT NOT NULL, created_at TEXT NOT NULL) STRICT");
        return (key, (first, last), postcodes);
    }

    private static async Task<string> CheckAsync(DatabaseOptions options, string kind)
    {
        await using var database = new Database(options);
        await using var connection = await database.OpenAsync();
        var over = await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM slots WHERE booked > capacity");
        var overByRows = await connection.ExecuteScalarAsync<long>(
            "SELECT COUNT(*) FROM slots s WHERE (SELECT COUNT(*) FROM bookings b WHERE b.slot_id = s.id AND b.status IN ('held', 'booked')) > s.capacity");
        var drift = await connection.ExecuteScalarAsync<long>(
            "SELECT COUNT(*) FROM slots s WHERE s.booked <> (SELECT COUNT(*) FROM bookings b WHERE b.slot_id = s.id AND b.status IN ('held', 'booked'))");
        var doubles = await connection.ExecuteScalarAsync<long>(
            "SELECT COUNT(*) FROM (SELECT 1 FROM bookings WHERE status IN ('held', 'booked') GROUP BY nhs_number, programme, dose_number HAVING COUNT(*) > 1) x");
        var booked = await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM bookings WHERE status = 'booked'");
        var full = await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM slots WHERE booked >= capacity AND capacity > 0");
        return string.Create(CultureInfo.InvariantCulture,
            $"- {kind}: {booked:N0} bookings confirmed, {full:N0} slots full; **overbooked slots: {over} by the counter, {overByRows} by counting bookings**; slots whose counter differs from their bookings: {drift}; people with two active bookings of one dose: {doubles}");
    }

    private static InProcessServer Host(DatabaseOptions database) =>
        new(database, configure: services => services.AddSingleton<IStartupFilter, BareInsertEndpoint>());

    /// <summary>The baseline: one INSERT through the app's own <see cref="Database"/>, before any of the app's middleware.</summary>
    private sealed class BareInsertEndpoint : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            var database = app.ApplicationServices.GetRequiredService<Database>();
            app.Map("/bench/insert", branch => branch.Run(async context =>
            {
                await using (var connection = await database.OpenAsync(context.RequestAborted))
                {
                    await connection.ExecuteAsync(new CommandDefinition(
                        "INSERT INTO bench_inserts (payload, created_at) VALUES (@payload, @now)",
                        new { payload = "bench", now = DateTimeOffset.UtcNow }, cancellationToken: context.RequestAborted));
                }

                context.Response.StatusCode = (int)HttpStatusCode.Created;
            }));
            next(app);
        };
    }

    private static string BareScript() =>
        """
        wrk.method = "POST"
        wrk.body = '{"payload":"bench"}'
        wrk.headers["Content-Type"] = "application/json"
        request = function() return wrk.format("POST", "/bench/insert") end
        """;

    /// <summary>
    /// Each wrk thread books for its own people (block offset + thread id + threads × n), one hold at a random slot, then its
    /// confirm as the thread's next request; counts confirmed bookings.
    /// </summary>
    private static string BookingScript(string key, (long First, long Last) slots, int offset, bool withContact = false)
    {
        var contact = withContact ? ",\"mobile\":\"07700900123\",\"email\":\"bench@example.com\"" : "";
        return $$"""
        local threads = {}
        local next_id = 0
        function setup(thread)
          thread:set("id", next_id)
          next_id = next_id + 1
          table.insert(threads, thread)
        end
        local function nhs(index)
          local digits = tostring(999000000 + index)
          local sum = 0
          for i = 1, 9 do sum = sum + tonumber(digits:sub(i, i)) * (11 - i) end
          local check = 11 - (sum % 11)
          if check == 11 then check = 0 end
          if check == 10 then return nil end
          return digits .. check
        end
        local n = 0
        local pending = {}
        booked = 0
        refused = 0
        function init(args)
          math.randomseed(os.time() + id * 7919)
        end
        local headers = { ["X-Api-Key"] = "{{key}}", ["Content-Type"] = "application/json" }
        request = function()
          if #pending > 0 then
            local hold = table.remove(pending, 1)
            return wrk.format("POST", "/api/v1/bookings/confirm", headers, '{"holdId":"' .. hold .. '"{{contact}}' .. '}')
          end
          local number = nil
          while number == nil do
            number = nhs({{offset}} + id + 2 * n)
            n = n + 1
          end
          local slot = math.random({{slots.First}}, {{slots.Last}})
          return wrk.format("POST", "/api/v1/bookings/holds", headers,
            '{"nhsNumber":"' .. number .. '","dateOfBirth":"1940-01-01","slotId":' .. slot .. ',"service":"COVID:18+"}')
        end
        response = function(status, headers, body)
          if status == 201 then
            local hold = body:match('"holdId":"(%x+)"')
            if hold then table.insert(pending, hold) end
          elseif status == 200 then
            booked = booked + 1
          else
            refused = refused + 1
          end
        end
        function done(summary, latency, requests)
          local total, refusals = 0, 0
          for _, thread in ipairs(threads) do
            total = total + thread:get("booked")
            refusals = refusals + thread:get("refused")
          end
          io.write(string.format("booked=%d refused=%d\n", total, refusals))
        end
        """;
    }

    private static string SearchScript(string key, IReadOnlyList<string> postcodes) =>
        $$"""
        local postcodes = { {{string.Join(", ", postcodes.Select(p => $"\"{p}\""))}} }
        local headers = { ["X-Api-Key"] = "{{key}}", ["Content-Type"] = "application/json" }
        request = function()
          local postcode = postcodes[math.random(1, #postcodes)]
          return wrk.format("POST", "/api/v1/sites/search", headers, '{"postcode":"' .. postcode .. '","service":"COVID:18+"}')
        end
        """;

    /// <summary>A campaign of our own for 2026–27 that every care home resident aged 18 or over is in.</summary>
    private static string CampaignJson() =>
        """
        {
          "CampaignConfig": {
            "ID": "IMMUNISE_BENCH_BOOKING", "Version": 1, "Name": "Booking benchmark", "Type": "V", "Target": "COVID",
            "Manager": ["bench"], "Approver": ["bench"], "Reviewer": ["bench"],
            "IterationFrequency": "X", "IterationType": "A", "IterationTime": "07:00:00",
            "DefaultCommsRouting": "BOOK", "StartDate": "20250101", "EndDate": "20291231",
            "ApprovalMinimum": 0, "ApprovalMaximum": 0,
            "Iterations": [{
              "ID": "IMMUNISE_BENCH_BOOKING_1", "Version": 1, "Name": "Booking benchmark", "Type": "A",
              "DefaultCommsRouting": "BOOK", "DefaultNotEligibleRouting": "NONE", "DefaultNotActionableRouting": "NONE",
              "IterationDate": "20250101", "IterationNumber": 1, "ApprovalMinimum": 0, "ApprovalMaximum": 0,
              "IterationCohorts": [
                { "CohortLabel": "care_home", "CohortGroup": "care_home", "Priority": 0,
                  "PositiveDescription": "Care home residents", "NegativeDescription": "Not a care home resident" }
              ],
              "IterationRules": [
                { "Type": "F", "Name": "Under 18", "Description": "Aged under 18", "Priority": 10, "AttributeLevel": "PERSON",
                  "AttributeName": "DATE_OF_BIRTH", "Operator": "Y>", "Comparator": "-18" }
              ],
              "ActionsMapper": {
                "BOOK": { "ExternalRoutingCode": "BookNBS", "ActionDescription": "Book", "ActionType": "ButtonWithAuthLink", "UrlLink": "https://www.nhs.uk/book", "UrlLabel": "Book" },
                "NONE": { "ExternalRoutingCode": "None", "ActionDescription": "", "ActionType": "InfoText" }
              }
            }]
          }
        }
        """;

    /// <summary>The system clock moved on by a fixed amount (to publish sessions from tomorrow).</summary>
    private sealed class ShiftedClock(TimeSpan by) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => System.GetUtcNow() + by;
    }
}

/// <summary>
/// CPU time used by this process (the service is hosted in it) and by PostgreSQL's processes, from /proc; on a machine where
/// the load generator shares the cores, CPU per operation moves far less from run to run than operations per second.
/// </summary>
internal readonly record struct Cpu(double Service, double Database)
{
    private static readonly double s_tick = 1_000_000.0 / 100; // µs per clock tick (USER_HZ is 100 on Linux)

    public double Total => Service + Database;

    public static Cpu Now() => new(Ticks(Environment.ProcessId), PostgresTicks());

    public static Cpu operator -(Cpu a, Cpu b) => new(a.Service - b.Service, a.Database - b.Database);

    public static Cpu operator /(Cpu a, double count) => count <= 0 ? default : new(a.Service / count, a.Database / count);

    public static Cpu Median(List<Cpu> values) => values.OrderBy(v => v.Total).ElementAt(values.Count / 2);

    public override string ToString() => Database > 0
        ? string.Create(CultureInfo.InvariantCulture, $"{Total:N0} ({Service:N0} + {Database:N0})")
        : string.Create(CultureInfo.InvariantCulture, $"{Service:N0}");

    private static double Ticks(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return (double.Parse(fields[11], CultureInfo.InvariantCulture) + double.Parse(fields[12], CultureInfo.InvariantCulture)) * s_tick;
        }
        catch (IOException)
        {
            return 0; // the process ended meanwhile
        }
    }

    private static double PostgresTicks()
    {
        double total = 0;
        foreach (var directory in Directory.Exists("/proc") ? Directory.EnumerateDirectories("/proc") : [])
        {
            if (int.TryParse(Path.GetFileName(directory), out var pid)
                && File.Exists($"{directory}/comm") && ReadOrEmpty($"{directory}/comm").Trim() == "postgres")
            {
                total += Ticks(pid);
            }
        }

        return total;
    }

    private static string ReadOrEmpty(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (IOException)
        {
            return "";
        }
    }
}
