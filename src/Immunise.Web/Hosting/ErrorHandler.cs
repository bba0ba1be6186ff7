using System.Text.Json;
using Immunise.Web.Api;
using Immunise.Web.Fhir;
using Microsoft.AspNetCore.Diagnostics;

namespace Immunise.Web.Hosting;

/// <summary>
/// HTTP-level errors (bad bodies, unknown routes, unexpected exceptions), written the way the caller speaks:
/// OperationOutcome under <c>/fhir</c>, ProblemDetails everywhere else. Use-case failures go through
/// <see cref="Problems"/> and <see cref="OperationOutcomes"/> directly.
/// </summary>
public static class HttpErrors
{
    /// <summary>Paths whose errors are OperationOutcomes: FHIR, and NHS England's Eligibility Signposting API.</summary>
    public static bool IsFhir(HttpContext context) =>
        context.Request.Path.StartsWithSegments("/fhir") || context.Request.Path.StartsWithSegments("/eligibility-signposting-api");

    /// <summary>Staff pages (not their APIs): errors are HTML pages a person can read.</summary>
    public static bool IsStaffPage(HttpContext context) => context.Request.Path.StartsWithSegments("/staff");

    public static Task WriteAsync(HttpContext context, int status, string code, string message) =>
        IsFhir(context) ? OperationOutcomes.WriteAsync(context, status, code, message)
        : IsStaffPage(context) ? StaffErrorPage.WriteAsync(context, status, code, message)
        : Problems.WriteAsync(context, status, code, message);

    /// <summary>The stable code for a bare status code.</summary>
    public static string CodeFor(int status) => status switch
    {
        StatusCodes.Status400BadRequest => "bad-request",
        StatusCodes.Status401Unauthorized => "unauthenticated",
        StatusCodes.Status403Forbidden => "forbidden",
        StatusCodes.Status404NotFound => "not-found",
        StatusCodes.Status405MethodNotAllowed => "method-not-allowed",
        StatusCodes.Status406NotAcceptable => "not-acceptable",
        StatusCodes.Status413PayloadTooLarge => "payload-too-large",
        StatusCodes.Status415UnsupportedMediaType => "unsupported-media-type",
        StatusCodes.Status429TooManyRequests => "too-many-requests",
        >= 500 => "internal-error",
        _ => $"http-{status}",
    };
}

/// <summary>
/// Turns exceptions into answers. Bad request bodies (malformed JSON, wrong content type, too large) are the caller's
/// error: 400/413/415 with a code. Anything else is ours: 500, logged with the trace id, no request data.
/// </summary>
public sealed class ErrorHandler(ILogger<ErrorHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken cancellationToken)
    {
        var (status, code, message) = exception switch
        {
            BadHttpRequestException { StatusCode: StatusCodes.Status413PayloadTooLarge } =>
                (StatusCodes.Status413PayloadTooLarge, "payload-too-large", $"The request body is larger than {RequestBodyLimit.MaxBytes / 1024} KB."),
            BadHttpRequestException { StatusCode: StatusCodes.Status415UnsupportedMediaType } =>
                (StatusCodes.Status415UnsupportedMediaType, "unsupported-media-type", "The request body must be JSON (Content-Type: application/json or application/fhir+json)."),
            BadHttpRequestException { InnerException: JsonException json } =>
                (StatusCodes.Status400BadRequest, "malformed-json", DescribeJson(json)),
            BadHttpRequestException bad when bad.Message.Contains("body was not provided", StringComparison.OrdinalIgnoreCase) =>
                (StatusCodes.Status400BadRequest, "missing-body", "The request needs a JSON body."),
            BadHttpRequestException bad =>
                (bad.StatusCode, HttpErrors.CodeFor(bad.StatusCode), "The request could not be read: a parameter is missing or not in the expected format."),
            _ => (StatusCodes.Status500InternalServerError, "internal-error", "Something went wrong on our side. Quote the trace id if you contact us."),
        };

        if (status >= 500)
        {
            RequestLog.Unhandled(logger, exception, exception.GetType().Name, context.TraceIdentifier);
        }
        else
        {
            RequestLog.BadRequest(logger, context.TraceIdentifier, status, code);
        }

        if (context.Response.HasStarted)
        {
            return false;
        }

        context.Response.Clear();
        await HttpErrors.WriteAsync(context, status, code, message);
        return true;
    }

    /// <summary>Where the JSON went wrong (a JSON path and line), never the offending value.</summary>
    private static string DescribeJson(JsonException json)
    {
        var where = json.Path is { Length: > 0 } path ? $" at {path}" : "";
        var line = json.LineNumber is { } l ? $" (line {l + 1})" : "";
        return $"The request body is not valid JSON for this request{where}{line}.";
    }

    /// <summary>For <c>UseStatusCodePages</c>: an empty 4xx/5xx answer gets a body with a code.</summary>
    public static Task WriteStatusCodePageAsync(StatusCodeContext context)
    {
        var status = context.HttpContext.Response.StatusCode;
        var message = status switch
        {
            StatusCodes.Status403Forbidden => "You do not have access to this page. Your roles do not allow it, or not for this site. "
                + "If you were given a temporary password, change it first.",
            StatusCodes.Status404NotFound => "There is nothing at this address.",
            StatusCodes.Status405MethodNotAllowed => "This address does not accept that HTTP method.",
            StatusCodes.Status415UnsupportedMediaType => "The request body must be JSON.",
            _ => "The request could not be served.",
        };
        return HttpErrors.WriteAsync(context.HttpContext, status, HttpErrors.CodeFor(status), message);
    }
}

/// <summary>A plain HTML error page for staff pages (status, a sentence, a way back), in the NHS layout's styles.</summary>
public static class StaffErrorPage
{
    public static async Task WriteAsync(HttpContext context, int status, string code, string message)
    {
        var title = status switch
        {
            StatusCodes.Status403Forbidden => "You do not have access",
            StatusCodes.Status404NotFound => "Page not found",
            StatusCodes.Status429TooManyRequests => "Too many attempts",
            >= 500 => "Sorry, there is a problem with the service",
            _ => "There is a problem",
        };
        context.Response.StatusCode = status;
        context.Response.ContentType = "text/html; charset=utf-8";
        var encode = System.Text.Encodings.Web.HtmlEncoder.Default;
        await context.Response.WriteAsync($$"""
            <!DOCTYPE html>
            <html lang="en">
            <head><meta charset="utf-8"><title>{{encode.Encode(title)}} – Immunise</title>
            <meta name="viewport" content="width=device-width, initial-scale=1"><link rel="stylesheet" href="/lib/nhsuk-frontend/nhsuk-frontend.min.css"></head>
            <body><div class="nhsuk-width-container"><main class="nhsuk-main-wrapper" id="maincontent">
            <h1>{{encode.Encode(title)}}</h1>
            <p>{{encode.Encode(message)}}</p>
            <p class="nhsuk-body-s">Error code: <code>{{encode.Encode(code)}}</code>. Reference: <code>{{encode.Encode(context.TraceIdentifier)}}</code></p>
            <p><a href="/staff">Go to the staff home page</a></p>
            </main></div></body></html>
            """);
    }
}
