using Dapper;
using Immunise.Audit;
using Immunise.Storage;
using Immunise.Tests.Infrastructure;
using Immunise.WaitingRoom;

namespace Immunise.Tests.WaitingRoom;

/// <summary>The waiting room's use cases over a real database of each kind: numbering, admission, abandonment, the shuffle at
/// an opening, the automatic switch, the settings and the per-node copy of the counters.</summary>
public sealed class WaitingRoomTests
{
    [Theory, ClassData(typeof(BothDatabases))]
    public async Task Issue_OneAfterAnother_NumbersInOrderOfArrival(DatabaseProvider provider)
    {
        await using var room = await QueueWorld.StartAsync(provider);
        await room.SwitchOnAsync(ratePerMinute: 6);

        var tickets = await room.TicketsAsync(25);

        Assert.Equal(Enumerable.Range(1, 25).Select(i => (long)i), tickets.Select(t => t.Sequence));
        var status = await room.Status.CheckAsync(tickets[^1]);
        Assert.Equal((QueueState.Waiting, 25L), (status.State, status.Position));
        Assert.Equal("about 5 minutes", status.WaitText); // 6 a minute, nothing measured yet: the configured rate
    }

    [Theory, ClassData(typeof(BothDatabases))]
    public async Task Issue_ManyAtOnceOnTwoNodes_EveryNumberGivenOnce(DatabaseProvider provider)
    {
        await using var room = await QueueWorld.StartAsync(provider);
        await using var other = await room.NodeAsync();
        await room.SwitchOnAsync();

        var issued = await Task.WhenAll(Enumerable.Range(0, 600).Select(i => (i % 2 == 0 ? room : other).Issue.IssueAsync()));

        Assert.Equal(Enumerable.Range(1, 600).Select(i => (long)i), issued.Select(t => t.Ticket.Sequence).Order());
        Assert.All(issued, t => Assert.False(t.Admitted));
        await using var connection = await room.Database.Database.OpenAsync();
        Assert.Equal((600L, 0L), await connection.QuerySingleAsync<(long, long)>("SELECT last_sequence, serving FROM waiting_room"));
        Assert.Equal(600L, await connection.ExecuteScalarAsync<long>("SELECT COUNT(DISTINCT seq) FROM waiting_room_tickets"));
    }

    [Theory, ClassData(typeof(BothDatabases))]
    public async Task Tick_AdmitsAtTheRate_InOrderOfNumber(DatabaseProvider provider)
    {
        await using var room = await QueueWorld.StartAsync(provider);
        await room.SwitchOnAsync(ratePerMinute: 60);
        var tickets = await room.TicketsAsync(10);

        var first = await room.TickAsync();
        var second = await room.TickAsync(TimeSpan.FromSeconds(5));

        Assert.Equal((1L, 5L), (first.Passed, second.Passed));
        Assert.Equal(6, await room.ServingAsync());
        foreach (var ticket in tickets.Take(6))
        {
            Assert.Equal(QueueState.Admitted, (await room.Status.CheckAsync(ticket)).State);
        }

        var seventh = await room.Status.CheckAsync(tickets[6]);
        Assert.Equal((QueueState.Waiting, 1L), (seventh.State, seventh.Position));
        Assert.Equal(4L, (await room.Status.CheckAsync(tickets[9])).Position);
    }

    [Theory, ClassData(typeof(BothDatabases))]
    public async Task Tick_UnderAMaximumOfActiveVisitors_AdmitsOnlyAsOthersFinish(DatabaseProvider provider)
    {
        await using var room = await QueueWorld.StartAsync(provider);
        await room.SwitchOnAsync(ratePerMinute: 0, maxActive: 3);
        var tickets = await room.TicketsAsync(6);

        await room.TickAsync();
        foreach (var ticket in tickets.Take(3))
        {
            Assert.Equal(QueueState.Admitted, (await room.Status.CheckAsync(ticket)).State);
        }

        var full = await room.TickAsync();
        await room.Status.FinishAsync(tickets[0]);
        var after = await room.TickAsync();

        Assert.Equal(0, full.Passed);
        Assert.Equal(1, after.Passed);
        Assert.Equal(4, await room.ServingAsync());
        Assert.Equal(3, after.Counters!.Active);
    }

    [Theory, ClassData(typeof(BothDatabases))]
    public async Task Tick_WhilePaused_AdmitsNoOne_AndPlacesAreKept(DatabaseProvider provider)
    {
        await using var room = await QueueWorld.StartAsync(provider);
        await room.SwitchOnAsync(ratePerMinute: 600);
        var tickets = await room.TicketsAsync(5);
        Assert.True((await room.Change.HandleAsync(new WaitingRoomChange(Paused: true), Actor.System("test"))).Succeeded);

        await room.TickAsync();
        var paused = await room.Status.CheckAsync(tickets[2]);
        Assert.True((await room.Change.HandleAsync(new WaitingRoomChange(Paused: false), Actor.System("test"))).Succeeded);
        await room.TickAsync();

        Assert.Equal((QueueState.Waiting, 3L, true, null), (paused.State, paused.Position, paused.Paused, paused.WaitText));
        Assert.Equal(5, await room.ServingAsync());
    }

    [Theory, ClassData(typeof(BothDatabases))]
    public async Task Tick_TicketsWhoseHoldersLeft_ArePassedOverAndCountedAbandoned(DatabaseProvider provider)
    {
        await using var room = await QueueWorld.StartAsync(provider);
        await room.SwitchOnAsync(ratePerMinute: 120); // two a second
        var tickets = await room.TicketsAsync(6);
        Assert.True((await room.Change.HandleAsync(new WaitingRoomChange(Paused: true), Actor.System("test"))).Succeeded);
        room.Clock.Advance(TimeSpan.FromMinutes(4)); // longer than AbandonAfter (3 minutes) since anyone was seen
        await room.PollAsync([tickets[1], tickets[3], tickets[4], tickets[5]]); // 1 and 3 have gone
        Assert.True((await room.Change.HandleAsync(new WaitingRoomChange(Paused: false), Actor.System("test"))).Succeeded);

        var tick = await room.TickAsync();

        Assert.Equal((2L, 2L), (tick.Passed, tick.Skipped)); // 2 and 4 admitted; 1 and 3 passed over
        Assert.Equal(4, await room.ServingAsync());
        Assert.Equal((QueueState.Expired, "ticket-abandoned"), Outcome(await room.Status.CheckAsync(tickets[0])));
        Assert.Equal(QueueState.Admitted, (await room.Status.CheckAsync(tickets[1])).State);
        Assert.Equal((QueueState.Expired, "ticket-abandoned"), Outcome(await room.Status.CheckAsync(tickets[2])));
        Assert.Equal(1L, (await room.Status.CheckAsync(tickets[4])).Position);
        var figures = await room.Figures.GetAsync();
        Assert.Equal((2L, 2L), (figures.AbandonedTotal, figures.Waiting));
    }

    [Theory, ClassData(typeof(BothDatabases))]
    public async Task Admission_NotTakenUpWithinTheClaimWindow_Lapses(DatabaseProvider provider)
    {
        await using var room = await QueueWorld.StartAsync(provider);
        await room.SwitchOnAsync(ratePerMinute: 60);
        var tickets = await room.TicketsAsync(2);
        await room.TickAsync(); // the first is admitted, but its holder does not come back

        var lapse = await room.TickAsync(room.Options.ClaimWindow + TimeSpan.FromSeconds(1));

        Assert.Equal(1, lapse.Lapsed);
        Assert.Equal((QueueState.Expired, "admission-lapsed"), Outcome(await room.Status.CheckAsync(tickets[0])));
    }

    [Theory, ClassData(typeof(BothDatabases))]
    public async Task Admission_IsTheSameOnEveryPoll_EndsWithItsLifetime_AndIsOneTurn(DatabaseProvider provider)
    {
        await using var room = await QueueWorld.StartAsync(provider);
        await room.SwitchOnAsync(ratePerMinute: 120);
        var tickets = await room.TicketsAsync(2);
        await room.TickAsync();

        var first = await room.Status.CheckAsync(tickets[0]);
        Assert.Equal(QueueState.Admitted, (await room.Status.CheckAsync(tickets[1])).State);
        await room.Status.FinishAsync(tickets[1]);
        var used = await room.Status.CheckAsync(tickets[1]);
        room.Clock.Advance(TimeSpan.FromMinutes(5));
        var again = await room.Status.CheckAsync(tickets[0]);
        room.Clock.Advance(room.Options.AdmissionLifetime);
        var lapsed = await room.Status.CheckAsync(tickets[0]);

        Assert.Equal(QueueState.Admitted, first.State);
        Assert.Equal(first.Admission, again.Admission);
        Assert.Equal(QueueWorld.Start.AddSeconds(1) + room.Options.AdmissionLifetime, first.Admission!.ExpiresAt);
        Assert.Equal((QueueState.Expired, "admission-lapsed"), Outcome(lapsed));
        Assert.Equal((QueueState.Expired, "admission-used"), Outcome(used));
    }

    [Theory, ClassData(typeof(BothDatabases))]
    public async Task Opening_ArrivalsBeforeIt_AreNumberedInRandomOrderAtIt_ThenLaterArrivalsInOrder(DatabaseProvider provider)
    {
        await using var room = await QueueWorld.StartAsync(provider);
        await room.SwitchOnAsync(ratePerMinute: 60);
        var opensAt = QueueWorld.Start.AddHours(1);
        Assert.True((await room.Change.HandleAsync(new WaitingRoomChange(OpensAt: opensAt), Actor.System("test"))).Succeeded);
        var early = await room.TicketsAsync(40);
        var before = await room.Status.CheckAsync(early[0]);
        await room.TickAsync(); // before the opening: no one admitted, no one numbered

        room.Clock.Now = opensAt;
        var late = await room.TicketsAsync(5); // the first ticket after the opening numbers the early ones first
        var numbered = new List<long>();
        foreach (var ticket in early)
        {
            var status = await room.Status.CheckAsync(ticket);
            Assert.True(status.TicketChanged);
            Assert.Equal(QueueState.Waiting, status.State);
            numbered.Add(status.Ticket.Sequence);
        }

        Assert.All(early, t => Assert.Equal(0, t.Sequence));
        Assert.Equal((QueueState.NotOpenYet, opensAt), (before.State, before.OpensAt));
        Assert.Equal(0, await room.ServingAsync());
        Assert.Equal(Enumerable.Range(1, 40).Select(i => (long)i), numbered.Order());
        Assert.NotEqual(Enumerable.Range(1, 40).Select(i => (long)i), numbered); // 1 chance in 40! of arriving in order
        Assert.Equal(Enumerable.Range(41, 5).Select(i => (long)i), late.Select(t => t.Sequence));
    }

    [Theory, ClassData(typeof(BothDatabases))]
    public async Task Opening_WithNoLaterArrival_TheTickNumbersTheEarlyOnes(DatabaseProvider provider)
    {
        await using var room = await QueueWorld.StartAsync(provider);
        await room.SwitchOnAsync(ratePerMinute: 60);
        Assert.True((await room.Change.HandleAsync(new WaitingRoomChange(OpensAt: QueueWorld.Start.AddMinutes(10)), Actor.System("test"))).Succeeded);
        var early = await room.TicketsAsync(8);

        var tick = await room.TickAsync(TimeSpan.FromMinutes(10));

        Assert.Equal(8, tick.Numbered);
        var sequences = new List<long>();
        foreach (var ticket in early)
        {
            sequences.Add((await room.Status.CheckAsync(ticket)).Ticket.Sequence);
        }

        Assert.Equal(Enumerable.Range(1, 8).Select(i => (long)i), sequences.Order());
    }

    [Theory, ClassData(typeof(BothDatabases))]
    public async Task Automatic_AdmitsEveryoneAtOnce_UntilArrivalsReachTheRate_ThenQueues(DatabaseProvider provider)
    {
        await using var room = await QueueWorld.StartAsync(provider);
        await room.SwitchOnAsync(ratePerMinute: 60, mode: WaitingRoomModes.Automatic);
        await room.TickAsync(); // a first sample: nothing has arrived

        var quiet = await room.Issue.IssueAsync();
        var rush = await Task.WhenAll(Enumerable.Range(0, 19).Select(_ => room.Issue.IssueAsync()));
        var tick = await room.TickAsync(TimeSpan.FromSeconds(2)); // 20 in 2 seconds: 120 a minute, over the rate of 60
        var queued = await room.Issue.IssueAsync();

        Assert.True(quiet.Admitted);
        Assert.All(rush, t => Assert.True(t.Admitted));
        Assert.True(tick.SwitchedOn);
        Assert.True(tick.Counters!.IsActive(room.Clock.Now));
        Assert.False(queued.Admitted);
        Assert.Equal((QueueState.Waiting, 1L), ((await room.Status.CheckAsync(queued.Ticket)).State, (await room.Status.CheckAsync(queued.Ticket)).Position));
    }

    [Theory, ClassData(typeof(BothDatabases))]
    public async Task Change_InvalidSettings_AreRefusedAndChangeNothing(DatabaseProvider provider)
    {
        await using var room = await QueueWorld.StartAsync(provider);
        var admin = Actor.Staff("admin-1");

        var codes = new List<string>();
        foreach (var change in new WaitingRoomChange[]
        {
            new(Mode: "sometimes"),
            new(RatePerMinute: -1),
            new(MaxActive: 10_000_001),
            new(Mode: WaitingRoomModes.On, RatePerMinute: 0, MaxActive: 0),
            new(OpensAt: QueueWorld.Start.AddMinutes(-1)),
            new(OpensAt: QueueWorld.Start.AddDays(91)),
            new(Mode: WaitingRoomModes.Off, OpensAt: QueueWorld.Start.AddHours(1)),
        })
        {
            codes.Add((await room.Change.HandleAsync(change, admin)).Failure!.Code);
        }

        Assert.Equal(["invalid-mode", "invalid-rate", "invalid-max-active", "no-limit", "opening-in-past", "opening-too-far", "invalid-opening"], codes);
        var counters = await room.Counters.RefreshAsync();
        Assert.Equal((WaitingRoomModes.Off, 500, 0, (DateTimeOffset?)null), (counters.Mode, counters.RatePerMinute, counters.MaxActive, counters.OpensAt));
    }

    [Theory, ClassData(typeof(BothDatabases))]
    public async Task Change_IsAudited_AndSchedulingAnOpeningSwitchesTheRoomOn(DatabaseProvider provider)
    {
        await using var room = await QueueWorld.StartAsync(provider);

        var changed = await room.Change.HandleAsync(new WaitingRoomChange(RatePerMinute: 250, OpensAt: QueueWorld.Start.AddHours(2)), Actor.Staff("admin-1"));

        Assert.True(changed.Succeeded);
        Assert.Equal((WaitingRoomModes.On, 250, QueueWorld.Start.AddHours(2)), (changed.Value!.Mode, changed.Value.RatePerMinute, changed.Value.OpensAt));
        await using var connection = await room.Database.Database.OpenAsync();
        var audited = await connection.QuerySingleAsync<(string, string, string)>(
            "SELECT actor_id, action, purpose FROM audit_events WHERE action = 'waiting-room.changed'");
        Assert.Equal("admin-1", audited.Item1);
        Assert.Contains("mode=on", audited.Item3, StringComparison.Ordinal);
        Assert.Contains("rate=250/min", audited.Item3, StringComparison.Ordinal);
    }

    [Theory, ClassData(typeof(BothDatabases))]
    public async Task Counters_AreReadFromTheDatabaseOncePerCacheInterval(DatabaseProvider provider)
    {
        await using var room = await QueueWorld.StartAsync(provider, new WaitingRoomOptions { CacheInterval = TimeSpan.FromHours(1) });
        await room.SwitchOnAsync();
        var ticket = (await room.TicketsAsync(3))[2];
        await using (var connection = await room.Database.Database.OpenAsync())
        {
            await connection.ExecuteAsync("UPDATE waiting_room SET serving = 2"); // as another node's tick would
        }

        var cached = await room.Status.CheckAsync(ticket);
        room.Counters.Forget();
        var read = await room.Status.CheckAsync(ticket);

        Assert.Equal(3L, cached.Position); // answered from this node's copy: no database round trip
        Assert.Equal(1L, read.Position);
    }

    [Theory, ClassData(typeof(BothDatabases))]
    public async Task Keys_AreMadeOnceAndSharedByEveryNode(DatabaseProvider provider)
    {
        await using var room = await QueueWorld.StartAsync(provider);
        await using var other = await room.NodeAsync();
        var ticket = new Ticket(QueueSigning.NewTicketId(), 5, QueueWorld.Start);

        var text = room.Signing.Sign(ticket);

        Assert.Equal(TokenCheck.Valid, other.Signing.TryRead(text, out var read));
        Assert.Equal(ticket, read);
        await using var connection = await room.Database.Database.OpenAsync();
        Assert.Equal(1L, await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM waiting_room_keys"));
        var rotated = await room.Keys.RotateAsync();
        Assert.Equal((2, 1), (rotated, room.Keys.Current.Id)); // checked by every node before it signs anything
        room.Clock.Advance(SigningKeys.ActivationDelay);
        await room.Keys.LoadAsync();
        await other.Keys.LoadAsync();
        Assert.Equal(2, room.Keys.Current.Id);
        Assert.Equal(TokenCheck.Valid, other.Signing.TryRead(room.Signing.Sign(ticket), out _));
        Assert.Equal(TokenCheck.Valid, room.Signing.TryRead(text, out _)); // signed with the old key, still honoured
    }

    private static (QueueState, string?) Outcome(QueueStatusResult status) => (status.State, status.Reason);
}
