using System.Security.Claims;
using System.Text.Encodings.Web;
using Immunise.Access;
using Immunise.Web.Hosting;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace Immunise.Web.Access;

public sealed class ApiKeyAuthenticationOptions : AuthenticationSchemeOptions;

/// <summary>
/// Systems authenticate with an API key: <c>X-Api-Key: imm_…</c> or <c>Authorization: ApiKey imm_…</c>, verified against
/// the stored hash (<see cref="ApiKeys"/>). The key's scopes become <c>scope</c> claims for the per-scope policies.
/// A missing or wrong key is 401 <c>unauthenticated</c>; a key without the scope is 403 <c>forbidden</c>.
/// </summary>
public sealed class ApiKeyAuthentication(
    IOptionsMonitor<ApiKeyAuthenticationOptions> options,
    ILoggerFactory loggerFactory,
    UrlEncoder encoder,
    ApiKeys apiKeys)
    : AuthenticationHandler<ApiKeyAuthenticationOptions>(options, loggerFactory, encoder)
{
    public const string SchemeName = "ApiKey";
    public const string HeaderName = "X-Api-Key";
    public const string ScopeClaim = "scope";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var presented = PresentedKey(Request);
        if (presented is null)
        {
            return AuthenticateResult.NoResult();
        }

        var client = await apiKeys.VerifyAsync(presented, Context.RequestAborted);
        if (client is null)
        {
            return AuthenticateResult.Fail("The API key is not valid.");
        }

        var claims = new List<Claim>
        {
            new(ClaimTypes.NameIdentifier, client.Id),
            new(ClaimTypes.Name, client.Name),
        };
        claims.AddRange(client.Scopes.Select(s => new Claim(ScopeClaim, s)));
        var principal = new ClaimsPrincipal(new ClaimsIdentity(claims, SchemeName));
        return AuthenticateResult.Success(new AuthenticationTicket(principal, SchemeName));
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        var result = await HandleAuthenticateOnceSafeAsync();
        var message = result.None
            ? $"An API key is required: send it in the {HeaderName} header."
            : "The API key is not valid, or has been revoked.";
        RequestLog.AuthenticationFailed(Logger, Context.TraceIdentifier, result.None ? "missing-key" : "invalid-key");
        await HttpErrors.WriteAsync(Context, StatusCodes.Status401Unauthorized, "unauthenticated", message);
    }

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties) =>
        HttpErrors.WriteAsync(Context, StatusCodes.Status403Forbidden, "forbidden", "This API key does not have the scope this request needs.");

    private static string? PresentedKey(HttpRequest request)
    {
        if (request.Headers.TryGetValue(HeaderName, out var header) && header.Count == 1 && !string.IsNullOrWhiteSpace(header[0]))
        {
            return header[0]!.Trim();
        }

        var authorization = request.Headers.Authorization.ToString();
        const string prefix = "ApiKey ";
        return authorization.StartsWith(prefix, StringComparison.OrdinalIgnoreCase) ? authorization[prefix.Length..].Trim() : null;
    }
}

public static class ApiKeyClaims
{
    /// <summary>The API key's name: the actor in the audit trail.</summary>
    public static string KeyName(this ClaimsPrincipal user) => user.FindFirstValue(ClaimTypes.Name) ?? "unknown";
}
