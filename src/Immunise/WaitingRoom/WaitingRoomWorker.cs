using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Immunise.WaitingRoom;

/// <summary>
/// Runs on every node: each <see cref="WaitingRoomOptions.TickInterval"/> it offers to tick (<see cref="AdmitVisitors"/>; one
/// node wins each tick, and nothing is done while the room is off), and each <see cref="WaitingRoomOptions.FlushInterval"/> it
/// writes the last-seen times this node has noted (<see cref="LastSeen"/>); each minute it reloads the signing keys. Ticks are skipped when
/// <see cref="WaitingRoomOptions.RunAdmissions"/> is false; last-seen times are always written.
/// </summary>
public sealed partial class WaitingRoomWorker(AdmitVisitors admit, LastSeen seen, SigningKeys keys, WaitingRoomOptions options, TimeProvider clock, ILogger<WaitingRoomWorker> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var interval = options.RunAdmissions ? options.TickInterval : options.FlushInterval;
        using var timer = new PeriodicTimer(interval < options.FlushInterval ? interval : options.FlushInterval, clock);
        var lastFlush = clock.GetTimestamp();
        var lastKeys = clock.GetTimestamp();
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            if (keys.Loaded && clock.GetElapsedTime(lastKeys) >= TimeSpan.FromMinutes(1))
            {
                lastKeys = clock.GetTimestamp();
                try
                {
                    await keys.LoadAsync(stoppingToken); // picks up a rotated key, and starts signing with it when it is due
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    WaitingRoomLog.KeysFailed(logger, e.GetType().Name);
                }
            }

            if (options.RunAdmissions)
            {
                try
                {
                    var tick = await admit.TickAsync(stoppingToken);
                    if (tick.Numbered > 0)
                    {
                        WaitingRoomLog.OpeningNumbered(logger, tick.Numbered);
                    }

                    if (tick.SwitchedOn)
                    {
                        WaitingRoomLog.SwitchedOnAutomatically(logger, tick.Counters?.ArrivalsPerMinute ?? 0, tick.Counters?.RatePerMinute ?? 0);
                    }
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    WaitingRoomLog.TickFailed(logger, e.GetType().Name);
                }
            }

            if (clock.GetElapsedTime(lastFlush) >= options.FlushInterval * 0.9)
            {
                lastFlush = clock.GetTimestamp();
                try
                {
                    await seen.FlushAsync(stoppingToken);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    WaitingRoomLog.FlushFailed(logger, e.GetType().Name);
                }
            }
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        try
        {
            await seen.FlushAsync(cancellationToken); // what this node noted last
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            WaitingRoomLog.FlushFailed(logger, e.GetType().Name);
        }
    }
}

/// <summary>The waiting room's log lines (event ids 7001–7099). Ticket ids and numbers are not personal data, but are not logged either.</summary>
public static partial class WaitingRoomLog
{
    [LoggerMessage(EventId = 7001, Level = LogLevel.Warning, Message = "Waiting room tick failed: {Error}")]
    public static partial void TickFailed(ILogger logger, string error);

    [LoggerMessage(EventId = 7002, Level = LogLevel.Warning, Message = "Writing waiting room last-seen times failed: {Error}")]
    public static partial void FlushFailed(ILogger logger, string error);

    [LoggerMessage(EventId = 7003, Level = LogLevel.Information, Message = "Waiting room opened: {Count} tickets taken before the opening numbered in random order")]
    public static partial void OpeningNumbered(ILogger logger, long count);

    [LoggerMessage(EventId = 7004, Level = LogLevel.Information, Message = "Waiting room switched on automatically: {Arrivals:F0} arrivals per minute against a rate of {Rate}")]
    public static partial void SwitchedOnAutomatically(ILogger logger, double arrivals, int rate);

    [LoggerMessage(EventId = 7005, Level = LogLevel.Information, Message = "Waiting room settings changed by {Actor}: {Settings}")]
    public static partial void Changed(ILogger logger, string actor, string settings);

    [LoggerMessage(EventId = 7006, Level = LogLevel.Information, Message = "Queue ticket refused: {Status} {Code}")]
    public static partial void Refused(ILogger logger, int status, string code);

    [LoggerMessage(EventId = 7007, Level = LogLevel.Warning, Message = "Reloading the waiting room's signing keys failed: {Error}")]
    public static partial void KeysFailed(ILogger logger, string error);
}
