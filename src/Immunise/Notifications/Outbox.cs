using System.Data.Common;
using System.Text.Json;
using Dapper;
using Immunise.People;
using Immunise.Storage;

namespace Immunise.Notifications;

/// <summary>
/// A message to send: why (<see cref="DedupeKey"/>, e.g. <c>booking:ABCD2345:confirmation:sms</c>, never personal data), to whom,
/// with which template and values.
/// </summary>
public sealed record OutboundMessage(
    string DedupeKey, Channel Channel, string Template, string Recipient, IReadOnlyDictionary<string, string> Personalisation,
    NhsNumber? NhsNumber = null);

/// <summary>
/// The transactional outbox: a message is written in the caller's transaction, with the change that causes it, so that it
/// exists exactly when the change does. The same <see cref="OutboundMessage.DedupeKey"/> written twice makes one message.
/// </summary>
public sealed class Outbox(TimeProvider clock)
{
    /// <summary>Writes the message unless one with its key exists; true when written. The values must fit the template.</summary>
    public Task<bool> EnqueueAsync(DbConnection connection, DbTransaction? transaction, OutboundMessage message, CancellationToken cancellationToken = default) =>
        EnqueueAsync(connection, transaction, message, clock.GetUtcNow(), cancellationToken);

    /// <summary>As <see cref="EnqueueAsync(DbConnection, DbTransaction?, OutboundMessage, CancellationToken)"/>, at the caller's "now".</summary>
    public static async Task<bool> EnqueueAsync(
        DbConnection connection, DbTransaction? transaction, OutboundMessage message, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        var template = MessageTemplates.Find(message.Template, message.Channel)
            ?? throw new ArgumentException($"No template '{message.Template}' for {message.Channel}.", nameof(message));
        if (template.Check(message.Personalisation) is { } problem)
        {
            throw new ArgumentException(problem, nameof(message));
        }

        var written = await connection.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO notification_messages (id, dedupe_key, channel, template, recipient, personalisation, nhs_number, status, attempts, next_attempt_at, created_at)
            VALUES (@Id, @DedupeKey, @Channel, @Template, @Recipient, @Personalisation, @NhsNumber, 'pending', 0, @Now, @Now)
            ON CONFLICT (dedupe_key) DO NOTHING
            """,
            new
            {
                Id = Guid.NewGuid().ToString("D"),
                message.DedupeKey,
                Channel = ChannelName(message.Channel),
                message.Template,
                message.Recipient,
                Personalisation = JsonSerializer.Serialize(message.Personalisation),
                NhsNumber = message.NhsNumber?.Value,
                Now = now,
            },
            transaction,
            cancellationToken: cancellationToken));
        return written == 1;
    }

    public static string ChannelName(Channel channel) => channel.ToString().ToLowerInvariant();

    public static Channel ParseChannel(string name) => name switch
    {
        "sms" => Channel.Sms,
        "email" => Channel.Email,
        _ => Channel.Letter,
    };
}
