using System.Globalization;

namespace Immunise.WaitingRoom;

/// <summary>How many the serving number may pass in one tick, and the rate credit carried to the next.</summary>
public readonly record struct TickAllowance(long Allowed, double Credit);

/// <summary>
/// The waiting room's rules as pure functions: positions, the wait estimate and its wording, how far the serving number may
/// move in a tick, and how often a waiting browser should ask again.
/// </summary>
public static class QueueRules
{
    /// <summary>The most a tick may make up for when ticks were missed (a node restarting): ten seconds' worth.</summary>
    public static readonly TimeSpan MaxCatchUp = TimeSpan.FromSeconds(10);

    /// <summary>
    /// A ticket's place: its sequence number minus the serving number ("you are number N in the queue"). Zero or less: its
    /// number has been reached. The same on every node for the same serving number.
    /// </summary>
    public static long Position(long sequence, long serving) => sequence - serving;

    /// <summary>
    /// The rate to estimate with, in queue numbers per minute: the measured rate when there is one (it counts numbers passed
    /// over because their holders left, so it is the speed at which places go down), else the configured rate, else what the
    /// maximum of active visitors lets through (each stays at most <paramref name="admissionLifetime"/>); null when none applies.
    /// </summary>
    public static double? EstimateRate(double measuredPerMinute, int ratePerMinute, int maxActive, TimeSpan admissionLifetime)
    {
        if (measuredPerMinute > 0)
        {
            return measuredPerMinute;
        }

        if (ratePerMinute > 0)
        {
            return ratePerMinute;
        }

        return maxActive > 0 ? maxActive / admissionLifetime.TotalMinutes : null;
    }

    /// <summary>Minutes until <paramref name="position"/> is reached at <paramref name="perMinute"/>; null when there is no rate.</summary>
    public static double? MinutesToWait(long position, double? perMinute) => position <= 0 ? 0 : perMinute is > 0 and var rate ? position / rate : null;

    /// <summary>
    /// The estimate as the waiting page says it: "less than a minute", "about 6 minutes" (whole minutes, rounded up), "about 1
    /// hour 20 minutes" (to the nearest 5 minutes from an hour).
    /// </summary>
    public static string DescribeWait(double minutes)
    {
        if (minutes < 1)
        {
            return "less than a minute";
        }

        if (minutes < 60)
        {
            var whole = (int)Math.Ceiling(minutes - 1e-9);
            return whole == 1 ? "about 1 minute" : string.Create(CultureInfo.InvariantCulture, $"about {whole} minutes");
        }

        var rounded = (long)Math.Round(minutes / 5, MidpointRounding.AwayFromZero) * 5;
        var hours = rounded / 60;
        var rest = rounded % 60;
        var hourText = hours == 1 ? "1 hour" : string.Create(CultureInfo.InvariantCulture, $"{hours} hours");
        return rest == 0 ? $"about {hourText}" : string.Create(CultureInfo.InvariantCulture, $"about {hourText} {rest} minutes");
    }

    /// <summary>
    /// How many people a tick may admit. The rate earns <paramref name="ratePerMinute"/> × elapsed / 60 (at most
    /// <see cref="MaxCatchUp"/>'s worth, and no more than that is ever banked), whole admissions are allowed and the fraction
    /// carries over; a maximum of active visitors allows only the room left under it. A rate of 0 means no rate limit; a
    /// maximum of 0 means no maximum.
    /// </summary>
    public static TickAllowance Allowance(double credit, int ratePerMinute, TimeSpan elapsed, int maxActive, long active)
    {
        long allowed;
        var banked = 0d;
        if (ratePerMinute > 0)
        {
            var seconds = Math.Clamp(elapsed.TotalSeconds, 0, MaxCatchUp.TotalSeconds);
            var cap = Math.Max(1, ratePerMinute * MaxCatchUp.TotalSeconds / 60);
            banked = Math.Min(Math.Max(0, credit) + ratePerMinute * seconds / 60, cap);
            allowed = (long)Math.Floor(banked + 1e-9);
        }
        else
        {
            allowed = long.MaxValue;
        }

        if (maxActive > 0)
        {
            allowed = Math.Min(allowed, Math.Max(0, maxActive - active));
        }

        return new TickAllowance(allowed, banked);
    }

    /// <summary>
    /// Seconds before a waiting browser should ask again: a quarter of the expected time to its turn, between
    /// <paramref name="near"/> and <paramref name="far"/> (so the front of the queue hears promptly and the back asks rarely).
    /// </summary>
    public static int PollSeconds(long position, double? perMinute, int near, int far)
    {
        if (perMinute is not > 0 || position <= 0)
        {
            return position <= 0 ? near : far;
        }

        var quarter = position / perMinute.Value * 60 / 4;
        return (int)Math.Clamp(Math.Round(quarter), near, Math.Max(near, far));
    }

    /// <summary>"1,234": how positions are written.</summary>
    public static string Number(long value) => value.ToString("N0", CultureInfo.InvariantCulture);
}
