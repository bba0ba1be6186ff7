using System.ComponentModel.DataAnnotations;

namespace Immunise.WaitingRoom;

/// <summary>
/// How this node takes part in the waiting room (section <c>WaitingRoom</c>). What the queue does — on or off, rate, maximum
/// active visitors, a scheduled opening — is not here: it is in the database, set by administrators, so every node agrees.
/// </summary>
public sealed class WaitingRoomOptions
{
    public const string Section = "WaitingRoom";

    /// <summary>Run the admission ticker and the last-seen writer on this node (any number of nodes may: one advances per tick).</summary>
    public bool RunAdmissions { get; set; } = true;

    /// <summary>How often the serving number is advanced (by whichever node claims the tick).</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:01:00")]
    public TimeSpan TickInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How long a node answers from its copy of the counters before reading them again (0: every request reads).</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:01:00")]
    public TimeSpan CacheInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>A ticket whose holder has not been seen for this long when its number is reached is abandoned (skipped).</summary>
    [Range(typeof(TimeSpan), "00:00:10", "1.00:00:00")]
    public TimeSpan AbandonAfter { get; set; } = TimeSpan.FromMinutes(3);

    /// <summary>How long an admitted visitor has to come back for their admission before it is counted abandoned.</summary>
    [Range(typeof(TimeSpan), "00:00:10", "1.00:00:00")]
    public TimeSpan ClaimWindow { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>How long an admission token lasts from the moment it is first given (the visitor counts as active meanwhile).</summary>
    [Range(typeof(TimeSpan), "00:01:00", "1.00:00:00")]
    public TimeSpan AdmissionLifetime { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>How long a ticket can be used at all.</summary>
    [Range(typeof(TimeSpan), "00:10:00", "7.00:00:00")]
    public TimeSpan TicketLifetime { get; set; } = TimeSpan.FromHours(24);

    /// <summary>Tickets one client address may take per minute (more are refused with 429).</summary>
    [Range(1, 10_000_000)]
    public int TicketsPerClientPerMinute { get; set; } = 20;

    /// <summary>A node writes a ticket's last-seen time at most this often (the rest of its polls cost no write).</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:10:00")]
    public TimeSpan SeenInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How often a node writes the last-seen times it has gathered.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:01:00")]
    public TimeSpan FlushInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>The window over which the admission rate behind the wait estimate is measured.</summary>
    [Range(typeof(TimeSpan), "00:00:30", "01:00:00")]
    public TimeSpan EstimateWindow { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How long the automatic switch keeps the room on after arrivals fall back under the rate and the queue has emptied.</summary>
    [Range(typeof(TimeSpan), "00:00:10", "1.00:00:00")]
    public TimeSpan AutomaticHold { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Shortest and longest time between polls that the waiting page asks of a browser (sooner near the front).</summary>
    [Range(1, 600)]
    public int PollSecondsNear { get; set; } = 5;

    [Range(1, 600)]
    public int PollSecondsFar { get; set; } = 20;

    /// <summary>How often the waiting page reloads itself without JavaScript.</summary>
    [Range(5, 600)]
    public int RefreshSeconds { get; set; } = 30;

    /// <summary>
    /// Optional signing keys from configuration instead of the database: <c>id:base64</c> pairs separated by commas, the first
    /// signs (e.g. <c>2:…,1:…</c> while rotating). Each secret is at least 32 random bytes. Unset, the database's keys are used.
    /// </summary>
    public string? SigningKeys { get; set; }
}
