using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Immunise.Access;
using Immunise.Storage;
using Immunise.Tests.Infrastructure;

namespace Immunise.Tests.Web;

public sealed class HostingTests
{
    [Theory, ClassData(typeof(BothDatabases))]
    public async Task Logs_DuringPersonReadsSearchesAndFailures_NeverContainTheNhsNumber(DatabaseProvider provider)
    {
        // Even when configuration asks for every framework log, paths (which carry NHS numbers) stay out.
        await using var app = await ImmuniseApp.StartAsync(provider, new Dictionary<string, string>
        {
            ["Logging:LogLevel:Default"] = "Trace",
            ["Logging:LogLevel:Microsoft"] = "Trace",
            ["Logging:LogLevel:Microsoft.AspNetCore"] = "Trace",
            ["Logging:LogLevel:Microsoft.AspNetCore.Hosting.Diagnostics"] = "Trace",
            ["Logging:LogLevel:Microsoft.AspNetCore.Routing"] = "Trace",
        });
        var nhs = await app.AddPersonAsync();
        var client = await app.ClientAsync(Scopes.RecordsRead, Scopes.RecordsWrite);
        await app.RecordAsync(client, nhs, ImmuniseApp.Now.AddDays(-3));

        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync($"/api/v1/people/{nhs}")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync($"/api/v1/people/{nhs}/vaccinations")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync($"/fhir/Patient/{nhs}")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(
            $"/fhir/Immunization?patient.identifier=https://fhir.nhs.uk/Id/nhs-number|{nhs}&-immunization.target=COVID19")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await app.Anonymous().GetAsync($"/api/v1/people/{nhs}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync($"/api/v1/people/{nhs}/nothing-here")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await client.PostAsync("/api/v1/vaccinations",
            new StringContent($"{{\"nhsNumber\": \"{nhs}\", \"occurredAt\": \"{nhs}\"}}", System.Text.Encoding.UTF8, "application/json"))).StatusCode);

        var lines = app.Logs.Lines;
        Assert.NotEmpty(lines);
        Assert.DoesNotContain(lines, l => l.Contains(nhs.Value, StringComparison.Ordinal) || l.Contains(nhs.Display, StringComparison.Ordinal));
    }

    [Fact]
    public async Task OpenApiDocument_ListsTheRegisterPathsAndTheApiKeyScheme()
    {
        await using var app = await ImmuniseApp.StartAsync(DatabaseProvider.Sqlite);

        var document = await app.Anonymous().GetFromJsonAsync<JsonElement>("/openapi/v1.json");

        var paths = document.GetProperty("paths").EnumerateObject().Select(p => p.Name).ToList();
        Assert.Contains("/api/v1/people/{nhsNumber}", paths);
        Assert.Contains("/api/v1/people/{nhsNumber}/vaccinations", paths);
        Assert.Contains("/api/v1/vaccinations", paths);
        Assert.Contains("/api/v1/vaccinations/{id}", paths);
        Assert.Contains("/api/v1/vaccinations/{id}/entered-in-error", paths);
        Assert.DoesNotContain(paths, p => p.StartsWith("/fhir", StringComparison.Ordinal));
        var post = document.GetProperty("paths").GetProperty("/api/v1/vaccinations").GetProperty("post");
        Assert.True(post.GetProperty("responses").TryGetProperty("409", out _));
        Assert.True(post.TryGetProperty("security", out _));
        Assert.False(document.GetProperty("paths").GetProperty("/api/v1/ping").GetProperty("get").TryGetProperty("security", out _));
        Assert.False(document.GetProperty("paths").GetProperty("/api/v1/sites/{odsCode}/stock").GetProperty("get").TryGetProperty("security", out _));
        Assert.Equal("X-Api-Key", document.GetProperty("components").GetProperty("securitySchemes").GetProperty("ApiKey").GetProperty("name").GetString());

        // Answers written by generated code (GeneratedJson) still declare their 200 and its schema.
        foreach (var (path, schema) in new[]
        {
            ("/api/v1/people/{nhsNumber}", "PersonResponse"),
            ("/api/v1/people/{nhsNumber}/vaccinations", "VaccinationListResponse"),
            ("/api/v1/ping", "PingResponse"),
        })
        {
            var ok = document.GetProperty("paths").GetProperty(path).GetProperty("get").GetProperty("responses").GetProperty("200");
            var declared = ok.GetProperty("content").GetProperty("application/json").GetProperty("schema").GetRawText();
            Assert.Contains(schema, declared, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task HomePage_IsServerRenderedHtmlWithTheNhsStylesheetAndSecurityHeaders()
    {
        await using var app = await ImmuniseApp.StartAsync(DatabaseProvider.Sqlite);
        var client = app.Anonymous();

        var response = await client.GetAsync("/");
        var css = await client.GetAsync("/lib/nhsuk-frontend/nhsuk-frontend.min.css");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        var html = await response.Content.ReadAsStringAsync();
        Assert.Contains("<h1>Immunise</h1>", html, StringComparison.Ordinal);
        Assert.Contains("href=\"/lib/nhsuk-frontend/nhsuk-frontend.min.css\"", html, StringComparison.Ordinal);
        Assert.Contains("href=\"/openapi/v1.json\"", html, StringComparison.Ordinal);
        Assert.Contains("href=\"/fhir/metadata\"", html, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, css.StatusCode);
        Assert.Equal("default-src 'self'", response.Headers.GetValues("Content-Security-Policy").Single().Split(';')[0]);
        Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.Equal("no-referrer", response.Headers.GetValues("Referrer-Policy").Single());
        Assert.Equal("DENY", response.Headers.GetValues("X-Frame-Options").Single());
    }

    [Theory, ClassData(typeof(BothDatabases))]
    public async Task HealthAndPing_AnswerWithoutAKey(DatabaseProvider provider)
    {
        await using var app = await ImmuniseApp.StartAsync(provider);
        var client = app.Anonymous();

        var live = await client.GetAsync("/health/live");
        var ready = await client.GetAsync("/health/ready");
        var ping = await client.GetFromJsonAsync<JsonElement>("/api/v1/ping");

        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        Assert.Equal("Healthy", await ready.Content.ReadAsStringAsync());
        Assert.Equal("ok", ping.GetProperty("status").GetString());
        Assert.Equal("DENY", ready.Headers.GetValues("X-Frame-Options").Single());
    }

    [Theory, ClassData(typeof(BothDatabases))]
    public async Task BenchSelect_IsAbsentUnlessSet_AndWhenSetAnswers204ForAnyNumber_OutsideTheApiDescription(DatabaseProvider provider)
    {
        await using (var plain = await ImmuniseApp.StartAsync(provider))
        {
            var nhs = await plain.AddPersonAsync();
            Assert.Equal(HttpStatusCode.NotFound, (await plain.Anonymous().GetAsync($"/bench/select/{nhs}")).StatusCode);
        }

        await using var app = await ImmuniseApp.StartAsync(provider, new Dictionary<string, string> { ["Benchmarks:BareEndpoints"] = "true" });
        var stored = await app.AddPersonAsync();
        var client = app.Anonymous();

        var found = await client.GetAsync($"/bench/select/{stored}");
        var missing = await client.GetAsync("/bench/select/9999999999");

        // The same answer, with no body, whether or not the person exists: the endpoint tells a caller nothing.
        Assert.Equal(HttpStatusCode.NoContent, found.StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, missing.StatusCode);
        Assert.Empty(await found.Content.ReadAsByteArrayAsync());
        var document = await client.GetFromJsonAsync<JsonElement>("/openapi/v1.json");
        Assert.DoesNotContain(document.GetProperty("paths").EnumerateObject(), p => p.Name.StartsWith("/bench", StringComparison.Ordinal));
    }

    [Fact]
    public async Task UnknownFhirRoute_AnswersWithOperationOutcome_AndUnknownApiRouteWithProblem()
    {
        await using var app = await ImmuniseApp.StartAsync(DatabaseProvider.Sqlite);
        var client = await app.ClientAsync();

        var fhir = await client.GetAsync("/fhir/Observation/1");
        var api = await client.GetAsync("/api/v1/nothing");

        await Fhir.FhirTests.AssertOutcomeAsync(fhir, HttpStatusCode.NotFound, "not-found", "NOT_FOUND", "not-found");
        await Api.RegisterApiTests.AssertProblemAsync(api, HttpStatusCode.NotFound, "not-found");
    }
}
