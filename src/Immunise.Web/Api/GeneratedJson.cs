using System.Reflection;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Http.Metadata;

namespace Immunise.Web.Api;

/// <summary>
/// A 200 answer written by a type's generated serializer (<see cref="RegisterJsonContext"/>), the same bytes
/// <c>TypedResults.Ok</c> writes.
/// </summary>
/// <remarks>
/// <c>TypedResults.Ok</c> serializes through the application's <c>JsonOptions</c>, and System.Text.Json uses a context's
/// generated fast path only under options compatible with the context's own. The application's are not: ASP.NET Core sets
/// the relaxed encoder (<see cref="JavaScriptEncoder.UnsafeRelaxedJsonEscaping"/>) there. So every answer went through the
/// metadata (slow) path, about 8 % of the service's CPU on a person lookup in <c>perf</c>. Here the generated handler
/// writes into a writer with the application's encoder, synchronously into the response body's pipe (memory, no I/O),
/// flushed once. Property names are plain ASCII, so they come out the same under either encoder; a test pins the bytes.
/// </remarks>
public sealed class GeneratedJson<T> : IResult, IStatusCodeHttpResult, IContentTypeHttpResult, IValueHttpResult, IValueHttpResult<T>,
    IEndpointMetadataProvider
{
    public const string JsonContentType = "application/json; charset=utf-8";

    private readonly Action<Utf8JsonWriter, T> _write;

    public GeneratedJson(T value, JsonTypeInfo<T> typeInfo)
    {
        ArgumentNullException.ThrowIfNull(typeInfo);
        Value = value;
        _write = typeInfo.SerializeHandler
            ?? throw new ArgumentException($"{typeof(T).Name} has no generated serializer in its context.", nameof(typeInfo));
    }

    public T Value { get; }

    object? IValueHttpResult.Value => Value;

    public int StatusCode => StatusCodes.Status200OK;

    int? IStatusCodeHttpResult.StatusCode => StatusCode;

    public string ContentType => JsonContentType;

    public async Task ExecuteAsync(HttpContext httpContext)
    {
        ArgumentNullException.ThrowIfNull(httpContext);
        var response = httpContext.Response;
        response.StatusCode = StatusCode;
        response.ContentType = JsonContentType;
        WriteTo(response.BodyWriter);
        try
        {
            await response.BodyWriter.FlushAsync(httpContext.RequestAborted);
        }
        catch (OperationCanceledException) when (httpContext.RequestAborted.IsCancellationRequested)
        {
            // The client has gone: nothing is left to send it (TypedResults.Ok ignores this too).
        }
    }

    /// <summary>Writes the value as the application's JSON options would (web names, relaxed escaping, no indenting).</summary>
    public void WriteTo(System.Buffers.IBufferWriter<byte> output)
    {
        using var writer = new Utf8JsonWriter(output, GeneratedJson.WriterOptions);
        _write(writer, Value);
    }

    /// <summary>Declares the 200 answer and its schema in the OpenAPI document, as <c>Ok&lt;T&gt;</c> does.</summary>
    public static void PopulateMetadata(MethodInfo method, EndpointBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Metadata.Add(new ProducesResponseTypeMetadata(StatusCodes.Status200OK, typeof(T), ["application/json"]));
    }
}

/// <summary>Creates <see cref="GeneratedJson{T}"/> answers.</summary>
public static class GeneratedJson
{
    /// <summary>As ASP.NET Core's own writer for its default <c>JsonOptions</c>: relaxed escaping, no indenting.</summary>
    internal static readonly JsonWriterOptions WriterOptions = new()
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        SkipValidation = true,
    };

    public static GeneratedJson<T> Ok<T>(T value, JsonTypeInfo<T> typeInfo) => new(value, typeInfo);
}
