using Dapper;
using Immunise.Audit;
using Immunise.Storage;
using Immunise.Tests.Infrastructure;
using Immunise.WaitingRoom;

namespace Immunise.Tests.WaitingRoom;

/// <summary>
/// One node's waiting room over a test database, built from the real use cases with a <see cref="FixedClock"/>: the test
/// moves the clock and runs the ticks and last-seen writes itself. Two worlds over one database are two nodes.
/// </summary>
public sealed class QueueWorld : IAsyncDisposable
{
    public static readonly DateTimeOffset Start = new(2026, 11, 20, 12, 0, 0, TimeSpan.Zero);

    private readonly bool _ownsDatabase;
    private readonly AuditLog _audit;

    private QueueWorld(TestDatabase database, bool ownsDatabase, WaitingRoomOptions options, FixedClock clock)
    {
        Database = database;
        _ownsDatabase = ownsDatabase;
        Options = options;
        Clock = clock;
        Keys = new SigningKeys(database.Database, options, clock);
        Signing = new QueueSigning(Keys);
        Counters = new QueueCounters(database.Database, options, clock);
        Seen = new LastSeen(database.Database, options, clock);
        Issue = new IssueTickets(database.Database, clock, Counters);
        Status = new QueueStatus(Counters, Seen, database.Database, options, clock);
        Admit = new AdmitVisitors(database.Database, Counters, options, clock);
        _audit = new AuditLog(database.Database, clock);
        Change = new ChangeWaitingRoom(database.Database, Counters, _audit, options, clock);
        Figures = new WaitingRoomFigures(database.Database, options, clock);
    }

    public TestDatabase Database { get; }

    public WaitingRoomOptions Options { get; }

    public FixedClock Clock { get; }

    public SigningKeys Keys { get; }

    public QueueSigning Signing { get; }

    public QueueCounters Counters { get; }

    public LastSeen Seen { get; }

    public IssueTickets Issue { get; }

    public QueueStatus Status { get; }

    public AdmitVisitors Admit { get; }

    public ChangeWaitingRoom Change { get; }

    public WaitingRoomFigures Figures { get; }

    /// <summary>Counters read afresh on every call, unless a test says otherwise.</summary>
    public static WaitingRoomOptions DefaultOptions() => new() { CacheInterval = TimeSpan.Zero };

    public static async Task<QueueWorld> StartAsync(DatabaseProvider provider, WaitingRoomOptions? options = null)
    {
        var world = new QueueWorld(await TestDatabase.CreateAsync(provider), ownsDatabase: true, options ?? DefaultOptions(), new FixedClock(Start));
        await world.Keys.LoadAsync();
        return world;
    }

    /// <summary>Another node over the same database, with a clock of its own (tests move both).</summary>
    public async Task<QueueWorld> NodeAsync()
    {
        var node = new QueueWorld(Database, ownsDatabase: false, Options, new FixedClock(Clock.Now));
        await node.Keys.LoadAsync();
        return node;
    }

    public async Task SwitchOnAsync(int ratePerMinute = 60, int maxActive = 0, string mode = WaitingRoomModes.On)
    {
        var changed = await Change.HandleAsync(new WaitingRoomChange(mode, RatePerMinute: ratePerMinute, MaxActive: maxActive), Actor.System("test"));
        Assert.True(changed.Succeeded, changed.Failure?.ToString());
    }

    public async Task<List<Ticket>> TicketsAsync(int count)
    {
        var tickets = new List<Ticket>();
        for (var i = 0; i < count; i++)
        {
            tickets.Add((await Issue.IssueAsync()).Ticket);
        }

        return tickets;
    }

    /// <summary>Moves the clock on and runs a tick (as the worker would).</summary>
    public async Task<TickResult> TickAsync(TimeSpan? after = null)
    {
        Clock.Advance(after ?? TimeSpan.FromSeconds(1));
        var tick = await Admit.TickAsync();
        Assert.True(tick.Claimed, "the tick was not claimed");
        return tick;
    }

    /// <summary>The holders of these tickets poll now, and this node writes their last-seen times.</summary>
    public async Task PollAsync(IEnumerable<Ticket> tickets)
    {
        foreach (var ticket in tickets)
        {
            await Status.CheckAsync(ticket);
        }

        await Seen.FlushAsync();
    }

    public async Task<long> ServingAsync()
    {
        await using var connection = await Database.Database.OpenAsync();
        return await connection.ExecuteScalarAsync<long>("SELECT serving FROM waiting_room WHERE id = 1");
    }

    public async ValueTask DisposeAsync()
    {
        await Issue.DisposeAsync();
        await _audit.DisposeAsync();
        if (_ownsDatabase)
        {
            await Database.DisposeAsync();
        }
    }
}
