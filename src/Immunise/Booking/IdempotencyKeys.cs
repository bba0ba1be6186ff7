using System.Security.Cryptography;
using System.Text;
using Dapper;
using Immunise.Storage;

namespace Immunise.Booking;

/// <summary>What became of a request's <c>Idempotency-Key</c>.</summary>
public enum IdempotencyOutcome
{
    /// <summary>The key is new (or its earlier request died): run the request, then <see cref="IdempotencyKeys.CompleteAsync"/>.</summary>
    Run,
    /// <summary>The same key and body were answered before: send <see cref="IdempotencyClaim.Response"/> again.</summary>
    Replay,
    /// <summary>The key was used for a different request (another body or operation).</summary>
    Mismatch,
    /// <summary>The key's first request is still running.</summary>
    InProgress,
}

/// <summary>A stored answer: status, content type and body, sent again byte for byte.</summary>
public sealed record StoredResponse(int Status, string ContentType, string Body);

public sealed record IdempotencyClaim(IdempotencyOutcome Outcome, StoredResponse? Response = null);

/// <summary>
/// Idempotency keys of booking requests, per API client: the first request with a key inserts a row (the primary key
/// decides between racing requests), runs, and stores its answer; a retry with the same key and the same body gets that
/// answer again; the same key with another body is refused. A request that failed on our side (5xx) gives its key up, so
/// a retry runs again; a row whose request died without answering is taken over after <see cref="AbandonedAfter"/>.
/// Keys are kept for <see cref="KeepFor"/>.
/// </summary>
public sealed class IdempotencyKeys(Database database, TimeProvider clock)
{
    public static readonly TimeSpan AbandonedAfter = TimeSpan.FromMinutes(1);
    public static readonly TimeSpan KeepFor = TimeSpan.FromHours(24);
    public const int MaxKeyLength = 255;

    public static bool IsValidKey(string? key) => key is { Length: > 0 and <= MaxKeyLength } && key.All(c => c is >= '!' and <= '~');

    /// <summary>A fingerprint of the request: its operation and its body as bound and serialised again.</summary>
    public static string Hash(string operation, string body) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(operation + "\n" + body)));

    public async Task<IdempotencyClaim> BeginAsync(string clientId, string key, string operation, string requestHash, CancellationToken cancellationToken = default)
    {
        var now = clock.GetUtcNow();
        using var turn = await database.WriteTurnAsync(cancellationToken);
        await using var connection = await turn.OpenAsync(cancellationToken);
        var inserted = await connection.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO idempotency_keys (client_id, key, operation, request_hash, response, created_at)
            VALUES (@clientId, @key, @operation, @requestHash, NULL, @now)
            ON CONFLICT (client_id, key) DO NOTHING
            """,
            new { clientId, key, operation, requestHash, now }, cancellationToken: cancellationToken));
        if (inserted == 1)
        {
            return new IdempotencyClaim(IdempotencyOutcome.Run);
        }

        var row = await connection.QuerySingleOrDefaultAsync<Row>(new CommandDefinition(
            "SELECT operation, request_hash, response, created_at FROM idempotency_keys WHERE client_id = @clientId AND key = @key",
            new { clientId, key }, cancellationToken: cancellationToken));
        if (row is null)
        {
            return new IdempotencyClaim(IdempotencyOutcome.InProgress); // purged in between: the retry will start afresh
        }

        if (row.Operation != operation || row.RequestHash != requestHash)
        {
            return new IdempotencyClaim(IdempotencyOutcome.Mismatch);
        }

        if (row.Response is { } stored)
        {
            var newline = stored.IndexOf('\n', StringComparison.Ordinal);
            var secondNewline = stored.IndexOf('\n', newline + 1);
            return new IdempotencyClaim(IdempotencyOutcome.Replay, new StoredResponse(
                int.Parse(stored[..newline], System.Globalization.CultureInfo.InvariantCulture), stored[(newline + 1)..secondNewline], stored[(secondNewline + 1)..]));
        }

        var takenOver = await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE idempotency_keys SET created_at = @now WHERE client_id = @clientId AND key = @key AND response IS NULL AND created_at <= @abandoned",
            new { clientId, key, now, abandoned = now - AbandonedAfter }, cancellationToken: cancellationToken));
        return new IdempotencyClaim(takenOver == 1 ? IdempotencyOutcome.Run : IdempotencyOutcome.InProgress);
    }

    public async Task CompleteAsync(string clientId, string key, StoredResponse response, CancellationToken cancellationToken = default)
    {
        using var turn = await database.WriteTurnAsync(cancellationToken);
        await using var connection = await turn.OpenAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE idempotency_keys SET response = @stored WHERE client_id = @clientId AND key = @key",
            new { clientId, key, stored = $"{response.Status.ToString(System.Globalization.CultureInfo.InvariantCulture)}\n{response.ContentType}\n{response.Body}" },
            cancellationToken: cancellationToken));
    }

    public async Task AbandonAsync(string clientId, string key, CancellationToken cancellationToken = default)
    {
        using var turn = await database.WriteTurnAsync(cancellationToken);
        await using var connection = await turn.OpenAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM idempotency_keys WHERE client_id = @clientId AND key = @key AND response IS NULL",
            new { clientId, key }, cancellationToken: cancellationToken));
    }

    /// <summary>Forgets keys older than <see cref="KeepFor"/>; returns how many.</summary>
    public async Task<int> PurgeAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM idempotency_keys WHERE created_at < @before", new { before = clock.GetUtcNow() - KeepFor }, cancellationToken: cancellationToken));
    }

    private sealed class Row
    {
        public string Operation { get; set; } = "";
        public string RequestHash { get; set; } = "";
        public string? Response { get; set; }
        public DateTimeOffset CreatedAt { get; set; }
    }
}
