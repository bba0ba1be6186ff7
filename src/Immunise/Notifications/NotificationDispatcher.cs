using System.Collections.Concurrent;
using System.Data.Common;
using System.Text.Json;
using System.Threading.RateLimiting;
using Dapper;
using Immunise.Storage;
using Npgsql;
using NpgsqlTypes;

namespace Immunise.Notifications;

/// <summary>Where messages go: GOV.UK Notify, or (with no key) nowhere but the outbox itself, rendered.</summary>
public interface IMessageSender
{
    /// <summary>Whether a sent message can be looked up by our reference (to avoid sending twice after a crash).</summary>
    bool CanFindByReference { get; }

    Task<SendResult> SendAsync(NotifyMessage message, CancellationToken cancellationToken);

    Task<NotifyNotification?> FindByReferenceAsync(string reference, CancellationToken cancellationToken);

    Task<NotifyNotification?> GetAsync(string providerId, CancellationToken cancellationToken);
}

/// <summary>Sends through <see cref="NotifyClient"/>.</summary>
public sealed class NotifySender(NotifyClient client) : IMessageSender
{
    public bool CanFindByReference => true;

    public Task<SendResult> SendAsync(NotifyMessage message, CancellationToken cancellationToken) => client.SendAsync(message, cancellationToken);

    public Task<NotifyNotification?> FindByReferenceAsync(string reference, CancellationToken cancellationToken) =>
        client.FindByReferenceAsync(reference, cancellationToken);

    public Task<NotifyNotification?> GetAsync(string providerId, CancellationToken cancellationToken) => client.GetAsync(providerId, cancellationToken);
}

/// <summary>The embedded default: a message is "sent" by being rendered and kept, like Notify's test key.</summary>
public sealed class LocalSender : IMessageSender
{
    public bool CanFindByReference => false;

    public Task<SendResult> SendAsync(NotifyMessage message, CancellationToken cancellationToken) =>
        Task.FromResult(new SendResult(SendOutcome.Accepted, $"local-{Guid.NewGuid():D}"));

    public Task<NotifyNotification?> FindByReferenceAsync(string reference, CancellationToken cancellationToken) =>
        Task.FromResult<NotifyNotification?>(null);

    public Task<NotifyNotification?> GetAsync(string providerId, CancellationToken cancellationToken) =>
        Task.FromResult<NotifyNotification?>(new NotifyNotification(providerId, null, "delivered"));
}

/// <summary>
/// Sends what the outbox holds. A batch of due messages is claimed in one statement (on PostgreSQL with
/// <c>FOR UPDATE SKIP LOCKED</c>, so dispatchers on several instances never claim the same message; on SQLite the statement
/// holds the database's single write lock), each claim a lease for <see cref="NotificationOptions.Lease"/>. A message is then
/// sent, at most <see cref="NotificationOptions.RatePerMinute"/> a minute, and its outcome recorded only while the lease is
/// still ours. If a dispatcher dies between sending and recording, the message stays "sending" until its lease runs out; the
/// dispatcher that takes it over asks Notify for our reference first and records what Notify has rather than sending again.
/// Temporary failures are retried with exponential backoff and jitter; permanent ones stop with Notify's reason.
/// </summary>
public sealed class NotificationDispatcher : IAsyncDisposable
{
    private readonly Database _database;
    private readonly NotificationOptions _options;
    private readonly IMessageSender _sender;
    private readonly TimeProvider _clock;
    private readonly string _name;
    private readonly TokenBucketRateLimiter _rate;

    public NotificationDispatcher(Database database, NotificationOptions options, IMessageSender sender, TimeProvider clock, string? name = null)
    {
        _database = database;
        _options = options;
        _sender = sender;
        _clock = clock;
        _name = name ?? $"{Environment.MachineName}:{Environment.ProcessId}:{Guid.NewGuid():N}";
        var perSecond = Math.Max(1, options.RatePerMinute / 60);
        _rate = new TokenBucketRateLimiter(new TokenBucketRateLimiterOptions
        {
            TokenLimit = perSecond,
            TokensPerPeriod = perSecond,
            ReplenishmentPeriod = TimeSpan.FromSeconds(1),
            QueueLimit = int.MaxValue,
            QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
            AutoReplenishment = true,
        });
    }

    /// <summary>Claims one batch of due messages and sends them; returns how many were claimed (0: nothing is due).</summary>
    public async Task<int> DispatchOnceAsync(CancellationToken cancellationToken)
    {
        var claimed = await ClaimAsync(cancellationToken);
        var outcomes = new ConcurrentQueue<Outcome>();
        try
        {
            await Parallel.ForEachAsync(
                claimed,
                new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, _options.Parallelism), CancellationToken = cancellationToken },
                async (message, ct) => await DispatchAsync(message, outcomes, ct));
        }
        finally
        {
            // What was sent is recorded even when the batch was cut short; what was not stays claimed until its lease ends.
            await RecordAsync(outcomes, CancellationToken.None);
        }

        return claimed.Count;
    }

    /// <summary>Asks Notify about sent messages that have had no delivery receipt for a while; returns how many were asked about.</summary>
    public async Task<int> PollReceiptsAsync(CancellationToken cancellationToken)
    {
        var before = _clock.GetUtcNow() - _options.ReceiptWait;
        List<(string Id, string ProviderId)> waiting;
        await using (var connection = await _database.OpenAsync(cancellationToken))
        {
            waiting = [.. await connection.QueryAsync<(string, string)>(new CommandDefinition(
                "SELECT id, provider_id FROM notification_messages WHERE status = 'sent' AND sent_at < @before ORDER BY sent_at LIMIT 100",
                new { before }, cancellationToken: cancellationToken))];
        }

        foreach (var (id, providerId) in waiting)
        {
            if (await _sender.GetAsync(providerId, cancellationToken) is { } notification)
            {
                await RecordReceiptAsync(_database, providerId, notification.Status, _clock.GetUtcNow(), cancellationToken);
            }
        }

        return waiting.Count;
    }

    /// <summary>
    /// Records a delivery status for a message Notify holds (from a callback or a poll); false when no message has that ID.
    /// Only final statuses (delivered, or a failure) change anything; "sending" and the like leave the message as sent.
    /// </summary>
    public static async Task<bool> RecordReceiptAsync(Database database, string providerId, string status, DateTimeOffset at, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var known = await connection.ExecuteScalarAsync<long>(new CommandDefinition(
            "SELECT count(*) FROM notification_messages WHERE provider_id = @providerId", new { providerId }, cancellationToken: cancellationToken)) > 0;
        if (known && status is "delivered" or "permanent-failure" or "temporary-failure" or "technical-failure")
        {
            await connection.ExecuteAsync(new CommandDefinition(
                "UPDATE notification_messages SET status = @status, completed_at = @at WHERE provider_id = @providerId AND status = 'sent'",
                new { providerId, status, at }, cancellationToken: cancellationToken));
        }

        return known;
    }

    public ValueTask DisposeAsync()
    {
        _rate.Dispose();
        return ValueTask.CompletedTask;
    }

    private async Task<List<Claimed>> ClaimAsync(CancellationToken cancellationToken)
    {
        var now = _clock.GetUtcNow();
        var lockRows = _database.Dialect.IsPostgres ? "FOR UPDATE SKIP LOCKED" : "";
        await using var connection = await _database.OpenAsync(cancellationToken);
        var rows = await connection.QueryAsync<ClaimRow>(new CommandDefinition(
            $"""
            UPDATE notification_messages
            SET status = 'sending', claimed_by = @name, claimed_until = @lease, attempts = attempts + 1, in_doubt = (status = 'sending')
            WHERE id IN (
                SELECT id FROM notification_messages
                WHERE (status = 'pending' AND next_attempt_at <= @now) OR (status = 'sending' AND claimed_until < @now)
                ORDER BY next_attempt_at
                LIMIT @batch
                {lockRows})
            RETURNING id, channel, template, recipient, personalisation, attempts, in_doubt
            """,
            new { name = _name, lease = now + _options.Lease, now, batch = _options.BatchSize },
            cancellationToken: cancellationToken));
        return [.. rows.Select(r => new Claimed(
            r.Id, Outbox.ParseChannel(r.Channel), r.Template, r.Recipient,
            WithLinks(r.Template, Outbox.ParseChannel(r.Channel), JsonSerializer.Deserialize<Dictionary<string, string>>(r.Personalisation) ?? []),
            r.Attempts, Convert.ToBoolean(r.InDoubt, System.Globalization.CultureInfo.InvariantCulture)))];
    }

    /// <summary>The values with the links the template uses, made from the service's public address.</summary>
    private Dictionary<string, string> WithLinks(string template, Channel channel, Dictionary<string, string> values)
    {
        var uses = MessageTemplates.Find(template, channel)?.Placeholders ?? [];
        foreach (var (name, link) in MessageTemplates.LinksFor(_options.PublicBaseUrl))
        {
            if (uses.Contains(name))
            {
                values[name] = link;
            }
        }

        return values;
    }

    private async Task DispatchAsync(Claimed message, ConcurrentQueue<Outcome> outcomes, CancellationToken cancellationToken)
    {
        var template = MessageTemplates.Find(message.Template, message.Channel);
        var (subject, body) = template?.Render(message.Personalisation) ?? (null, "");
        if (message.InDoubt && _sender.CanFindByReference
            && await _sender.FindByReferenceAsync(message.Id, cancellationToken) is { } already)
        {
            // Sent by a dispatcher that stopped before it could record it: record it now, do not send it again.
            outcomes.Enqueue(new Outcome(message.Id, "sent", already.Id, null, subject, body, null));
            return;
        }

        if (template is null)
        {
            outcomes.Enqueue(new Outcome(message.Id, "permanent-failure", null, $"No template '{message.Template}' for {message.Channel}.", null, null, null));
            return;
        }

        var templateId = _sender is LocalSender ? message.Template : _options.TemplateId(message.Template, message.Channel);
        if (templateId is null)
        {
            outcomes.Enqueue(new Outcome(message.Id, "permanent-failure", null,
                $"No Notify template ID is configured for {message.Template}:{Outbox.ChannelName(message.Channel)}.", null, null, null));
            return;
        }

        using (var lease = await _rate.AcquireAsync(1, cancellationToken))
        {
            if (!lease.IsAcquired)
            {
                return; // not acquired only when shutting down; the lease runs out and the message is taken over
            }
        }

        var result = await _sender.SendAsync(new NotifyMessage(message.Channel, message.Recipient, templateId, message.Personalisation, message.Id), cancellationToken);
        switch (result.Outcome)
        {
            case SendOutcome.Accepted:
                outcomes.Enqueue(new Outcome(message.Id, "sent", result.ProviderId, null, subject, body, null));
                break;
            case SendOutcome.Permanent:
                outcomes.Enqueue(new Outcome(message.Id, "permanent-failure", null, result.Reason, null, null, null));
                break;
            default:
                if (message.Attempts >= _options.MaxAttempts)
                {
                    outcomes.Enqueue(new Outcome(message.Id, "technical-failure", null, $"Gave up after {message.Attempts} attempts: {result.Reason}", null, null, null));
                }
                else
                {
                    outcomes.Enqueue(new Outcome(message.Id, "pending", null, result.Reason, null, null, _clock.GetUtcNow() + Backoff(message.Attempts, result.RetryAfter)));
                }

                break;
        }
    }

    /// <summary>Exponential backoff with full jitter between half and all of the step, and at least what Notify asked for.</summary>
    internal TimeSpan Backoff(int attempts, TimeSpan? retryAfter)
    {
        var step = _options.FirstBackoff * Math.Pow(2, Math.Min(20, attempts - 1));
        var capped = step > _options.MaxBackoff ? _options.MaxBackoff : step;
        var jittered = capped * (0.5 + (Random.Shared.NextDouble() / 2));
        return retryAfter is { } asked && asked > jittered ? asked : jittered;
    }

    /// <summary>
    /// Records a batch's outcomes in one transaction (one commit for the batch, not one per message), each only while the
    /// message is still claimed by this dispatcher. A crash before this leaves the batch claimed: the dispatcher that takes it
    /// over asks Notify by reference before sending anything again.
    /// </summary>
    private async Task RecordAsync(IReadOnlyCollection<Outcome> outcomes, CancellationToken cancellationToken)
    {
        if (outcomes.Count == 0)
        {
            return;
        }

        var now = _clock.GetUtcNow();
        if (_database.Dialect.IsPostgres)
        {
            await RecordOnPostgresAsync([.. outcomes], now, cancellationToken);
            return;
        }

        // SQLite: one prepared statement run for each message inside one transaction (in process, so no round trips).
        using var turn = await _database.WriteTurnAsync(cancellationToken);
        await using var connection = await _database.OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(
            """
            UPDATE notification_messages
            SET status = @Status, provider_id = COALESCE(@ProviderId, provider_id), failure_reason = @Reason,
                subject = COALESCE(@Subject, subject), body = COALESCE(@Body, body),
                sent_at = CASE WHEN @Status = 'sent' THEN @Now ELSE sent_at END,
                completed_at = CASE WHEN @Status IN ('permanent-failure', 'technical-failure') THEN @Now ELSE completed_at END,
                next_attempt_at = COALESCE(@RetryAt, next_attempt_at),
                claimed_by = NULL, claimed_until = NULL, in_doubt = @NotInDoubt
            WHERE id = @Id AND claimed_by = @Name
            """,
            outcomes.Select(o => new { o.Id, Name = _name, o.Status, o.ProviderId, o.Reason, o.Subject, o.Body, Now = now, o.RetryAt, NotInDoubt = false }),
            transaction,
            cancellationToken: cancellationToken));
        await transaction.CommitAsync(cancellationToken);
    }

    /// <summary>PostgreSQL: the whole batch in one statement over arrays (one round trip, one commit, one plan for every size).</summary>
    private async Task RecordOnPostgresAsync(Outcome[] outcomes, DateTimeOffset now, CancellationToken cancellationToken)
    {
        const string Sql =
            """
            UPDATE notification_messages m
            SET status = o.status, provider_id = COALESCE(o.provider_id, m.provider_id), failure_reason = o.reason,
                subject = COALESCE(o.subject, m.subject), body = COALESCE(o.body, m.body),
                sent_at = CASE WHEN o.status = 'sent' THEN @now ELSE m.sent_at END,
                completed_at = CASE WHEN o.status IN ('permanent-failure', 'technical-failure') THEN @now ELSE m.completed_at END,
                next_attempt_at = COALESCE(o.retry_at, m.next_attempt_at),
                claimed_by = NULL, claimed_until = NULL, in_doubt = false
            FROM unnest(@id, @status, @provider, @reason, @subject, @body, @retry) AS o(id, status, provider_id, reason, subject, body, retry_at)
            WHERE m.id = o.id AND m.claimed_by = @name
            """;
        await using var connection = (NpgsqlConnection)await _database.OpenSessionAsync(cancellationToken);
        await using var command = new NpgsqlCommand(Sql, connection);
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset>("now", NpgsqlDbType.TimestampTz) { TypedValue = now.ToUniversalTime() });
        command.Parameters.Add(new NpgsqlParameter<string>("name", NpgsqlDbType.Text) { TypedValue = _name });
        Text("id", o => o.Id);
        Text("status", o => o.Status);
        Text("provider", o => o.ProviderId);
        Text("reason", o => o.Reason);
        Text("subject", o => o.Subject);
        Text("body", o => o.Body);
        command.Parameters.Add(new NpgsqlParameter<DateTime?[]>("retry", NpgsqlDbType.Array | NpgsqlDbType.TimestampTz)
        {
            TypedValue = [.. outcomes.Select(o => o.RetryAt?.UtcDateTime)],
        });
        await command.PrepareAsync(cancellationToken);
        await command.ExecuteNonQueryAsync(cancellationToken);

        void Text(string name, Func<Outcome, string?> value) =>
            command.Parameters.Add(new NpgsqlParameter<string?[]>(name, NpgsqlDbType.Array | NpgsqlDbType.Text) { TypedValue = [.. outcomes.Select(value)] });
    }

    private sealed record Outcome(string Id, string Status, string? ProviderId, string? Reason, string? Subject, string? Body, DateTimeOffset? RetryAt);

    private sealed record Claimed(
        string Id, Channel Channel, string Template, string Recipient, IReadOnlyDictionary<string, string> Personalisation, int Attempts, bool InDoubt);

    private sealed class ClaimRow
    {
        public string Id { get; set; } = "";
        public string Channel { get; set; } = "";
        public string Template { get; set; } = "";
        public string Recipient { get; set; } = "";
        public string Personalisation { get; set; } = "";
        public int Attempts { get; set; }
        public object InDoubt { get; set; } = false;
    }
}
