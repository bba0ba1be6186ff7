using System.Buffers.Binary;
using System.Buffers.Text;
using System.Security.Cryptography;
using Dapper;
using Immunise.Storage;

namespace Immunise.WaitingRoom;

/// <summary>
/// A place in the queue, as its holder carries it: a random id (its row), its sequence number (0 while it waits for a
/// scheduled opening to be numbered) and when it was issued. Signed, so it cannot be made up or altered.
/// </summary>
public sealed record Ticket(string Id, long Sequence, DateTimeOffset IssuedAt)
{
    public bool Numbered => Sequence > 0;
}

/// <summary>Leave to use the booking service, for one ticket, from <see cref="AdmittedAt"/> until <see cref="ExpiresAt"/>.</summary>
public sealed record Admission(string TicketId, long Sequence, DateTimeOffset AdmittedAt, DateTimeOffset ExpiresAt);

/// <summary>What a presented ticket or token turned out to be.</summary>
public enum TokenCheck
{
    Valid,

    /// <summary>None was presented.</summary>
    Missing,

    /// <summary>Not one of ours: malformed, altered, or signed with a key we do not hold.</summary>
    Forged,

    /// <summary>Ours, but past its lifetime.</summary>
    Expired,

    /// <summary>An admission token for another ticket than the one presented with it.</summary>
    OtherTicket,
}

/// <summary>
/// Signs and checks tickets and admission tokens with HMAC-SHA256 under keys every node shares (<see cref="SigningKeys"/>).
/// Both are URL-safe base64 of a small binary payload followed by the first 16 bytes of its MAC. The payload starts with a
/// version, the kind (ticket or admission, so one cannot pass for the other) and the key's id.
/// <list type="bullet">
/// <item>ticket: 16-byte id, sequence, issued (Unix ms)</item>
/// <item>admission: 16-byte ticket id, sequence, admitted, expires (Unix ms)</item>
/// </list>
/// Checking costs one HMAC of under 50 bytes: no database, no allocation beyond the result.
/// </summary>
public sealed class QueueSigning(SigningKeys keys)
{
    private const byte Version = 1;
    private const byte TicketKind = (byte)'T';
    private const byte AdmissionKind = (byte)'A';
    private const int MacLength = 16;
    private const int TicketPayload = 3 + 16 + 8 + 8;
    private const int AdmissionPayload = 3 + 16 + 8 + 8 + 8;

    /// <summary>Longest text accepted before decoding (a little more than either form).</summary>
    public const int MaxLength = 96;

    [ThreadStatic]
    private static Dictionary<byte[], IncrementalHash>? s_threadHmacs;

    public string Sign(Ticket ticket)
    {
        var (keyId, key) = keys.Current;
        Span<byte> buffer = stackalloc byte[TicketPayload + MacLength];
        Header(buffer, TicketKind, keyId);
        WriteId(buffer[3..19], ticket.Id);
        BinaryPrimitives.WriteInt64BigEndian(buffer[19..], ticket.Sequence);
        BinaryPrimitives.WriteInt64BigEndian(buffer[27..], ticket.IssuedAt.ToUnixTimeMilliseconds());
        Mac(key, buffer[..TicketPayload], buffer[TicketPayload..]);
        return Base64Url.EncodeToString(buffer);
    }

    public string Sign(Admission admission)
    {
        var (keyId, key) = keys.Current;
        Span<byte> buffer = stackalloc byte[AdmissionPayload + MacLength];
        Header(buffer, AdmissionKind, keyId);
        WriteId(buffer[3..19], admission.TicketId);
        BinaryPrimitives.WriteInt64BigEndian(buffer[19..], admission.Sequence);
        BinaryPrimitives.WriteInt64BigEndian(buffer[27..], admission.AdmittedAt.ToUnixTimeMilliseconds());
        BinaryPrimitives.WriteInt64BigEndian(buffer[35..], admission.ExpiresAt.ToUnixTimeMilliseconds());
        Mac(key, buffer[..AdmissionPayload], buffer[AdmissionPayload..]);
        return Base64Url.EncodeToString(buffer);
    }

    /// <summary>The ticket in <paramref name="text"/> when it is ours and unaltered (its age is for the caller to judge).</summary>
    public TokenCheck TryRead(string? text, out Ticket? ticket)
    {
        ticket = null;
        Span<byte> buffer = stackalloc byte[TicketPayload + MacLength];
        var check = Open(text, TicketKind, buffer);
        if (check != TokenCheck.Valid)
        {
            return check;
        }

        ticket = new Ticket(
            Convert.ToHexStringLower(buffer[3..19]),
            BinaryPrimitives.ReadInt64BigEndian(buffer[19..]),
            DateTimeOffset.FromUnixTimeMilliseconds(BinaryPrimitives.ReadInt64BigEndian(buffer[27..])));
        return ticket.Sequence >= 0 ? TokenCheck.Valid : TokenCheck.Forged;
    }

    /// <summary>
    /// Whether <paramref name="text"/> is an admission token of ours, unaltered, not expired at <paramref name="now"/>, and
    /// for <paramref name="ticket"/> (a token copied to another ticket's holder is refused).
    /// </summary>
    public TokenCheck Check(string? text, Ticket? ticket, DateTimeOffset now, out Admission? admission)
    {
        admission = null;
        Span<byte> buffer = stackalloc byte[AdmissionPayload + MacLength];
        var check = Open(text, AdmissionKind, buffer);
        if (check != TokenCheck.Valid)
        {
            return check;
        }

        admission = new Admission(
            Convert.ToHexStringLower(buffer[3..19]),
            BinaryPrimitives.ReadInt64BigEndian(buffer[19..]),
            DateTimeOffset.FromUnixTimeMilliseconds(BinaryPrimitives.ReadInt64BigEndian(buffer[27..])),
            DateTimeOffset.FromUnixTimeMilliseconds(BinaryPrimitives.ReadInt64BigEndian(buffer[35..])));
        if (ticket is null || ticket.Id != admission.TicketId || ticket.Sequence != admission.Sequence)
        {
            return TokenCheck.OtherTicket;
        }

        return admission.ExpiresAt > now ? TokenCheck.Valid : TokenCheck.Expired;
    }

    private TokenCheck Open(string? text, byte kind, Span<byte> buffer)
    {
        if (string.IsNullOrEmpty(text))
        {
            return TokenCheck.Missing;
        }

        if (text.Length > MaxLength || !Base64Url.TryDecodeFromChars(text, buffer, out var written) || written != buffer.Length)
        {
            return TokenCheck.Forged;
        }

        var payload = buffer[..^MacLength];
        if (payload[0] != Version || payload[1] != kind || keys.Find(payload[2]) is not { } key)
        {
            return TokenCheck.Forged;
        }

        Span<byte> expected = stackalloc byte[MacLength];
        Mac(key, payload, expected);
        return CryptographicOperations.FixedTimeEquals(expected, buffer[^MacLength..]) ? TokenCheck.Valid : TokenCheck.Forged;
    }

    private static void Header(Span<byte> buffer, byte kind, byte keyId)
    {
        buffer[0] = Version;
        buffer[1] = kind;
        buffer[2] = keyId;
    }

    private static void WriteId(Span<byte> destination, string id)
    {
        if (id.Length != 32 || Convert.FromHexString(id, destination, out _, out var written) != System.Buffers.OperationStatus.Done || written != 16)
        {
            throw new ArgumentException("A ticket id is 32 hexadecimal characters.", nameof(id));
        }
    }

    /// <summary>
    /// HMAC-SHA256, truncated. Each thread keeps one keyed HMAC per key and resets it after use: keying a new one for every
    /// poll (the one-shot API) costs more than the hash itself.
    /// </summary>
    private static void Mac(byte[] key, ReadOnlySpan<byte> payload, Span<byte> destination)
    {
        var hmacs = s_threadHmacs ??= new Dictionary<byte[], IncrementalHash>(ReferenceEqualityComparer.Instance);
        if (!hmacs.TryGetValue(key, out var hmac))
        {
            if (hmacs.Count >= 8)
            {
                foreach (var old in hmacs.Values)
                {
                    old.Dispose();
                }

                hmacs.Clear();
            }

            hmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, key);
            hmacs[key] = hmac;
        }

        Span<byte> full = stackalloc byte[HMACSHA256.HashSizeInBytes];
        hmac.AppendData(payload);
        hmac.GetHashAndReset(full);
        full[..MacLength].CopyTo(destination);
    }

    /// <summary>A new random ticket id: 16 bytes as 32 lower-case hexadecimal characters.</summary>
    public static string NewTicketId() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
}

/// <summary>
/// The HMAC keys every node signs and checks with: from configuration (<see cref="WaitingRoomOptions.SigningKeys"/>, the first
/// signs) when set, otherwise from the <c>waiting_room_keys</c> table (the first node to need one makes it). Every key held
/// verifies. A stored key starts signing only <see cref="ActivationDelay"/> after it was added, by when every node has loaded
/// it (the worker reloads every minute, and a node meeting an unknown key id reloads at once in the background, at most every
/// 30 seconds): so after a rotation no node meets a token it cannot check.
/// </summary>
public sealed class SigningKeys(Database database, WaitingRoomOptions options, TimeProvider clock)
{
    /// <summary>How long a new stored key is only checked before it also signs.</summary>
    public static readonly TimeSpan ActivationDelay = TimeSpan.FromMinutes(2);

    private static readonly TimeSpan s_reloadEvery = TimeSpan.FromSeconds(30);
    private readonly Lock _gate = new();
    private volatile Ring? _ring;
    private long _lastReload;
    private Task? _loading;

    /// <summary>The key that signs now.</summary>
    public (byte Id, byte[] Key) Current => (_ring ?? throw new InvalidOperationException("The waiting room's signing keys are not loaded.")).Current;

    public bool Loaded => _ring is not null;

    /// <summary>Loads the keys the first time they are needed (one load, whoever asks); then completes at once.</summary>
    public ValueTask EnsureLoadedAsync()
    {
        if (_ring is not null)
        {
            return ValueTask.CompletedTask;
        }

        lock (_gate)
        {
            if (_loading is null || _loading.IsFaulted || _loading.IsCanceled)
            {
                _loading = LoadAsync(CancellationToken.None);
            }

            return new ValueTask(_loading);
        }
    }

    /// <summary>The key with this id, if held.</summary>
    public byte[]? Find(byte id)
    {
        var ring = _ring;
        if (ring is null)
        {
            return null;
        }

        if (ring.Keys.TryGetValue(id, out var key))
        {
            return key;
        }

        // Perhaps another node has added a key: look again, in the background and not too often.
        var now = clock.GetTimestamp();
        var last = Interlocked.Read(ref _lastReload);
        if (clock.GetElapsedTime(last, now) > s_reloadEvery && Interlocked.CompareExchange(ref _lastReload, now, last) == last)
        {
            _ = Task.Run(async () =>
            {
                try
                {
                    await LoadAsync();
                }
                catch (Exception e) when (e is System.Data.Common.DbException or InvalidOperationException)
                {
                    // keep the keys held; the next unknown id tries again
                }
            });
        }

        return null;
    }

    public async Task LoadAsync(CancellationToken cancellationToken = default)
    {
        if (!string.IsNullOrWhiteSpace(options.SigningKeys))
        {
            _ring = Ring.From(ParseConfigured(options.SigningKeys), 0);
            return;
        }

        await using var connection = await database.OpenAsync(cancellationToken);
        var rows = await StoredAsync(connection, cancellationToken);
        if (rows.Count == 0)
        {
            await connection.ExecuteAsync(new CommandDefinition(
                "INSERT INTO waiting_room_keys (id, secret, created_at) VALUES (1, @secret, @now) ON CONFLICT (id) DO NOTHING",
                new { secret = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)), now = clock.GetUtcNow() }, cancellationToken: cancellationToken));
            rows = await StoredAsync(connection, cancellationToken);
        }

        // The newest key old enough to be held by every node signs; the first key of all signs at once (there is no other).
        var active = rows.FindIndex(r => r.CreatedAt <= clock.GetUtcNow() - ActivationDelay);
        _ring = Ring.From(rows.Select(r => ((byte)r.Id, Convert.FromBase64String(r.Secret))).ToList(), active < 0 ? rows.Count - 1 : active);
    }

    private static async Task<List<StoredKey>> StoredAsync(System.Data.Common.DbConnection connection, CancellationToken cancellationToken) =>
        (await connection.QueryAsync<StoredKey>(new CommandDefinition(
            "SELECT id, secret, created_at FROM waiting_room_keys ORDER BY id DESC", cancellationToken: cancellationToken))).ToList();

    /// <summary>Adds a new key (the next id): every node checks it from its next reload, and signs with it after <see cref="ActivationDelay"/>.</summary>
    public async Task<byte> RotateAsync(CancellationToken cancellationToken = default)
    {
        if (!string.IsNullOrWhiteSpace(options.SigningKeys))
        {
            throw new InvalidOperationException("The signing keys come from configuration (WaitingRoom:SigningKeys): rotate them there.");
        }

        long id;
        await using (var connection = await database.OpenAsync(cancellationToken))
        {
            id = await connection.ExecuteScalarAsync<long>(new CommandDefinition(
                """
                INSERT INTO waiting_room_keys (id, secret, created_at)
                SELECT COALESCE(MAX(id), 0) + 1, @secret, @now FROM waiting_room_keys HAVING COALESCE(MAX(id), 0) < 255
                RETURNING id
                """,
                new { secret = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)), now = clock.GetUtcNow() }, cancellationToken: cancellationToken));
        }

        if (id == 0)
        {
            throw new InvalidOperationException("There are 255 signing keys already.");
        }

        await LoadAsync(cancellationToken);
        return (byte)id;
    }

    private static List<(byte, byte[])> ParseConfigured(string text)
    {
        var keys = new List<(byte, byte[])>();
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var colon = part.IndexOf(':', StringComparison.Ordinal);
            if (colon < 1 || !byte.TryParse(part.AsSpan(0, colon), System.Globalization.CultureInfo.InvariantCulture, out var id) || id == 0)
            {
                throw new InvalidOperationException("WaitingRoom:SigningKeys: each key is 'id:base64' with an id from 1 to 255.");
            }

            var secret = Convert.FromBase64String(part[(colon + 1)..]);
            if (secret.Length < 32)
            {
                throw new InvalidOperationException("WaitingRoom:SigningKeys: each secret must be at least 32 bytes.");
            }

            keys.Add((id, secret));
        }

        return keys.Count > 0 ? keys : throw new InvalidOperationException("WaitingRoom:SigningKeys holds no key.");
    }

    private sealed record Ring((byte Id, byte[] Key) Current, Dictionary<byte, byte[]> Keys)
    {
        public static Ring From(IReadOnlyList<(byte Id, byte[] Key)> keys, int signing) => new(keys[signing], keys.ToDictionary(k => k.Id, k => k.Key));
    }

    private sealed class StoredKey
    {
        public long Id { get; set; }
        public string Secret { get; set; } = "";
        public DateTimeOffset CreatedAt { get; set; }
    }
}
