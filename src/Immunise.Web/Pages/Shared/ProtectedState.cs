using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.AspNetCore.DataProtection;

namespace Immunise.Web.Pages.Shared;

/// <summary>
/// A journey's state kept in the citizen's browser, encrypted and signed with ASP.NET Core Data Protection, so no node keeps
/// anything in memory and nothing personal appears in a URL, a hidden field in clear, or a log. The cookie is HttpOnly,
/// SameSite=Strict, Secure over HTTPS, a session cookie, and expires <see cref="Lifetime"/> after its last write (checked
/// against the injected clock).
/// </summary>
public sealed class ProtectedState<T>(IDataProtectionProvider protection, TimeProvider clock, string cookieName) where T : class
{
    public static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(60);

    private static readonly JsonSerializerOptions s_json = new(JsonSerializerDefaults.Web);
    private readonly IDataProtector _protector = protection.CreateProtector("Immunise.Web.ProtectedState", cookieName);

    public T? Read(HttpContext context)
    {
        if (!context.Request.Cookies.TryGetValue(cookieName, out var value) || string.IsNullOrEmpty(value))
        {
            return null;
        }

        try
        {
            var envelope = JsonSerializer.Deserialize<Envelope>(_protector.Unprotect(value), s_json);
            return envelope is not null && envelope.ExpiresAt > clock.GetUtcNow() ? envelope.State : null;
        }
        catch (Exception e) when (e is CryptographicException or JsonException or FormatException)
        {
            return null; // tampered with, from an old key, or from an older shape: start again
        }
    }

    public void Write(HttpContext context, T state)
    {
        var envelope = new Envelope(state, clock.GetUtcNow() + Lifetime);
        context.Response.Cookies.Append(cookieName, _protector.Protect(JsonSerializer.Serialize(envelope, s_json)), Options(context));
    }

    public void Clear(HttpContext context) => context.Response.Cookies.Delete(cookieName, Options(context));

    private static CookieOptions Options(HttpContext context) => new()
    {
        HttpOnly = true,
        SameSite = SameSiteMode.Strict,
        Secure = context.Request.IsHttps,
        Path = "/",
        IsEssential = true,
    };

    private sealed record Envelope(T State, DateTimeOffset ExpiresAt);
}
