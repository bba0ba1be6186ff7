using System.Security.Claims;
using System.Threading.RateLimiting;
using Immunise.Staff;
using Immunise.Web.Hosting;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.RateLimiting;

namespace Immunise.Web.Staff;

/// <summary>
/// Staff sign in with a cookie (D6), beside the API-key scheme systems use. The cookie is <c>__Host-</c> prefixed, Secure,
/// HttpOnly and SameSite=Strict, and carries only the account id, its security stamp and its grants; on every request the
/// account is read again, so a disabled account, a changed password or a revoked role takes effect at once. Pages that
/// need a sign-in redirect to it; API calls answer 401/403 ProblemDetails.
/// </summary>
public static class StaffCookie
{
    public const string SchemeName = "StaffCookie";
    public const string CookieName = "__Host-Immunise-Staff";
    public const string SignInPath = "/staff/sign-in";
    public const string SignInRateLimit = "staff-sign-in";

    public static IServiceCollection AddStaffAccess(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<StaffOptions>().Bind(configuration.GetSection(StaffOptions.Section)).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton(sp => sp.GetRequiredService<Microsoft.Extensions.Options.IOptions<StaffOptions>>().Value);
        services.AddSingleton<StaffDirectory>();
        services.AddSingleton<ManageStaff>();
        services.AddSingleton<SignIn>();
        services.AddSingleton<ChangePassword>();
        services.AddSingleton<SiteRegions>();
        services.AddSingleton<DemoStaff>();
        services.AddSingleton<IAuthorizationHandler, StaffAccessHandler>();

        var options = configuration.GetSection(StaffOptions.Section).Get<StaffOptions>() ?? new StaffOptions();
        services.AddAuthentication().AddCookie(SchemeName, cookie =>
        {
            cookie.Cookie.Name = CookieName;
            cookie.Cookie.HttpOnly = true;
            cookie.Cookie.SecurePolicy = CookieSecurePolicy.Always;
            cookie.Cookie.SameSite = SameSiteMode.Strict;
            cookie.Cookie.Path = "/";
            cookie.ExpireTimeSpan = TimeSpan.FromMinutes(options.SessionMinutes);
            cookie.SlidingExpiration = true;
            cookie.LoginPath = SignInPath;
            cookie.Events = new CookieAuthenticationEvents
            {
                OnValidatePrincipal = ValidateAsync,
                OnRedirectToLogin = context => IsApi(context.Request)
                    ? HttpErrors.WriteAsync(context.HttpContext, StatusCodes.Status401Unauthorized, "unauthenticated", "Sign in with a staff account to use this endpoint.")
                    : Redirect(context),
                OnRedirectToAccessDenied = context =>
                {
                    context.Response.StatusCode = StatusCodes.Status403Forbidden;
                    return IsApi(context.Request)
                        ? HttpErrors.WriteAsync(context.HttpContext, StatusCodes.Status403Forbidden, "forbidden", "Your roles do not allow this, or not for this site.")
                        : Task.CompletedTask; // the status code page explains
                },
            };
        });

        services.AddAuthorizationBuilder().AddPolicy(StaffAccessAttribute.PolicyName, policy => policy
            .AddAuthenticationSchemes(SchemeName)
            .RequireAuthenticatedUser()
            .AddRequirements(new StaffAccessRequirement()));

        services.AddRateLimiter(limiter =>
        {
            limiter.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            limiter.AddPolicy(SignInRateLimit, http => HttpMethods.IsPost(http.Request.Method)
                ? RateLimitPartition.GetFixedWindowLimiter(http.Connection.RemoteIpAddress?.ToString() ?? "unknown", _ =>
                {
                    var limits = http.RequestServices.GetRequiredService<StaffOptions>();
                    return new FixedWindowRateLimiterOptions
                    {
                        PermitLimit = limits.SignInAttemptsPerWindow,
                        Window = TimeSpan.FromSeconds(limits.SignInWindowSeconds),
                        QueueLimit = 0,
                    };
                })
                : RateLimitPartition.GetNoLimiter("read"));
            limiter.OnRejected = (context, _) => new ValueTask(HttpErrors.WriteAsync(context.HttpContext, StatusCodes.Status429TooManyRequests,
                "too-many-requests", "Too many sign-in attempts from here. Wait a minute and try again."));
        });
        return services;
    }

    public static Task SignInAsync(HttpContext http, StaffUser user) =>
        http.SignInAsync(SchemeName, StaffClaims.Principal(user), new AuthenticationProperties { IsPersistent = false, AllowRefresh = true });

    public static Task SignOutAsync(HttpContext http) => http.SignOutAsync(SchemeName);

    private static bool IsApi(HttpRequest request) => request.Path.StartsWithSegments("/api");

    private static Task Redirect(RedirectContext<CookieAuthenticationOptions> context)
    {
        // The return address is this site's own path (never a full URL from elsewhere); paths carry no personal data.
        var returnTo = context.Request.PathBase + context.Request.Path;
        context.Response.Redirect($"{SignInPath}?returnUrl={Uri.EscapeDataString(returnTo)}");
        return Task.CompletedTask;
    }

    /// <summary>Reads the account again: gone, disabled or re-stamped (password changed) ends the sign-in; grants are refreshed.</summary>
    private static async Task ValidateAsync(CookieValidatePrincipalContext context)
    {
        var id = context.Principal?.FindFirstValue(ClaimTypes.NameIdentifier);
        var stamp = context.Principal?.FindFirstValue(StaffClaims.SecurityStamp);
        var user = id is null ? null : await context.HttpContext.RequestServices.GetRequiredService<StaffDirectory>().FindAsync(id, context.HttpContext.RequestAborted);
        if (user is null || user.IsDisabled || user.SecurityStamp != stamp)
        {
            context.RejectPrincipal();
            await context.HttpContext.SignOutAsync(SchemeName);
            return;
        }

        context.ReplacePrincipal(StaffClaims.Principal(user));
    }
}
