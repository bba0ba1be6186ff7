namespace Immunise.Web.Hosting;

/// <summary>
/// Headers every response carries: content from this origin only, no sniffing, no referrer, no framing, no powerful browser
/// features, a window and resources of its own. Staff pages and the APIs show personal data: they are never cached.
/// </summary>
public sealed class SecurityHeaders(RequestDelegate next)
{
    private const string ContentSecurityPolicy =
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; font-src 'self'; connect-src 'self'; " +
        "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'";

    public Task InvokeAsync(HttpContext context)
    {
        context.Response.OnStarting(static state =>
        {
            var headers = ((HttpResponse)state).Headers;
            headers.ContentSecurityPolicy = ContentSecurityPolicy;
            headers.XContentTypeOptions = "nosniff";
            headers["Referrer-Policy"] = "no-referrer";
            headers.XFrameOptions = "DENY";
            headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=(), payment=(), usb=()";
            headers["Cross-Origin-Opener-Policy"] = "same-origin";
            headers["Cross-Origin-Resource-Policy"] = "same-origin";
            if (state is HttpResponse response && IsPrivate(response.HttpContext.Request.Path))
            {
                headers.CacheControl = "no-store";
                headers.Pragma = "no-cache";
            }

            return Task.CompletedTask;
        }, context.Response);
        return next(context);
    }

    private static bool IsPrivate(PathString path) =>
        path.StartsWithSegments("/staff") || path.StartsWithSegments("/api") || path.StartsWithSegments("/fhir")
        || path.StartsWithSegments("/eligibility-signposting-api");
}
