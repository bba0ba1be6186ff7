using System.Data.Common;
using Dapper;
using Immunise.Storage;

namespace Immunise.WaitingRoom;

/// <summary>The waiting room's settings and counters as one node last read them (the <c>waiting_room</c> row).</summary>
public sealed record QueueSnapshot(
    bool Enabled,
    bool Automatic,
    DateTimeOffset? AutoUntil,
    bool Paused,
    int RatePerMinute,
    int MaxActive,
    DateTimeOffset? OpensAt,
    long LastSequence,
    long Serving,
    long Pending,
    double Credit,
    DateTimeOffset? LastTickAt,
    DateTimeOffset? LastAdvanceAt,
    long SaturatedServed,
    double SaturatedSeconds,
    double ServingPerMinute,
    double ArrivalsPerMinute,
    double AdmittedPerMinute,
    long Active,
    DateTimeOffset UpdatedAt,
    string UpdatedBy)
{
    /// <summary>Visitors need an admission: switched on by an administrator, or by the automatic switch until its time ends.</summary>
    public bool IsActive(DateTimeOffset now) => Enabled || AutoUntil > now;

    /// <summary>Tickets are given: the room is active, or on automatic (when every ticket is admitted at once while it is not).</summary>
    public bool InUse(DateTimeOffset now) => IsActive(now) || Automatic;

    /// <summary>A scheduled opening is still to come: tickets taken now wait unnumbered and are shuffled at the opening.</summary>
    public bool BeforeOpening(DateTimeOffset now) => OpensAt > now;

    /// <summary>Tickets taken before an opening wait to be numbered, and the opening has come (or been cancelled).</summary>
    public bool OpeningDue(DateTimeOffset now) => Pending > 0 && !BeforeOpening(now);

    /// <summary>Whether the admission ticker has anything to do.</summary>
    public bool NeedsTicks(DateTimeOffset now) => Enabled || Automatic || AutoUntil > now || Pending > 0;

    /// <summary>Queue numbers given and not yet reached (including those whose holders have left and will be passed over).</summary>
    public long Waiting => Math.Max(0, LastSequence - Serving);

    /// <summary>The "off / on / automatic" setting.</summary>
    public string Mode => Enabled ? WaitingRoomModes.On : Automatic ? WaitingRoomModes.Automatic : WaitingRoomModes.Off;
}

/// <summary>
/// This node's copy of the waiting room's counters, read from the database at most once per
/// <see cref="WaitingRoomOptions.CacheInterval"/> (one read at a time; callers meanwhile get the copy they had), so that a
/// status poll costs no database round trip. Changes made on this node replace the copy at once.
/// </summary>
public sealed class QueueCounters(Database database, WaitingRoomOptions options, TimeProvider clock)
{
    internal const string Columns =
        "enabled, automatic, auto_until, paused, rate_per_minute, max_active, opens_at, last_sequence, serving, pending, credit, " +
        "last_tick_at, last_advance_at, saturated_served, saturated_seconds, serving_per_minute, arrivals_per_minute, admitted_per_minute, " +
        "active, updated_at, updated_by";

    private readonly Lock _gate = new();
    private volatile Entry? _entry;
    private Task<QueueSnapshot>? _refreshing;

    /// <summary>The counters, from this node's copy while it is fresh.</summary>
    public ValueTask<QueueSnapshot> GetAsync(CancellationToken cancellationToken = default)
    {
        var entry = _entry;
        if (entry is not null && clock.GetElapsedTime(entry.ReadAt) < options.CacheInterval)
        {
            return new ValueTask<QueueSnapshot>(entry.Snapshot);
        }

        if (options.CacheInterval <= TimeSpan.Zero)
        {
            return new ValueTask<QueueSnapshot>(RefreshAsync(cancellationToken));
        }

        Task<QueueSnapshot> refresh;
        lock (_gate)
        {
            if (_refreshing is null || _refreshing.IsCompleted)
            {
                _refreshing = RefreshAsync(CancellationToken.None);
            }

            refresh = _refreshing;
        }

        // While one read is under way, the others answer from the copy they have (stale by at most that read).
        return entry is not null && !refresh.IsCompleted ? new ValueTask<QueueSnapshot>(entry.Snapshot) : new ValueTask<QueueSnapshot>(refresh);
    }

    /// <summary>Reads the counters now and keeps them.</summary>
    public async Task<QueueSnapshot> RefreshAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var snapshot = await ReadAsync(connection, null, cancellationToken);
        Keep(snapshot);
        return snapshot;
    }

    /// <summary>Keeps counters this node has just read or written.</summary>
    public void Keep(QueueSnapshot snapshot) => _entry = new Entry(snapshot, clock.GetTimestamp());

    /// <summary>Forgets the copy, so the next caller reads.</summary>
    public void Forget() => _entry = null;

    internal static async Task<QueueSnapshot> ReadAsync(DbConnection connection, DbTransaction? transaction, CancellationToken cancellationToken, bool forUpdate = false)
    {
        var row = await connection.QuerySingleAsync<Row>(new CommandDefinition(
            $"SELECT {Columns} FROM waiting_room WHERE id = 1{(forUpdate ? " FOR UPDATE" : "")}", transaction: transaction, cancellationToken: cancellationToken));
        return row.ToSnapshot();
    }

    private sealed record Entry(QueueSnapshot Snapshot, long ReadAt);

    internal sealed class Row
    {
        public bool Enabled { get; set; }
        public bool Automatic { get; set; }
        public DateTimeOffset? AutoUntil { get; set; }
        public bool Paused { get; set; }
        public int RatePerMinute { get; set; }
        public int MaxActive { get; set; }
        public DateTimeOffset? OpensAt { get; set; }
        public long LastSequence { get; set; }
        public long Serving { get; set; }
        public long Pending { get; set; }
        public double Credit { get; set; }
        public DateTimeOffset? LastTickAt { get; set; }
        public DateTimeOffset? LastAdvanceAt { get; set; }
        public long SaturatedServed { get; set; }
        public double SaturatedSeconds { get; set; }
        public double ServingPerMinute { get; set; }
        public double ArrivalsPerMinute { get; set; }
        public double AdmittedPerMinute { get; set; }
        public long Active { get; set; }
        public DateTimeOffset UpdatedAt { get; set; }
        public string UpdatedBy { get; set; } = "";

        public QueueSnapshot ToSnapshot() => new(
            Enabled, Automatic, AutoUntil, Paused, RatePerMinute, MaxActive, OpensAt, LastSequence, Serving, Pending, Credit, LastTickAt,
            LastAdvanceAt, SaturatedServed, SaturatedSeconds, ServingPerMinute, ArrivalsPerMinute, AdmittedPerMinute, Active, UpdatedAt, UpdatedBy);
    }
}

/// <summary>The waiting room's three settings of its switch.</summary>
public static class WaitingRoomModes
{
    /// <summary>No queue: the booking service is open to all and no tickets are given.</summary>
    public const string Off = "off";

    /// <summary>Everyone starting to book takes a ticket and waits their turn.</summary>
    public const string On = "on";

    /// <summary>Every visitor takes a ticket and is admitted at once, until arrivals per minute exceed the rate: then the room is on.</summary>
    public const string Automatic = "automatic";

    public static readonly IReadOnlyList<string> All = [Off, On, Automatic];
}
