using System.Security.Cryptography;
using System.Text;
using Dapper;
using Immunise.Common;
using Immunise.Storage;

namespace Immunise.Access;

/// <summary>What an API key may do.</summary>
public static class Scopes
{
    public const string RecordsRead = "records:read";
    public const string RecordsWrite = "records:write";

    /// <summary>Ask the eligibility check (<c>/eligibility-signposting-api</c>) about a person.</summary>
    public const string EligibilityRead = "eligibility:read";

    /// <summary>List campaign configs and upload new versions.</summary>
    public const string CampaignsWrite = "campaigns:write";

    /// <summary>Search sites and availability; look up appointments (by reference and date of birth, or a person's, audited).</summary>
    public const string BookingRead = "booking:read";

    /// <summary>Hold, confirm, cancel and move appointments for citizens.</summary>
    public const string BookingWrite = "booking:write";

    /// <summary>Create and edit sites; publish, change and cancel their sessions.</summary>
    public const string SitesWrite = "sites:write";

    public static readonly IReadOnlySet<string> All = new HashSet<string>(StringComparer.Ordinal)
    {
        RecordsRead, RecordsWrite, EligibilityRead, CampaignsWrite, BookingRead, BookingWrite, SitesWrite,
    };
}

/// <summary>A system's API key, as the service sees it once verified.</summary>
public sealed record ApiClient(string Id, string Name, IReadOnlySet<string> Scopes)
{
    public bool Has(string scope) => Scopes.Contains(scope);
}

/// <summary>A newly created key: the secret is shown once and stored only as a hash.</summary>
public sealed record CreatedApiKey(ApiClient Client, string Key);

/// <summary>
/// Creates, verifies and revokes API keys. A key reads <c>imm_{id}_{secret}</c>; the database keeps the SHA-256 of the
/// secret (a 256-bit random value needs no slow hash). Verified keys are cached briefly per node.
/// </summary>
public sealed class ApiKeys(Database database, TimeProvider clock)
{
    private static readonly TimeSpan s_cacheFor = TimeSpan.FromSeconds(30);
    private readonly Dictionary<string, (ApiClient Client, string Hash, DateTimeOffset Until)> _cache = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();

    public async Task<Result<CreatedApiKey>> CreateAsync(string name, IEnumerable<string> scopes, CancellationToken cancellationToken = default)
    {
        name = name.Trim();
        if (name.Length is 0 or > 100)
        {
            return Failure.Invalid("invalid-name", "A key's name must be 1 to 100 characters.", "name");
        }

        var scopeSet = new SortedSet<string>(scopes.Select(s => s.Trim()).Where(s => s.Length > 0), StringComparer.Ordinal);
        if (scopeSet.Count == 0 || scopeSet.FirstOrDefault(s => !Scopes.All.Contains(s)) is { } unknown && unknown is not null)
        {
            return Failure.Invalid("invalid-scope", $"Scopes must be some of: {string.Join(", ", Scopes.All)}.", "scopes");
        }

        var id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6));
        var secret = Base64Url(RandomNumberGenerator.GetBytes(32));
        await using var connection = await database.OpenAsync(cancellationToken);
        try
        {
            await connection.ExecuteAsync(new CommandDefinition(
                "INSERT INTO api_keys (id, name, secret_hash, scopes, created_at) VALUES (@id, @name, @hash, @scopes, @now)",
                new { id, name, hash = Hash(secret), scopes = string.Join(' ', scopeSet), now = clock.GetUtcNow() },
                cancellationToken: cancellationToken));
        }
        catch (System.Data.Common.DbException e) when (UniqueViolation.Is(e))
        {
            return Failure.Conflict("duplicate-name", "An API key with this name already exists.", "name");
        }

        return new CreatedApiKey(new ApiClient(id, name, scopeSet), $"imm_{id}_{secret}");
    }

    /// <summary>
    /// Stores a key chosen elsewhere (a demo key from configuration) under a name, when no key has that name yet.
    /// The key must read <c>imm_{id}_{secret}</c> with a secret of at least 32 characters; only its hash is stored.
    /// Returns true when the key was stored now, false when the name was already taken.
    /// </summary>
    public async Task<Result<bool>> EnsureAsync(string name, string key, IEnumerable<string> scopes, CancellationToken cancellationToken = default)
    {
        name = name.Trim();
        if (name.Length is 0 or > 100)
        {
            return Failure.Invalid("invalid-name", "A key's name must be 1 to 100 characters.", "name");
        }

        var parts = key.Split('_', 3);
        if (parts.Length != 3 || parts[0] != "imm" || parts[1].Length is 0 or > 32 || !parts[1].All(char.IsAsciiLetterOrDigit)
            || parts[2].Length < 32 || key.Length > 200)
        {
            return Failure.Invalid("invalid-key", "A key must read imm_{id}_{secret}: an id of letters and digits, a secret of at least 32 characters.", "key");
        }

        var scopeSet = new SortedSet<string>(scopes.Select(s => s.Trim()).Where(s => s.Length > 0), StringComparer.Ordinal);
        if (scopeSet.Count == 0 || scopeSet.Any(s => !Scopes.All.Contains(s)))
        {
            return Failure.Invalid("invalid-scope", $"Scopes must be some of: {string.Join(", ", Scopes.All)}.", "scopes");
        }

        await using var connection = await database.OpenAsync(cancellationToken);
        var rows = await connection.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO api_keys (id, name, secret_hash, scopes, created_at) VALUES (@id, @name, @hash, @scopes, @now)
            ON CONFLICT DO NOTHING
            """,
            new { id = parts[1], name, hash = Hash(parts[2]), scopes = string.Join(' ', scopeSet), now = clock.GetUtcNow() },
            cancellationToken: cancellationToken));
        return rows > 0;
    }

    /// <summary>The client a presented key belongs to, or null when it is unknown, wrong or revoked.</summary>
    public async Task<ApiClient?> VerifyAsync(string? presented, CancellationToken cancellationToken = default)
    {
        if (presented is null || !presented.StartsWith("imm_", StringComparison.Ordinal) || presented.Length > 200)
        {
            return null;
        }

        var parts = presented.Split('_', 3);
        if (parts.Length != 3 || parts[1].Length is 0 or > 32 || !parts[1].All(char.IsAsciiLetterOrDigit))
        {
            return null;
        }

        var (id, secretHash) = (parts[1], Hash(parts[2]));
        var now = clock.GetUtcNow();
        lock (_lock)
        {
            if (_cache.TryGetValue(id, out var cached) && cached.Until > now)
            {
                return FixedTimeEquals(cached.Hash, secretHash) ? cached.Client : null;
            }
        }

        await using var connection = await database.OpenAsync(cancellationToken);
        var row = await connection.QuerySingleOrDefaultAsync<KeyRow>(new CommandDefinition(
            "SELECT id, name, secret_hash, scopes FROM api_keys WHERE id = @id AND revoked_at IS NULL", new { id },
            cancellationToken: cancellationToken));
        if (row is null)
        {
            // Not cached: ids anyone can make up must not grow the cache. It holds only keys that exist.
            return null;
        }

        var client = new ApiClient(row.Id, row.Name, row.Scopes.Split(' ').ToHashSet(StringComparer.Ordinal));
        lock (_lock)
        {
            _cache[id] = (client, row.SecretHash, now + s_cacheFor);
        }

        return FixedTimeEquals(row.SecretHash, secretHash) ? client : null;
    }

    public async Task<bool> RevokeAsync(string name, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var rows = await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE api_keys SET revoked_at = @now WHERE name = @name AND revoked_at IS NULL", new { name, now = clock.GetUtcNow() },
            cancellationToken: cancellationToken));
        lock (_lock)
        {
            _cache.Clear();
        }

        return rows > 0;
    }

    public async Task<IReadOnlyList<(string Name, string Scopes, DateTimeOffset CreatedAt, DateTimeOffset? RevokedAt)>> ListAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var rows = await connection.QueryAsync<ListRow>(new CommandDefinition(
            "SELECT name, scopes, created_at, revoked_at FROM api_keys ORDER BY name", cancellationToken: cancellationToken));
        return rows.Select(r => (r.Name, r.Scopes, r.CreatedAt, r.RevokedAt)).ToList();
    }

    private static string Hash(string secret) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(secret)));

    private static bool FixedTimeEquals(string a, string b) =>
        CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(a), Encoding.ASCII.GetBytes(b));

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '-');

    private sealed class KeyRow
    {
        public string Id { get; set; } = "";
        public string Name { get; set; } = "";
        public string SecretHash { get; set; } = "";
        public string Scopes { get; set; } = "";
    }

    private sealed class ListRow
    {
        public string Name { get; set; } = "";
        public string Scopes { get; set; } = "";
        public DateTimeOffset CreatedAt { get; set; }
        public DateTimeOffset? RevokedAt { get; set; }
    }
}
