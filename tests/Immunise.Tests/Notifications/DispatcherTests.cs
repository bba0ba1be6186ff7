using Dapper;
using Immunise.Notifications;
using Immunise.Storage;
using Immunise.Tests.Infrastructure;

namespace Immunise.Tests.Notifications;

/// <summary>
/// The outbox and its dispatcher against a real database and the Notify stand-in: messages exist only with the change that
/// makes them, each is sent once, temporary failures are retried and permanent ones are not, a dispatcher that dies between
/// sending and recording does not cause a second message, and two dispatchers share the work without sending anything twice.
/// </summary>
public sealed class DispatcherTests
{
    private static readonly DateTimeOffset Start = new(2026, 11, 23, 9, 0, 0, TimeSpan.Zero);

    [Theory, ClassData(typeof(BothDatabases))]
    public async Task AMessage_ExistsOnlyIfItsTransactionCommits_AndItsKeyMakesOneMessage(DatabaseProvider provider)
    {
        await using var database = await TestDatabase.CreateAsync(provider);
        var outbox = new Outbox(new FixedClock(Start));
        await using (var connection = await database.Database.OpenSessionAsync())
        {
            await using (var rolledBack = await connection.BeginTransactionAsync())
            {
                await outbox.EnqueueAsync(connection, rolledBack, Confirmation("A"));
                await rolledBack.RollbackAsync();
            }

            await using var committed = await connection.BeginTransactionAsync();
            Assert.True(await outbox.EnqueueAsync(connection, committed, Confirmation("B")));
            Assert.False(await outbox.EnqueueAsync(connection, committed, Confirmation("B")));
            await committed.CommitAsync();
        }

        Assert.Equal(["booking:B:confirmation:sms"], await Keys(database.Database));
    }

    [Theory, ClassData(typeof(BothDatabases))]
    public async Task ValuesThatDoNotFitTheTemplate_AreRefused_AndNothingIsWritten(DatabaseProvider provider)
    {
        await using var database = await TestDatabase.CreateAsync(provider);
        var outbox = new Outbox(new FixedClock(Start));
        await using var connection = await database.Database.OpenAsync();
        var missing = Confirmation("C") with { Personalisation = new Dictionary<string, string> { ["vaccine"] = "flu" } };
        var extra = Confirmation("D") with { Personalisation = new Dictionary<string, string>(Confirmation("D").Personalisation) { ["first_name"] = "Amala" } };

        var refused = await Assert.ThrowsAsync<ArgumentException>(() => outbox.EnqueueAsync(connection, null, missing));
        Assert.Contains("missing appointment_time", refused.Message, StringComparison.Ordinal);
        Assert.Contains("not in the template first_name",
            (await Assert.ThrowsAsync<ArgumentException>(() => outbox.EnqueueAsync(connection, null, extra))).Message, StringComparison.Ordinal);
        Assert.Empty(await Keys(database.Database));
    }

    [Theory, ClassData(typeof(BothDatabases))]
    public async Task EachMessage_IsSentOnce_ThroughNotify_WithTheConfiguredTemplate_AndRecorded(DatabaseProvider provider)
    {
        await using var database = await TestDatabase.CreateAsync(provider);
        await using var notify = await FakeNotify.StartAsync();
        var clock = new FixedClock(Start);
        await EnqueueAsync(database.Database, clock, 20);
        await using var dispatcher = Dispatcher(database.Database, notify, clock);

        while (await dispatcher.DispatchOnceAsync(default) > 0)
        {
        }

        Assert.Equal(20, notify.Messages.Count);
        Assert.Equal(20, notify.Messages.Select(m => m.Reference).Distinct().Count());
        Assert.All(notify.Messages, m => Assert.Equal(Options.Templates["booking-confirmation"]["sms"], m.TemplateId));
        var rows = await Rows(database.Database);
        Assert.All(rows, r => Assert.Equal("sent", r.Status));
        Assert.Equal(notify.Messages.Select(m => (m.Reference, m.Id)).Order(), rows.Select(r => (r.Id, r.ProviderId!)).Order());
        Assert.All(rows, r => Assert.StartsWith("Your flu vaccination is booked for 1 December 2026 at 10:30am at Leeds Town Hall", r.Body, StringComparison.Ordinal));
    }

    [Theory, ClassData(typeof(BothDatabases))]
    public async Task TemporaryFailures_AreRetriedLater_AndPermanentOnesStopWithNotifysReason(DatabaseProvider provider)
    {
        await using var database = await TestDatabase.CreateAsync(provider);
        await using var notify = await FakeNotify.StartAsync();
        var clock = new FixedClock(Start);
        await EnqueueAsync(database.Database, clock, 1);
        await using var dispatcher = Dispatcher(database.Database, notify, clock, parallelism: 1);

        notify.Script(429);
        Assert.Equal(1, await dispatcher.DispatchOnceAsync(default));
        var waiting = Assert.Single(await Rows(database.Database));
        Assert.Equal("pending", waiting.Status);
        Assert.StartsWith("429 RateLimitError", waiting.FailureReason, StringComparison.Ordinal);
        Assert.Equal(0, await dispatcher.DispatchOnceAsync(default)); // not due yet

        clock.Advance(TimeSpan.FromMinutes(1));
        notify.Script(500);
        Assert.Equal(1, await dispatcher.DispatchOnceAsync(default));
        clock.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(1, await dispatcher.DispatchOnceAsync(default));
        var sent = Assert.Single(await Rows(database.Database));
        Assert.Equal(("sent", 3), (sent.Status, sent.Attempts));
        Assert.Single(notify.Messages);

        await EnqueueAsync(database.Database, clock, 1, prefix: "P");
        notify.Script(400);
        Assert.Equal(1, await dispatcher.DispatchOnceAsync(default));
        clock.Advance(TimeSpan.FromHours(2));
        Assert.Equal(0, await dispatcher.DispatchOnceAsync(default));
        var failed = (await Rows(database.Database)).Single(r => r.Status != "sent");
        Assert.Equal("permanent-failure", failed.Status);
        Assert.Equal("400 BadRequestError: phone_number Not a UK mobile number", failed.FailureReason);
        Assert.Single(notify.Messages);

        var report = await new NotificationReport(database.Database).CountsAsync(Start.AddDays(-1), Start.AddDays(1));
        Assert.Equal(
            ["2026-11-23 booking-confirmation sms permanent-failure 1", "2026-11-23 booking-confirmation sms sent 1"],
            report.Counts.Select(c => $"{c.Day} {c.Template} {c.Channel} {c.Status} {c.Messages}"));
        var reason = Assert.Single(report.Failures);
        Assert.Equal(("permanent-failure", "400 BadRequestError: phone_number Not a UK mobile number", 1L), (reason.Status, reason.Reason, reason.Messages));
    }

    [Theory, ClassData(typeof(BothDatabases))]
    public async Task ADispatcherThatDiesBetweenSendingAndRecording_CausesNoSecondMessage(DatabaseProvider provider)
    {
        await using var database = await TestDatabase.CreateAsync(provider);
        await using var notify = await FakeNotify.StartAsync();
        var clock = new FixedClock(Start);
        await EnqueueAsync(database.Database, clock, 30);

        // The first dispatcher sends every fifth message and then dies before it can record it: the process is gone.
        var client = new NotifySender(new NotifyClient(new HttpClient { BaseAddress = new Uri(notify.BaseUrl) }, NotifyApiKey.Parse(FakeNotify.ApiKey), TimeProvider.System));
        await using (var dying = new NotificationDispatcher(database.Database, Options, new DiesAfterSending(client, everyNth: 5), clock, "first"))
        {
            await Assert.ThrowsAnyAsync<Exception>(() => dying.DispatchOnceAsync(default));
        }

        var inFlight = (await Rows(database.Database)).Count(r => r.Status == "sending");
        Assert.True(inFlight > 0, "some messages were left in flight");
        await using var second = Dispatcher(database.Database, notify, clock, name: "second");
        Assert.Equal(0, await second.DispatchOnceAsync(default)); // the first one's leases still hold

        clock.Advance(Options.Lease + TimeSpan.FromSeconds(1));
        while (await second.DispatchOnceAsync(default) > 0)
        {
        }

        Assert.All(await Rows(database.Database), r => Assert.Equal("sent", r.Status));
        Assert.Equal(30, notify.Messages.Count);
        Assert.Equal(30, notify.Messages.Select(m => m.Reference).Distinct().Count());
        Assert.True(notify.Lookups >= inFlight, $"{notify.Lookups} lookups for {inFlight} messages in doubt");
    }

    [Theory, ClassData(typeof(BothDatabases))]
    public async Task TwoDispatchers_ShareTheWork_AndSendEachMessageOnce(DatabaseProvider provider)
    {
        await using var database = await TestDatabase.CreateAsync(provider);
        await using var other = new Database(database.Options); // as a second instance would: its own pool
        await using var notify = await FakeNotify.StartAsync();
        var clock = new FixedClock(Start);
        await EnqueueAsync(database.Database, clock, 300);
        await using var first = Dispatcher(database.Database, notify, clock, name: "one", batch: 10);
        await using var second = Dispatcher(other, notify, clock, name: "two", batch: 10);

        async Task<int> Drain(NotificationDispatcher dispatcher)
        {
            var total = 0;
            int claimed;
            while ((claimed = await dispatcher.DispatchOnceAsync(default)) > 0)
            {
                total += claimed;
            }

            return total;
        }

        var counts = await Task.WhenAll(Task.Run(() => Drain(first)), Task.Run(() => Drain(second)));

        Assert.Equal(300, counts.Sum());
        Assert.Equal(300, notify.Messages.Count);
        Assert.Equal(300, notify.Messages.Select(m => m.Reference).Distinct().Count());
        Assert.All(await Rows(database.Database), r => Assert.Equal(("sent", 1), (r.Status, r.Attempts)));
    }

    [Theory, ClassData(typeof(BothDatabases))]
    public async Task WithNoNotifyKey_MessagesAreRenderedAndKept_AndReceiptsMarkThemDelivered(DatabaseProvider provider)
    {
        await using var database = await TestDatabase.CreateAsync(provider);
        var clock = new FixedClock(Start);
        await EnqueueAsync(database.Database, clock, 3);
        await using var dispatcher = new NotificationDispatcher(database.Database, new NotificationOptions(), new LocalSender(), clock);

        Assert.Equal(3, await dispatcher.DispatchOnceAsync(default));
        var rows = await Rows(database.Database);
        Assert.All(rows, r => Assert.Equal("sent", r.Status));
        Assert.All(rows, r => Assert.Contains("Booking reference: A", r.Body, StringComparison.Ordinal));

        Assert.True(await NotificationDispatcher.RecordReceiptAsync(database.Database, rows[0].ProviderId!, "delivered", clock.GetUtcNow(), default));
        Assert.False(await NotificationDispatcher.RecordReceiptAsync(database.Database, "no-such-id", "delivered", clock.GetUtcNow(), default));
        clock.Advance(TimeSpan.FromHours(1));
        Assert.Equal(2, await dispatcher.PollReceiptsAsync(default));
        Assert.All(await Rows(database.Database), r => Assert.Equal("delivered", r.Status));
    }

    internal static readonly NotificationOptions Options = new()
    {
        ApiKey = FakeNotify.ApiKey,
        RatePerMinute = 600_000,
        Templates = MessageTemplates.All.GroupBy(t => t.Name).ToDictionary(
            g => g.Key, g => g.ToDictionary(t => Outbox.ChannelName(t.Channel), _ => Guid.NewGuid().ToString("D"))),
    };

    private static NotificationDispatcher Dispatcher(Database database, FakeNotify notify, TimeProvider clock, string? name = null, int batch = 50, int parallelism = 8)
    {
        var options = new NotificationOptions
        {
            ApiKey = Options.ApiKey, RatePerMinute = Options.RatePerMinute, Templates = Options.Templates, BatchSize = batch, Parallelism = parallelism,
        };
        var client = new NotifyClient(new HttpClient { BaseAddress = new Uri(notify.BaseUrl) }, NotifyApiKey.Parse(FakeNotify.ApiKey), TimeProvider.System);
        return new NotificationDispatcher(database, options, new NotifySender(client), clock, name);
    }

    private static OutboundMessage Confirmation(string reference) => new(
        $"booking:{reference}:confirmation:sms", Channel.Sms, MessageTemplates.BookingConfirmation, "+447700900123",
        new Dictionary<string, string>
        {
            ["vaccine"] = "flu",
            ["appointment_time"] = "1 December 2026 at 10:30am",
            ["site_name"] = "Leeds Town Hall",
            ["site_address"] = "The Headrow, Leeds LS1 3AD",
            ["booking_reference"] = reference,
            ["manage_url"] = "https://example.test/manage",
        });

    private static async Task EnqueueAsync(Database database, TimeProvider clock, int count, string prefix = "A")
    {
        var outbox = new Outbox(clock);
        await using var connection = await database.OpenSessionAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        for (var i = 0; i < count; i++)
        {
            await outbox.EnqueueAsync(connection, transaction, Confirmation($"{prefix}{i:D4}"));
        }

        await transaction.CommitAsync();
    }

    private static async Task<List<string>> Keys(Database database)
    {
        await using var connection = await database.OpenAsync();
        return [.. await connection.QueryAsync<string>("SELECT dedupe_key FROM notification_messages ORDER BY dedupe_key")];
    }

    private static async Task<List<Row>> Rows(Database database)
    {
        await using var connection = await database.OpenAsync();
        return [.. await connection.QueryAsync<Row>(
            "SELECT id, status, attempts, provider_id, failure_reason, body FROM notification_messages ORDER BY dedupe_key")];
    }

    private sealed class Row
    {
        public string Id { get; set; } = "";
        public string Status { get; set; } = "";
        public int Attempts { get; set; }
        public string? ProviderId { get; set; }
        public string? FailureReason { get; set; }
        public string? Body { get; set; }
    }

    /// <summary>Sends, and on every nth message dies straight after Notify has accepted it (before anything is recorded).</summary>
    private sealed class DiesAfterSending(IMessageSender inner, int everyNth) : IMessageSender
    {
        private int _sent;

        public bool CanFindByReference => inner.CanFindByReference;

        public async Task<SendResult> SendAsync(NotifyMessage message, CancellationToken cancellationToken)
        {
            var result = await inner.SendAsync(message, cancellationToken);
            if (Interlocked.Increment(ref _sent) % everyNth == 0)
            {
                throw new InvalidOperationException("The dispatcher's process died.");
            }

            return result;
        }

        public Task<NotifyNotification?> FindByReferenceAsync(string reference, CancellationToken cancellationToken) => inner.FindByReferenceAsync(reference, cancellationToken);

        public Task<NotifyNotification?> GetAsync(string providerId, CancellationToken cancellationToken) => inner.GetAsync(providerId, cancellationToken);
    }
}
