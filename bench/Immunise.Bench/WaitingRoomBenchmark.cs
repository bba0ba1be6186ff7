using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Dapper;
using Immunise.Audit;
using Immunise.Storage;
using Immunise.WaitingRoom;
using Microsoft.Extensions.DependencyInjection;

namespace Immunise.Bench;

/// <summary>
/// The waiting room over HTTP against the real web app (hosted in this process on Kestrel, Production settings; the admission
/// ticker and the last-seen writer running as in production):
/// <list type="number">
/// <item>100,000 tickets taken through <c>POST /api/v1/queue/tickets</c> by 32 clients at once (the .NET client), then every
/// one checked: the numbers are exactly 1…100,000, each client's in the order it took them, and each ticket's status says
/// number (sequence − serving) — checked with the room paused, then again after the real ticker has admitted a few thousand;</item>
/// <item>interleaved rounds of wrk: the bare <c>GET /api/v1/ping</c> and status polls (<c>GET /api/v1/queue/status</c> with a
/// random one of 2,000 waiting tickets in <c>X-Queue-Ticket</c>; the budget: at least 70% of the bare endpoint); then rounds
/// of ticket issue (<c>POST /api/v1/queue/tickets</c>); each reported by its median round.</item>
/// </list>
/// </summary>
public static class WaitingRoomBenchmark
{
    private const int Waiting = 100_000;
    private const int PollPool = 2_000;

    private static readonly Dictionary<string, string> s_settings = new()
    {
        ["WaitingRoom:TicketsPerClientPerMinute"] = "10000000", // every request comes from 127.0.0.1
        ["WaitingRoom:AbandonAfter"] = "1.00:00:00", // the benchmark's tickets do not poll between checks
        ["WaitingRoom:ClaimWindow"] = "1.00:00:00",
    };

    public static async Task<string> RunAsync(BenchOptions options)
    {
        var report = new StringBuilder();
        report.AppendLine(CultureInfo.InvariantCulture,
            $"### Waiting room over HTTP, {options.Concurrency} concurrent connections, median of {options.Rounds} interleaved rounds of {options.Seconds} s, load from {(Wrk.Available ? "wrk" : "the built-in .NET load generator")}");
        report.AppendLine();
        report.AppendLine("| database | request | per second | p50 ms | p99 ms | non-2xx | ratio to bare | target |");
        report.AppendLine("|---|---|---:|---:|---:|---:|---:|---|");
        var rounds = new StringBuilder();
        var checks = new StringBuilder();
        foreach (var kind in options.Databases)
        {
            var load = new List<string> { LoadAverage() };
            var databaseOptions = await Databases.CreateAsync(kind, "bench_waiting_room");
            await using var server = new InProcessServer(databaseOptions, s_settings);
            await ChangeAsync(server, new WaitingRoomChange(WaitingRoomModes.On, Paused: true, RatePerMinute: 600));

            Workspace.Log($"{kind}: taking {Waiting:N0} tickets with {options.Concurrency} .NET clients");
            var (tickets, issueSeconds) = await TakeTicketsAsync(server, Waiting, options.Concurrency);
            var numbers = tickets.Select(t => t.Sequence).Order().ToList();
            var exact = numbers.SequenceEqual(Enumerable.Range(1, Waiting).Select(i => (long)i));
            var inOrder = tickets.GroupBy(t => t.Client).All(g => g.OrderBy(t => t.Order).Select(t => t.Sequence).Zip(g.OrderBy(t => t.Order).Skip(1).Select(t => t.Sequence)).All(p => p.First < p.Second));
            Workspace.Log($"{kind}: checking {Waiting:N0} positions with the room paused");
            var paused = await CheckPositionsAsync(server, tickets, options.Concurrency);

            await ChangeAsync(server, new WaitingRoomChange(Paused: false, RatePerMinute: 60_000));
            await Task.Delay(TimeSpan.FromSeconds(3)); // the real ticker admits about a thousand a second
            await ChangeAsync(server, new WaitingRoomChange(Paused: true));
            await Task.Delay(TimeSpan.FromSeconds(1.5)); // the last tick in flight
            Workspace.Log($"{kind}: checking {Waiting:N0} positions after admissions");
            var moved = await CheckPositionsAsync(server, tickets, options.Concurrency);
            checks.AppendLine(string.Create(CultureInfo.InvariantCulture,
                $"- {kind}: {Waiting:N0} tickets taken by {options.Concurrency} clients at once in {issueSeconds:F1} s ({Waiting / issueSeconds:N0} tickets/s through the .NET client); "
                + $"numbers exactly 1–{Waiting:N0}: **{(exact ? "yes" : "NO")}**; each client's in the order it took them: **{(inOrder ? "yes" : "NO")}**; "
                + $"positions = number − serving number, room paused (serving {paused.Serving:N0}): **{paused.Right:N0} of {Waiting:N0} right**; "
                + $"after the ticker admitted {moved.Serving:N0} (serving {moved.Serving:N0}): **{moved.Right:N0} of {Waiting:N0} right** "
                + $"({moved.Admitted:N0} answered admitted, {moved.Waiting:N0} waiting)"));

            // Polls for tickets at the back of the queue, which stay waiting; the ticker runs at 600 a minute meanwhile.
            await ChangeAsync(server, new WaitingRoomChange(Paused: false, RatePerMinute: 600));
            var pool = tickets.OrderByDescending(t => t.Sequence).Take(PollPool).Select(t => t.Text).ToList();
            var warmUp = TimeSpan.FromSeconds(8);
            var duration = TimeSpan.FromSeconds(options.Seconds);
            var (bare, polls, issue) = (new List<LoadResult>(), new List<LoadResult>(), new List<LoadResult>());
            // The bare endpoint and the polls alternate; ticket issue (hundreds of thousands of inserts, and the database's
            // background work after them) comes after, so it cannot weigh on one side of the comparison more than the other.
            for (var round = 1; round <= options.Rounds; round++)
            {
                var warm = round == 1 ? warmUp : TimeSpan.FromSeconds(2);
                Workspace.Log($"{kind}: round {round} of {options.Rounds}: bare endpoint, status polls");
                bare.Add((await Wrk.RunScriptAsync("bare", server.Address, BareScript(pool), options.Concurrency, warm, duration)).Result);
                polls.Add((await Wrk.RunScriptAsync("status", server.Address, StatusScript(pool), options.Concurrency, warm, duration)).Result);
                Workspace.Log($"{kind}: round {round}: bare {bare[^1].RequestsPerSecond:N0}/s, status {polls[^1].RequestsPerSecond:N0}/s");
            }

            for (var round = 1; round <= options.Rounds; round++)
            {
                issue.Add((await Wrk.RunScriptAsync("issue", server.Address, IssueScript(), options.Concurrency, round == 1 ? TimeSpan.FromSeconds(2) : TimeSpan.Zero, duration)).Result);
                Workspace.Log($"{kind}: issue round {round}: {issue[^1].RequestsPerSecond:N0}/s");
            }

            load.Add(LoadAverage());
            var bareMedian = LookupBenchmark.Median(bare);
            report.AppendLine(LookupBenchmark.Row(kind, "`GET /api/v1/ping` (bare baseline)", bareMedian, bareMedian, null));
            report.AppendLine(LookupBenchmark.Row(kind, "**status poll** `GET /api/v1/queue/status` (a waiting ticket)", LookupBenchmark.Median(polls), bareMedian, 0.70));
            report.AppendLine(LookupBenchmark.Row(kind, "ticket issue `POST /api/v1/queue/tickets`", LookupBenchmark.Median(issue), bareMedian, null));
            rounds.AppendLine(string.Create(CultureInfo.InvariantCulture,
                $"- {kind}: bare {Join(bare)}; status {Join(polls)}; issue {Join(issue)}; load average before / after: {load[0]} / {load[1]}"));
            checks.AppendLine(await DatabaseCheckAsync(databaseOptions, kind));
        }

        report.AppendLine();
        report.AppendLine("Every round (requests/s, in order):");
        report.Append(rounds);
        report.AppendLine();
        report.AppendLine("100,000 waiting tickets:");
        report.Append(checks);
        report.AppendLine();
        return report.ToString();
    }

    private sealed record Taken(int Client, int Order, string Text, long Sequence);

    private sealed record PositionCheck(long Serving, long Right, long Admitted, long Waiting);

    private static async Task ChangeAsync(InProcessServer server, WaitingRoomChange change)
    {
        var changed = await server.Services.GetRequiredService<ChangeWaitingRoom>().HandleAsync(change, Actor.System("bench"));
        if (!changed.Succeeded)
        {
            throw new InvalidOperationException(changed.Failure!.ToString());
        }
    }

    private static async Task<(List<Taken> Tickets, double Seconds)> TakeTicketsAsync(InProcessServer server, int count, int clients)
    {
        var signing = server.Services.GetRequiredService<QueueSigning>();
        var taken = new ConcurrentBag<Taken>();
        var next = 0;
        var watch = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, clients).Select(async client =>
        {
            using var http = Client(server.Address);
            for (var order = 0; Interlocked.Increment(ref next) <= count; order++)
            {
                using var response = await http.PostAsync("/api/v1/queue/tickets", null);
                if (response.StatusCode != HttpStatusCode.Created)
                {
                    throw new InvalidOperationException($"A ticket was refused: {(int)response.StatusCode}");
                }

                var text = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("ticket").GetString()!;
                if (signing.TryRead(text, out var ticket) != TokenCheck.Valid)
                {
                    throw new InvalidOperationException("A ticket did not read back.");
                }

                taken.Add(new Taken(client, order, text, ticket!.Sequence));
            }
        }));
        return ([.. taken], watch.Elapsed.TotalSeconds);
    }

    /// <summary>Asks for every ticket's status and counts those whose answer is exactly right for the serving number.</summary>
    private static async Task<PositionCheck> CheckPositionsAsync(InProcessServer server, List<Taken> tickets, int clients)
    {
        var counters = await server.Services.GetRequiredService<QueueCounters>().RefreshAsync();
        long right = 0, admitted = 0, waiting = 0;
        var queue = new ConcurrentQueue<Taken>(tickets);
        await Task.WhenAll(Enumerable.Range(0, clients).Select(async _ =>
        {
            using var http = Client(server.Address);
            while (queue.TryDequeue(out var ticket))
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/queue/status");
                request.Headers.Add("X-Queue-Ticket", ticket.Text);
                using var response = await http.SendAsync(request);
                var status = await response.Content.ReadFromJsonAsync<JsonElement>();
                var state = status.GetProperty("status").GetString();
                var expected = ticket.Sequence - counters.Serving;
                var ok = expected > 0
                    ? state == "waiting" && status.GetProperty("position").GetInt64() == expected
                    : state == "admitted";
                if (ok)
                {
                    Interlocked.Increment(ref right);
                }

                Interlocked.Increment(ref state == "admitted" ? ref admitted : ref waiting);
            }
        }));
        return new PositionCheck(counters.Serving, right, admitted, waiting);
    }

    /// <summary>Counted in one statement each, so the ticker (still running) cannot move the serving number in between.</summary>
    private static async Task<string> DatabaseCheckAsync(DatabaseOptions options, string kind)
    {
        await using var database = new Database(options);
        await using var connection = await database.OpenAsync();
        var (last, serving) = await connection.QuerySingleAsync<(long, long)>("SELECT last_sequence, serving FROM waiting_room");
        var rows = await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM waiting_room_tickets");
        var distinct = await connection.ExecuteScalarAsync<long>("SELECT COUNT(DISTINCT seq) FROM waiting_room_tickets");
        var admittedAhead = await connection.ExecuteScalarAsync<long>(
            """
            SELECT COUNT(*) FROM waiting_room_tickets t CROSS JOIN waiting_room w
            WHERE t.seq > w.serving AND (t.admitted_at IS NOT NULL OR t.passed_at IS NOT NULL)
            """);
        return string.Create(CultureInfo.InvariantCulture,
            $"- {kind}, after the run: {rows:N0} tickets, {distinct:N0} distinct numbers, last number {last:N0}, serving {serving:N0}; tickets beyond the serving number admitted or offered: **{admittedAhead}**");
    }

    private static HttpClient Client(Uri address) => new(new SocketsHttpHandler { UseCookies = false, PooledConnectionLifetime = TimeSpan.FromMinutes(10) })
    {
        BaseAddress = address,
        Timeout = TimeSpan.FromSeconds(60),
    };

    private static string LoadAverage() => File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "?";

    private static string Join(List<LoadResult> results) => string.Join(" / ", results.Select(r => r.RequestsPerSecond.ToString("N0", CultureInfo.InvariantCulture)));

    /// <summary>
    /// The baseline with the same client-side work as the polls (a random ticket from the same table, a header table per
    /// request), so wrk, which shares the two cores, costs the same in both.
    /// </summary>
    private static string BareScript(IReadOnlyList<string> tickets) => Script("/api/v1/ping", tickets);

    private static string StatusScript(IReadOnlyList<string> tickets) => Script("/api/v1/queue/status", tickets);

    private static string Script(string path, IReadOnlyList<string> tickets) =>
        $$"""
        local tickets = { {{string.Join(", ", tickets.Select(t => $"\"{t}\""))}} }
        function init(args)
          math.randomseed(os.time() + math.random(1, 100000))
        end
        request = function()
          local ticket = tickets[math.random(1, #tickets)]
          return wrk.format("GET", "{{path}}", { ["Accept"] = "application/json", ["X-Queue-Ticket"] = ticket })
        end
        """;

    private static string IssueScript() =>
        """
        local headers = { ["Accept"] = "application/json" }
        request = function() return wrk.format("POST", "/api/v1/queue/tickets", headers) end
        """;
}
