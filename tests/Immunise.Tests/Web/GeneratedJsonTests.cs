extern alias web;

using System.Buffers;
using System.Text;
using System.Text.Json;
using Immunise.Eligibility;
using Immunise.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using web::Immunise.Web.Api;
using HttpJsonOptions = Microsoft.AspNetCore.Http.Json.JsonOptions;

namespace Immunise.Tests.Web;

/// <summary>
/// Person, vaccination list and ping answers are written by <see cref="GeneratedJson{T}"/> (the generated serializers) rather
/// than by <c>TypedResults.Ok</c>: the bytes must be those the application's JSON options write, escaping included.
/// </summary>
public sealed class GeneratedJsonTests
{
    private static readonly PersonResponse s_person = new(
        "9434765919", "943 476 5919", "Zoë", "O'Brien <Smith> & \"Jones\"", new DateOnly(1954, 3, 9), "female", "LS1 4AP",
        "B86024", new CodedValue("A", "White - British"),
        new PersonFlags(true, ["chronic-respiratory", "immunosuppressed"], []),
        new ContactDetails("+447700900123", "zoe+nhs@example.org", "1 Rue de l'Église\nLeeds"), new DateOnly(2026, 1, 2));

    private static readonly PersonResponse s_sparse = new(
        "9434765919", "943 476 5919", "Ann", "Lee", new DateOnly(2000, 1, 1), "unknown", "LS1 4AP", null, null,
        new PersonFlags(false, [], []), new ContactDetails(null, null, null), null);

    private static readonly VaccinationListResponse s_list = new("9434765919", 2,
    [
        new VaccinationResponse("evt-1", "9434765919", new CodedValue("840539006", "COVID-19"),
            new ProductSummary("39115611000001103", "Comirnaty 30micrograms/0.3ml", "Comirnaty", "Pfizer & BioNTech"), 1,
            new DateTimeOffset(2025, 10, 1, 10, 15, 0, TimeSpan.FromHours(1)), "B86024", "FK<1234>", new DateOnly(2026, 2, 1),
            new CodedValue("78421000", "Intramuscular"), new CodedValue("368208006", "Left upper arm"), "Nurse Zoë", true, "completed",
            new DateTimeOffset(2025, 10, 1, 10, 20, 1, TimeSpan.FromHours(1)).AddTicks(1234567), "bench", "https://supplier.example/?a=1&b=2",
            "imm/0001", null, null),
        new VaccinationResponse("evt-2", "9434765919", new CodedValue("6142004", "Influenza"),
            new ProductSummary("x", "y", "z", "w"), 1, new DateTimeOffset(2026, 10, 5, 14, 30, 0, TimeSpan.Zero), "B86024", null, null,
            null, null, null, false, "entered-in-error", new DateTimeOffset(2026, 10, 5, 14, 31, 0, TimeSpan.Zero), "bench", null, null,
            new DateTimeOffset(2026, 10, 6, 8, 0, 0, TimeSpan.Zero), "Wrong person"),
    ]);

    [Fact]
    public async Task Answers_AreTheBytesTheApplicationsJsonOptionsWrite()
    {
        // The JSON options do not depend on the database: one start is enough.
        await using var app = await ImmuniseApp.StartAsync(DatabaseProvider.Sqlite);
        var options = app.Services.GetRequiredService<IOptions<HttpJsonOptions>>().Value.SerializerOptions;

        AssertSame(JsonSerializer.SerializeToUtf8Bytes(s_person, options), GeneratedJson.Ok(s_person, RegisterJsonContext.Default.PersonResponse));
        AssertSame(JsonSerializer.SerializeToUtf8Bytes(s_sparse, options), GeneratedJson.Ok(s_sparse, RegisterJsonContext.Default.PersonResponse));
        AssertSame(JsonSerializer.SerializeToUtf8Bytes(s_list, options), GeneratedJson.Ok(s_list, RegisterJsonContext.Default.VaccinationListResponse));
        var ping = new PingResponse("ok");
        AssertSame(JsonSerializer.SerializeToUtf8Bytes(ping, options), GeneratedJson.Ok(ping, RegisterJsonContext.Default.PingResponse));

        // The relaxed escaping the application uses: '+', '&', quotes and non-ASCII letters as they are, '<' and '>' too.
        var json = Write(GeneratedJson.Ok(s_person, RegisterJsonContext.Default.PersonResponse));
        Assert.Contains("\"mobile\":\"+447700900123\"", json, StringComparison.Ordinal);
        Assert.Contains("\"givenName\":\"Zoë\"", json, StringComparison.Ordinal);
        Assert.Contains("O'Brien <Smith> & \\\"Jones\\\"", json, StringComparison.Ordinal);
    }

    [Fact]
    public void EligibilityAnswer_IsTheBytesItsRelaxedOptionsWrite()
    {
        var options = new JsonSerializerOptions
        {
            Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
            TypeInfoResolver = new System.Text.Json.Serialization.Metadata.DefaultJsonTypeInfoResolver(),
        };
        var response = new EligibilityResponse("7d6c-1", new ResponseMeta("2026-11-24T06:00:00Z"),
        [
            new ProcessedSuggestion("COVID", "Actionable", "You should have the COVID-19 vaccine", [
                new EligibilityCohort("covid_age_75+", "Aged 75 or over & \"frail\"", "Actionable"),
                new EligibilityCohort("care_home", "Lives in a care home <résidence>", "NotActionable"),
            ], [new SuitabilityRule("S", "AlreadyVaccinated", "You've had it + more")], [
                new SuggestedAction("ButtonWithAuthLink", "BookNBS", "Book at a site near you", "https://www.nhs.uk/book?x=1&y=2", "Book"),
            ]),
            new ProcessedSuggestion("FLU", "NotEligible", "We do not believe you can have it", [], [], null),
        ]);

        var json = Write(GeneratedJson.Ok(response, EligibilityJsonContext.Default.EligibilityResponse));

        Assert.Equal(JsonSerializer.Serialize(response, options), json);
        Assert.DoesNotContain("\"actions\":null", json, StringComparison.Ordinal);
        Assert.Contains("\"urlLink\":\"https://www.nhs.uk/book?x=1&y=2\"", json, StringComparison.Ordinal);
    }

    [Fact]
    public void AType_WithoutAGeneratedSerializer_IsRefused()
    {
        var reflected = (System.Text.Json.Serialization.Metadata.JsonTypeInfo<PingResponse>)new JsonSerializerOptions
        {
            TypeInfoResolver = new System.Text.Json.Serialization.Metadata.DefaultJsonTypeInfoResolver(),
        }.GetTypeInfo(typeof(PingResponse));

        Assert.Throws<ArgumentException>(() => GeneratedJson.Ok(new PingResponse("ok"), reflected));
    }

    private static void AssertSame<T>(byte[] expected, GeneratedJson<T> answer) =>
        Assert.Equal(Encoding.UTF8.GetString(expected), Write(answer));

    private static string Write<T>(GeneratedJson<T> answer)
    {
        var buffer = new ArrayBufferWriter<byte>();
        answer.WriteTo(buffer);
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }
}
