using Microsoft.AspNetCore.Http.Features;

namespace Immunise.Web.Hosting;

/// <summary>
/// Caps request bodies for the API and FHIR endpoints at 1 MB and answers a larger one with 413 <c>payload-too-large</c>
/// before any endpoint reads it. A body without a Content-Length is read into memory up to the cap.
/// </summary>
public sealed class RequestBodyLimit(RequestDelegate next)
{
    public const long MaxBytes = 1024 * 1024;

    /// <remarks>
    /// Not an async method: a request this middleware lets through is handed on as it is, so a request that waits further
    /// down (for its audit line, say) suspends and resumes without this frame in its chain.
    /// </remarks>
    public Task InvokeAsync(HttpContext context)
    {
        var path = context.Request.Path;
        if (!path.StartsWithSegments("/api") && !path.StartsWithSegments("/fhir"))
        {
            return next(context);
        }

        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = MaxBytes;
        }

        var length = context.Request.ContentLength;
        if (length > MaxBytes)
        {
            return TooLargeAsync(context);
        }

        return length is null && context.Features.Get<IHttpRequestBodyDetectionFeature>()?.CanHaveBody == true
            ? BufferThenInvokeAsync(context)
            : next(context);
    }

    /// <summary>A body of unknown length: read into memory up to the cap, then handed on with its length known.</summary>
    private async Task BufferThenInvokeAsync(HttpContext context)
    {
        var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await context.Request.Body.ReadAsync(chunk, context.RequestAborted)) > 0)
        {
            if (buffer.Length + read > MaxBytes)
            {
                await TooLargeAsync(context);
                return;
            }

            buffer.Write(chunk, 0, read);
        }

        buffer.Position = 0;
        context.Request.Body = buffer;
        context.Request.ContentLength = buffer.Length;
        context.Response.RegisterForDispose(buffer);
        await next(context);
    }

    private static Task TooLargeAsync(HttpContext context) =>
        HttpErrors.WriteAsync(context, StatusCodes.Status413PayloadTooLarge, "payload-too-large",
            $"The request body is larger than {MaxBytes / 1024} KB.");
}
