extern alias web;

using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using Dapper;
using Immunise.Storage;
using Immunise.Tests.Infrastructure;
using Immunise.Tests.Web;
using Immunise.WaitingRoom;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace Immunise.Tests.WaitingRoom;

/// <summary>
/// Two thousand visitors join a queue served by two instances of the service over one database, poll their status through
/// either instance (as a load balancer without sticky sessions would send them) as often as the service asks, and a fifth
/// of them leave before their turn. Time moves in steps of ten seconds; after every step the instances take turns to tick.
/// Checked all along: every position reported is exactly the ticket's number minus the serving number, whichever instance
/// answers; visitors are admitted strictly in the order of their numbers; those who left are passed over, never admitted;
/// and the wait each was told compares with the wait they had.
/// </summary>
public sealed class WaitingRoomSimulationTests(ITestOutputHelper output)
{
    private const int RatePerMinute = 300;
    private static readonly TimeSpan s_step = TimeSpan.FromSeconds(10);
    private static readonly int[] s_arrivals = [1_000, 600, 400]; // joining at steps 0, 1 and 2

    [Theory, ClassData(typeof(BothDatabases))]
    public async Task ThousandsJoinPollAndLeave_OnTwoInstances_PositionsAreExactAndFirstComeFirstServed(DatabaseProvider provider)
    {
        await using var database = await TestDatabase.CreateAsync(provider);
        await using var first = ImmuniseApp.StartOver(database, QueueApps.Settings);
        await using var second = ImmuniseApp.StartOver(database, QueueApps.Settings);
        ImmuniseApp[] nodes = [first, second];
        HttpClient[] clients = [first.Anonymous(), second.Anonymous()];
        await QueueApps.SwitchOnAsync(first, RatePerMinute);
        await first.Services.GetRequiredService<SigningKeys>().EnsureLoadedAsync(); // the test reads tickets with the first's keys
        var random = new Random(20261120);
        var visitors = new List<Sim>();
        var wrong = new ConcurrentQueue<string>();
        var polls = 0;

        for (var step = 0; step < 200; step++)
        {
            if (step < s_arrivals.Length)
            {
                var joining = Enumerable.Range(0, s_arrivals[step]).Select(i => new Sim(visitors.Count + i, step,
                    random.NextDouble() < 0.2 ? step + random.Next(0, 16) : null)).ToList();
                await ForEachAsync(joining, async sim =>
                {
                    var taken = await QueueApi.TakeTicketAsync(clients[sim.Index % 2]);
                    sim.Ticket = taken.GetProperty("ticket").GetString()!;
                    Assert.Equal(TokenCheck.Valid, first.Services.GetRequiredService<QueueSigning>().TryRead(sim.Ticket, out var ticket));
                    sim.Sequence = ticket!.Sequence;
                });
                visitors.AddRange(joining);
            }

            var serving = await ServingAsync(database);
            var due = visitors.Where(v => v.AdmittedStep is null && (v.LeaveStep is null || v.LeaveStep > step) && v.NextPoll <= step).ToList();
            await ForEachAsync(due, async sim =>
            {
                var status = await QueueApi.StatusAsync(clients[(sim.Index + step) % 2], sim.Ticket);
                Interlocked.Increment(ref polls);
                switch (status.GetProperty("status").GetString())
                {
                    case "waiting":
                        var position = status.GetProperty("position").GetInt64();
                        if (position != sim.Sequence - serving)
                        {
                            wrong.Enqueue($"step {step}: number {sim.Sequence} told {position} with serving at {serving}");
                        }

                        var minutes = status.GetProperty("estimatedWaitMinutes");
                        sim.Estimates.Add((step, position, minutes.ValueKind == JsonValueKind.Number ? minutes.GetDouble() : null));
                        sim.NextPoll = step + (int)Math.Ceiling(status.GetProperty("pollSeconds").GetInt32() / s_step.TotalSeconds);
                        break;
                    case "admitted":
                        if (sim.Sequence > serving)
                        {
                            wrong.Enqueue($"step {step}: number {sim.Sequence} admitted with serving at {serving}");
                        }

                        sim.AdmittedStep = step;
                        break;
                    case var other:
                        wrong.Enqueue($"step {step}: number {sim.Sequence} still polling was told '{other}' ({status.GetProperty("reason")})");
                        sim.AdmittedStep = -1;
                        break;
                }
            });

            foreach (var node in nodes)
            {
                await node.Services.GetRequiredService<LastSeen>().FlushAsync();
                node.Clock.Advance(s_step);
            }

            Assert.True((await nodes[step % 2].Services.GetRequiredService<AdmitVisitors>().TickAsync()).Claimed);
            if (visitors.All(v => v.AdmittedStep is not null || v.LeaveStep is not null) && await ServingAsync(database) >= visitors.Count)
            {
                break;
            }
        }

        Assert.Empty(wrong);
        var stayed = visitors.Where(v => v.LeaveStep is null || v.AdmittedStep is not null).OrderBy(v => v.Sequence).ToList();
        var left = visitors.Where(v => v.LeaveStep is not null && v.AdmittedStep is null).ToList();
        Assert.Equal(Enumerable.Range(1, visitors.Count).Select(i => (long)i), visitors.Select(v => v.Sequence).Order());
        Assert.All(stayed, v => Assert.True(v.AdmittedStep >= 0, $"number {v.Sequence} was never admitted"));
        for (var i = 1; i < stayed.Count; i++)
        {
            Assert.True(stayed[i].AdmittedStep >= stayed[i - 1].AdmittedStep,
                $"number {stayed[i].Sequence} was admitted at step {stayed[i].AdmittedStep}, before number {stayed[i - 1].Sequence} at step {stayed[i - 1].AdmittedStep}");
        }

        // Those who left after their turn was offered and before it was noticed that they had gone lapse after the claim window.
        foreach (var node in nodes)
        {
            node.Clock.Advance(first.Services.GetRequiredService<WaitingRoomOptions>().ClaimWindow);
        }

        Assert.True((await first.Services.GetRequiredService<AdmitVisitors>().TickAsync()).Claimed);
        await using var connection = await database.Database.OpenAsync();
        var admittedInDatabase = (await connection.QueryAsync<long>("SELECT seq FROM waiting_room_tickets WHERE admitted_at IS NOT NULL")).ToHashSet();
        var abandonedInDatabase = (await connection.QueryAsync<long>("SELECT seq FROM waiting_room_tickets WHERE abandoned_at IS NOT NULL")).ToHashSet();
        Assert.Equal(stayed.Select(v => v.Sequence).ToHashSet(), admittedInDatabase);
        Assert.Equal(left.Select(v => v.Sequence).ToHashSet(), abandonedInDatabase);
        Assert.InRange(left.Count, 300, 500);

        // The wait each was told, once the rate had been measured for a while (step 6 on), against the wait they had.
        var compared = stayed.Select(v => (Visitor: v, Told: v.Estimates.FirstOrDefault(e => e.Step >= 6 && e.Minutes is not null)))
            .Where(x => x.Told.Minutes is not null && x.Told.Position > 6)
            .Select(x => (Told: x.Told.Minutes!.Value, Had: (x.Visitor.AdmittedStep!.Value - x.Told.Step) * s_step.TotalMinutes))
            .ToList();
        var close = compared.Count(c => Math.Abs(c.Told - c.Had) <= Math.Max(0.5, 0.2 * c.Had));
        var errors = compared.Select(c => (c.Told - c.Had) / c.Had).Order().ToList();
        output.WriteLine($"{visitors.Count} visitors, {left.Count} left, {polls} polls; {compared.Count} estimates compared: {close} within 20% or 30 s; "
            + $"relative error (told - had) / had: median {errors[errors.Count / 2]:P1}, 10th percentile {errors[errors.Count / 10]:P1}, 90th {errors[errors.Count * 9 / 10]:P1}");
        Assert.True(compared.Count >= 500, $"only {compared.Count} estimates to compare");
        Assert.True(close >= compared.Count * 0.9,
            $"{close} of {compared.Count} estimates within 20% (or 30 seconds) of the wait; e.g. {string.Join(", ", compared.Take(10).Select(c => $"told {c.Told:F1}, had {c.Had:F1}"))}");
        Assert.True(polls > visitors.Count * 5);
    }

    private static async Task<long> ServingAsync(TestDatabase database)
    {
        await using var connection = await database.Database.OpenAsync();
        return await connection.ExecuteScalarAsync<long>("SELECT serving FROM waiting_room WHERE id = 1");
    }

    private static Task ForEachAsync<T>(IEnumerable<T> items, Func<T, Task> body) =>
        Parallel.ForEachAsync(items, new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (item, _) => await body(item));

    private sealed class Sim(int index, int joinStep, int? leaveStep)
    {
        public int Index { get; } = index;

        public int JoinStep { get; } = joinStep;

        /// <summary>The step from which this visitor no longer polls (they closed the page); null: they stay.</summary>
        public int? LeaveStep { get; } = leaveStep;

        public string Ticket { get; set; } = "";

        public long Sequence { get; set; }

        public int NextPoll { get; set; }

        public int? AdmittedStep { get; set; }

        public List<(int Step, long Position, double? Minutes)> Estimates { get; } = [];
    }
}
