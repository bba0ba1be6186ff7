using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Immunise.Notifications;

/// <summary>
/// A GOV.UK Notify API key, <c>{key_name}-{service_id}-{secret_key}</c> (the last two are UUIDs), and the bearer token made
/// from it for each request: a JWT signed with HS256 by the secret, claiming <c>iss</c> = service id and <c>iat</c> = now.
/// The secret never leaves this type (not in logs, not in <see cref="ToString"/>).
/// </summary>
public sealed class NotifyApiKey
{
    private readonly byte[] _secret;

    private NotifyApiKey(string name, string serviceId, string secret)
    {
        Name = name;
        ServiceId = serviceId;
        _secret = Encoding.UTF8.GetBytes(secret);
    }

    public string Name { get; }

    public string ServiceId { get; }

    /// <summary>Reads a key; the reason is safe to show (it never repeats the secret).</summary>
    public static bool TryParse(string? text, out NotifyApiKey? key, out string? reason)
    {
        key = null;
        reason = null;
        text = text?.Trim();
        // Two UUIDs of 36 characters each, with a hyphen before each, at the end; a name of at least one character before.
        const int uuid = 36;
        if (string.IsNullOrEmpty(text) || text.Length < (2 * uuid) + 3)
        {
            reason = "A Notify API key has the form {key_name}-{service_id}-{secret_key}.";
            return false;
        }

        var secret = text[^uuid..];
        var service = text[^((2 * uuid) + 1)..^(uuid + 1)];
        var name = text[..^((2 * uuid) + 2)];
        if (text[^(uuid + 1)] != '-' || text[^((2 * uuid) + 2)] != '-' || !Guid.TryParseExact(secret, "D", out _)
            || !Guid.TryParseExact(service, "D", out _) || name.Length == 0)
        {
            reason = "A Notify API key ends with the service ID and the secret key, two UUIDs.";
            return false;
        }

        key = new NotifyApiKey(name, service, secret);
        return true;
    }

    public static NotifyApiKey Parse(string text) =>
        TryParse(text, out var key, out var reason) ? key! : throw new FormatException(reason);

    /// <summary>The bearer token for a request made at <paramref name="now"/>.</summary>
    public string Token(DateTimeOffset now)
    {
        var header = Base64Url("""{"typ":"JWT","alg":"HS256"}"""u8);
        var payload = Base64Url(JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object>
        {
            ["iss"] = ServiceId,
            ["iat"] = now.ToUnixTimeSeconds(),
        }));
        var signed = $"{header}.{payload}";
        var signature = HMACSHA256.HashData(_secret, Encoding.ASCII.GetBytes(signed));
        return $"{signed}.{Base64Url(signature)}";
    }

    public override string ToString() => $"{Name}-{ServiceId}-…";

    private static string Base64Url(ReadOnlySpan<byte> bytes) =>
        Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
