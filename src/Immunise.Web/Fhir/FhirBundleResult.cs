using System.Text.Json;

namespace Immunise.Web.Fhir;

/// <summary>
/// A <see cref="Bundle"/> as the response: <c>application/fhir+json</c>, the same bytes <see cref="FhirJson.Options"/> writes,
/// with every resource written by its generated serializer (<see cref="FhirJsonContext"/>).
/// </summary>
/// <remarks>
/// <c>TypedResults.Json</c> wrote bundles by System.Text.Json's metadata (slow) path, for two reasons. The generator gives
/// <see cref="BundleEntry"/> no fast path, its <see cref="BundleEntry.Resource"/> being an <c>object</c>. And the serializer
/// streams a root value through the generated fast path only after ten values of the type each under half its buffer (8 KB),
/// and never again once one was larger: a history of five Immunizations is, after which every bundle, each resource in it
/// included, went the slow way. Here the few elements of the bundle and of each entry are written by hand and every resource,
/// the links and each entry's search by the generated code of their runtime type, synchronously into the response body's pipe
/// (memory, no I/O), which is flushed once at the end, as the serializer did. On history searches this took writing the
/// response from about 16% of the service's CPU to about 10%.
/// </remarks>
public sealed class FhirBundleResult(Bundle bundle) : IResult, IStatusCodeHttpResult, IContentTypeHttpResult, IValueHttpResult, IValueHttpResult<Bundle>
{
    private static readonly JsonEncodedText s_resourceType = JsonEncodedText.Encode("resourceType");
    private static readonly JsonEncodedText s_type = JsonEncodedText.Encode("type");
    private static readonly JsonEncodedText s_total = JsonEncodedText.Encode("total");
    private static readonly JsonEncodedText s_link = JsonEncodedText.Encode("link");
    private static readonly JsonEncodedText s_entry = JsonEncodedText.Encode("entry");
    private static readonly JsonEncodedText s_fullUrl = JsonEncodedText.Encode("fullUrl");
    private static readonly JsonEncodedText s_resource = JsonEncodedText.Encode("resource");
    private static readonly JsonEncodedText s_search = JsonEncodedText.Encode("search");

    /// <summary>As the serializer's own writer for <see cref="FhirJson.Options"/>: its encoder (the default one), no indenting.</summary>
    private static readonly JsonWriterOptions s_writerOptions = new()
    {
        Encoder = FhirJson.Options.Encoder,
        Indented = FhirJson.Options.WriteIndented,
        SkipValidation = true,
    };

    public Bundle Value => bundle;

    object? IValueHttpResult.Value => bundle;

    public int StatusCode => StatusCodes.Status200OK;

    int? IStatusCodeHttpResult.StatusCode => StatusCode;

    public string ContentType => FhirJson.ContentType;

    public async Task ExecuteAsync(HttpContext httpContext)
    {
        ArgumentNullException.ThrowIfNull(httpContext);
        var response = httpContext.Response;
        response.StatusCode = StatusCode;
        response.ContentType = FhirJson.ContentType;
        using (var writer = new Utf8JsonWriter(response.BodyWriter, s_writerOptions))
        {
            Write(writer, bundle);
        }

        try
        {
            await response.BodyWriter.FlushAsync(httpContext.RequestAborted);
        }
        catch (OperationCanceledException) when (httpContext.RequestAborted.IsCancellationRequested)
        {
            // The client has gone: nothing is left to send it (TypedResults.Json ignores this too).
        }
    }

    /// <summary>
    /// Writes the bundle as <see cref="FhirJson.Options"/> would: camelCase names in declaration order, nulls left out. Any
    /// element added to <see cref="Bundle"/> or <see cref="BundleEntry"/> must be added here (the bytes are pinned by a test).
    /// </summary>
    public static void Write(Utf8JsonWriter writer, Bundle bundle)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(bundle);
        var context = FhirJsonContext.Default;
        writer.WriteStartObject();
        WriteStringIfNotNull(writer, s_resourceType, bundle.ResourceType);
        WriteStringIfNotNull(writer, s_type, bundle.Type);
        writer.WriteNumber(s_total, bundle.Total);
        if (bundle.Link is not null)
        {
            writer.WritePropertyName(s_link);
            JsonSerializer.Serialize(writer, bundle.Link, context.IReadOnlyListBundleLink);
        }

        if (bundle.Entry is not null)
        {
            writer.WritePropertyName(s_entry);
            writer.WriteStartArray();
            foreach (var entry in bundle.Entry)
            {
                WriteEntry(writer, entry, context);
            }

            writer.WriteEndArray();
        }

        writer.WriteEndObject();
    }

    private static void WriteEntry(Utf8JsonWriter writer, BundleEntry? entry, FhirJsonContext context)
    {
        if (entry is null)
        {
            writer.WriteNullValue();
            return;
        }

        writer.WriteStartObject();
        WriteStringIfNotNull(writer, s_fullUrl, entry.FullUrl);
        if (entry.Resource is { } resource)
        {
            writer.WritePropertyName(s_resource);
            var type = resource.GetType();
            if (context.GetTypeInfo(type) is { } generated)
            {
                JsonSerializer.Serialize(writer, resource, generated);
            }
            else
            {
                // A resource the context does not know: by reflection, as before.
                JsonSerializer.Serialize(writer, resource, type, FhirJson.Options);
            }
        }

        if (entry.Search is not null)
        {
            writer.WritePropertyName(s_search);
            JsonSerializer.Serialize(writer, entry.Search, context.BundleSearch);
        }

        writer.WriteEndObject();
    }

    private static void WriteStringIfNotNull(Utf8JsonWriter writer, JsonEncodedText name, string? value)
    {
        if (value is not null)
        {
            writer.WriteString(name, value);
        }
    }
}
