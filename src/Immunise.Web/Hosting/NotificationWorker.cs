using Immunise.Notifications;

namespace Immunise.Web.Hosting;

/// <summary>
/// Background work: sends due outbox messages (<see cref="NotificationDispatcher"/>) and, every minute, asks Notify about
/// sent messages with no delivery receipt and writes the appointment reminders now due (<see cref="AppointmentReminders"/>). Switched off with <c>Notifications:DispatcherEnabled=false</c>; every instance
/// may run it, as claims are made in the database.
/// </summary>
public sealed partial class NotificationWorker(
    NotificationDispatcher dispatcher, AppointmentReminders reminders, NotificationOptions options, TimeProvider clock, ILogger<NotificationWorker> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var receiptsDue = clock.GetUtcNow();
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var claimed = await dispatcher.DispatchOnceAsync(stoppingToken);
                if (clock.GetUtcNow() >= receiptsDue)
                {
                    await reminders.RunOnceAsync(stoppingToken);
                    await dispatcher.PollReceiptsAsync(stoppingToken);
                    receiptsDue = clock.GetUtcNow() + TimeSpan.FromMinutes(1);
                }

                if (claimed == 0)
                {
                    await Task.Delay(options.PollInterval, clock, stoppingToken);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                // The exception's type only: messages may carry a recipient. Claimed messages are taken over when their lease ends.
                Failed(logger, e.GetType().Name);
                await Task.Delay(TimeSpan.FromSeconds(5), clock, stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Notification dispatch failed ({ErrorType}); retrying in 5 seconds")]
    private static partial void Failed(ILogger logger, string errorType);
}
