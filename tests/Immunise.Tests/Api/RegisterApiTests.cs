using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Immunise.Access;
using Immunise.People;
using Immunise.Storage;
using Immunise.Tests.Infrastructure;
using Immunise.Tests.Web;
using Microsoft.Extensions.DependencyInjection;

namespace Immunise.Tests.Api;

public sealed class RegisterApiTests
{
    private static readonly DateTimeOffset s_now = ImmuniseApp.Now;

    [Theory, ClassData(typeof(BothDatabases))]
    public async Task GetPerson_WithReadKey_ReturnsPersonAndAuditsTheRead(DatabaseProvider provider)
    {
        await using var app = await ImmuniseApp.StartAsync(provider);
        var nhs = await app.AddPersonAsync();
        var client = await app.ClientAsync(Scopes.RecordsRead);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/people/943 476 5919");
        request.Headers.Add("X-Access-Purpose", "direct care");
        request.Headers.Add("X-Correlation-ID", "corr-123");

        var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var person = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("9434765919", person.GetProperty("nhsNumber").GetString());
        Assert.Equal("943 476 5919", person.GetProperty("nhsNumberFormatted").GetString());
        Assert.Equal("Taylor", person.GetProperty("familyName").GetString());
        Assert.Equal("1965-02-28", person.GetProperty("dateOfBirth").GetString());
        Assert.Equal("White - British", person.GetProperty("ethnicity").GetProperty("display").GetString());
        Assert.True(person.GetProperty("flags").GetProperty("careHomeResident").GetBoolean());
        Assert.Equal("DIABETES", person.GetProperty("flags").GetProperty("clinicalRiskGroups")[0].GetString());
        Assert.Equal("07700900123", person.GetProperty("contact").GetProperty("mobile").GetString());
        var audit = Assert.Single(await app.AuditFor(nhs));
        Assert.Equal(("api-key", "person.read", "direct care", "corr-123"), (audit.ActorType, audit.Action, audit.Purpose, audit.CorrelationId));
        Assert.StartsWith("test-", audit.ActorId, StringComparison.Ordinal);
    }

    [Theory, ClassData(typeof(BothDatabases))]
    public async Task GetPerson_InvalidUnknownOrUnauthorised_AnswersWithProblemCodes(DatabaseProvider provider)
    {
        await using var app = await ImmuniseApp.StartAsync(provider);
        await app.AddPersonAsync();
        var reader = await app.ClientAsync(Scopes.RecordsRead);
        var writer = await app.ClientAsync(Scopes.RecordsWrite);
        var wrongKey = app.Anonymous();
        wrongKey.DefaultRequestHeaders.Add("X-Api-Key", "imm_abc_notarealsecretnotarealsecretnotarealsecret");

        await AssertProblemAsync(await reader.GetAsync("/api/v1/people/9434765918"), HttpStatusCode.BadRequest, "invalid-nhs-number");
        await AssertProblemAsync(await reader.GetAsync("/api/v1/people/9990000018"), HttpStatusCode.NotFound, "person-not-found");
        await AssertProblemAsync(await app.Anonymous().GetAsync("/api/v1/people/9434765919"), HttpStatusCode.Unauthorized, "unauthenticated");
        await AssertProblemAsync(await wrongKey.GetAsync("/api/v1/people/9434765919"), HttpStatusCode.Unauthorized, "unauthenticated");
        await AssertProblemAsync(await writer.GetAsync("/api/v1/people/9434765919"), HttpStatusCode.Forbidden, "forbidden");
        Assert.Empty(await app.AuditFor(ImmuniseApp.Sarah));
        Assert.Empty(await app.AuditFor(NhsNumber.Parse("9990000018"))); // no one was read: nothing to audit
    }

    [Theory, ClassData(typeof(BothDatabases))]
    public async Task GetPerson_WithAuthorizationApiKeyHeader_IsAccepted(DatabaseProvider provider)
    {
        await using var app = await ImmuniseApp.StartAsync(provider);
        await app.AddPersonAsync();
        var key = (await app.Services.GetRequiredService<ApiKeys>().CreateAsync("bearer-style", [Scopes.RecordsRead])).Value!.Key;
        var client = app.Anonymous();
        client.DefaultRequestHeaders.Add("Authorization", $"ApiKey {key}");

        var response = await client.GetAsync("/api/v1/people/9434765919");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Theory, ClassData(typeof(BothDatabases))]
    public async Task GetVaccinations_FiltersByTargetAndDates_AndAuditsTheRead(DatabaseProvider provider)
    {
        await using var app = await ImmuniseApp.StartAsync(provider);
        var nhs = await app.AddPersonAsync();
        var client = await app.ClientAsync();
        var covid1 = await app.RecordAsync(client, nhs, s_now.AddDays(-100));
        var covid2 = await app.RecordAsync(client, nhs, s_now.AddDays(-40));
        var flu = await app.RecordAsync(client, nhs, s_now.AddDays(-30), Products.FluCellBased);

        var all = await client.GetFromJsonAsync<JsonElement>($"/api/v1/people/{nhs}/vaccinations");
        var covid = await client.GetFromJsonAsync<JsonElement>($"/api/v1/people/{nhs}/vaccinations?target=COVID19");
        var recent = await client.GetFromJsonAsync<JsonElement>(
            $"/api/v1/people/{nhs}/vaccinations?target=COVID19,FLU&from={s_now.AddDays(-50):yyyy-MM-dd}&to={s_now:yyyy-MM-dd}");

        Assert.Equal([covid1, covid2, flu], Ids(all));
        Assert.Equal([covid1, covid2], Ids(covid));
        Assert.Equal([covid2, flu], Ids(recent));
        Assert.Equal(2, covid.GetProperty("vaccinations")[1].GetProperty("doseNumber").GetInt32());
        Assert.Equal(3, (await app.AuditFor(nhs)).Count(a => a.Action == "vaccinations.read"));
        await AssertProblemAsync(await client.GetAsync($"/api/v1/people/{nhs}/vaccinations?target=MMR"), HttpStatusCode.BadRequest, "unknown-target");
        await AssertProblemAsync(await client.GetAsync($"/api/v1/people/{nhs}/vaccinations?from=01/02/2026"), HttpStatusCode.BadRequest, "invalid-date");
        await AssertProblemAsync(await client.GetAsync("/api/v1/people/9990000018/vaccinations"), HttpStatusCode.NotFound, "person-not-found");
    }

    [Theory, ClassData(typeof(BothDatabases))]
    public async Task RecordVaccination_Valid_Returns201WithLocationAndCanBeReadBack(DatabaseProvider provider)
    {
        await using var app = await ImmuniseApp.StartAsync(provider);
        var nhs = await app.AddPersonAsync();
        var client = await app.ClientAsync();

        var response = await client.PostAsJsonAsync("/api/v1/vaccinations", ImmuniseApp.Vaccination(nhs, s_now.AddDays(-1)));

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var created = await response.Content.ReadFromJsonAsync<JsonElement>();
        var id = created.GetProperty("id").GetString();
        Assert.Equal($"/api/v1/vaccinations/{id}", response.Headers.Location?.OriginalString);
        var read = await client.GetFromJsonAsync<JsonElement>(response.Headers.Location);
        Assert.Equal(Products.Comirnaty, read.GetProperty("product").GetProperty("code").GetString());
        Assert.Equal("COVID19", read.GetProperty("targetDisease").GetProperty("code").GetString());
        Assert.Equal(1, read.GetProperty("doseNumber").GetInt32());
        Assert.Equal("FK1234", read.GetProperty("batchNumber").GetString());
        Assert.Equal("78421000", read.GetProperty("route").GetProperty("code").GetString());
        Assert.Equal(s_now.AddDays(-1), read.GetProperty("occurredAt").GetDateTimeOffset());
        var actions = (await app.AuditFor(nhs)).Select(a => a.Action).ToList();
        Assert.Contains("vaccination.recorded", actions);
        Assert.Contains("vaccination.read", actions);
    }

    [Theory, ClassData(typeof(BothDatabases))]
    public async Task RecordVaccination_BreaksARule_IsRefusedWithCodeAndStoresNothing(DatabaseProvider provider)
    {
        await using var app = await ImmuniseApp.StartAsync(provider);
        var nhs = await app.AddPersonAsync();
        var client = await app.ClientAsync();
        var reader = await app.ClientAsync(Scopes.RecordsRead);

        await AssertProblemAsync(await client.PostAsJsonAsync("/api/v1/vaccinations", ImmuniseApp.Vaccination(nhs, s_now.AddDays(-1), "12345")),
            HttpStatusCode.BadRequest, "unknown-product", "productCode");
        await AssertProblemAsync(await client.PostAsJsonAsync("/api/v1/vaccinations", ImmuniseApp.Vaccination(nhs, s_now.AddDays(2))),
            HttpStatusCode.BadRequest, "occurred-in-future", "occurredAt");
        await AssertProblemAsync(await client.PostAsJsonAsync("/api/v1/vaccinations", ImmuniseApp.Vaccination(NhsNumber.Parse("9990000018"), s_now.AddDays(-1))),
            HttpStatusCode.NotFound, "person-not-found");
        await AssertProblemAsync(await reader.PostAsJsonAsync("/api/v1/vaccinations", ImmuniseApp.Vaccination(nhs, s_now.AddDays(-1))),
            HttpStatusCode.Forbidden, "forbidden");
        var history = await client.GetFromJsonAsync<JsonElement>($"/api/v1/people/{nhs}/vaccinations");
        Assert.Equal(0, history.GetProperty("count").GetInt32());
    }

    [Theory, ClassData(typeof(BothDatabases))]
    public async Task RecordVaccination_SameProductSameDay_Returns409(DatabaseProvider provider)
    {
        await using var app = await ImmuniseApp.StartAsync(provider);
        var nhs = await app.AddPersonAsync();
        var client = await app.ClientAsync();
        await app.RecordAsync(client, nhs, s_now.AddHours(-5));

        var again = await client.PostAsJsonAsync("/api/v1/vaccinations", ImmuniseApp.Vaccination(nhs, s_now.AddHours(-4)));

        await AssertProblemAsync(again, HttpStatusCode.Conflict, "duplicate-vaccination");
    }

    [Theory, ClassData(typeof(BothDatabases))]
    public async Task MarkEnteredInError_HidesFromHistoryAndRefusesTwice(DatabaseProvider provider)
    {
        await using var app = await ImmuniseApp.StartAsync(provider);
        var nhs = await app.AddPersonAsync();
        var client = await app.ClientAsync();
        var id = await app.RecordAsync(client, nhs, s_now.AddDays(-3));

        var marked = await client.PostAsJsonAsync($"/api/v1/vaccinations/{id}/entered-in-error", new { reason = "wrong patient" });
        var twice = await client.PostAsJsonAsync($"/api/v1/vaccinations/{id}/entered-in-error", new { reason = "again" });
        var unknown = await client.PostAsJsonAsync("/api/v1/vaccinations/no-such-id/entered-in-error", new { reason = "x" });

        Assert.Equal(HttpStatusCode.OK, marked.StatusCode);
        Assert.Equal("entered-in-error", (await marked.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("status").GetString());
        await AssertProblemAsync(twice, HttpStatusCode.Conflict, "already-entered-in-error");
        await AssertProblemAsync(unknown, HttpStatusCode.NotFound, "vaccination-not-found");
        Assert.Equal(0, (await client.GetFromJsonAsync<JsonElement>($"/api/v1/people/{nhs}/vaccinations")).GetProperty("count").GetInt32());
        var withErrors = await client.GetFromJsonAsync<JsonElement>($"/api/v1/people/{nhs}/vaccinations?includeEnteredInError=true");
        Assert.Equal("wrong patient", withErrors.GetProperty("vaccinations")[0].GetProperty("enteredInErrorReason").GetString());
        Assert.Contains(await app.AuditFor(nhs), a => a.Action == "vaccination.entered-in-error" && a.ResourceId == id);
    }

    [Theory, ClassData(typeof(BothDatabases))]
    public async Task RecordVaccination_UnreadableBody_Answers4xxWithCodeNever500(DatabaseProvider provider)
    {
        await using var app = await ImmuniseApp.StartAsync(provider);
        var client = await app.ClientAsync();

        var malformed = await client.PostAsync("/api/v1/vaccinations", new StringContent("{\"nhsNumber\": ", Encoding.UTF8, "application/json"));
        var wrongType = await client.PostAsync("/api/v1/vaccinations", new StringContent("nhsNumber=9434765919", Encoding.UTF8, "text/plain"));
        var wrongShape = await client.PostAsync("/api/v1/vaccinations", new StringContent("{\"occurredAt\": \"yesterday\"}", Encoding.UTF8, "application/json"));
        var oversized = await client.PostAsync("/api/v1/vaccinations",
            new StringContent($"{{\"performer\": \"{new string('x', 1_100_000)}\"}}", Encoding.UTF8, "application/json"));

        await AssertProblemAsync(malformed, HttpStatusCode.BadRequest, "malformed-json");
        await AssertProblemAsync(wrongType, HttpStatusCode.UnsupportedMediaType, "unsupported-media-type");
        await AssertProblemAsync(wrongShape, HttpStatusCode.BadRequest, "malformed-json");
        await AssertProblemAsync(oversized, HttpStatusCode.RequestEntityTooLarge, "payload-too-large");
    }

    internal static async Task AssertProblemAsync(HttpResponseMessage response, HttpStatusCode status, string code, string? field = null)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(status == response.StatusCode, $"Expected {(int)status}, got {(int)response.StatusCode}: {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonDocument.Parse(body).RootElement;
        Assert.Equal(code, problem.GetProperty("code").GetString());
        Assert.Equal((int)status, problem.GetProperty("status").GetInt32());
        if (field is not null)
        {
            Assert.Equal(field, problem.GetProperty("field").GetString());
        }
    }

    private static List<string?> Ids(JsonElement list) =>
        list.GetProperty("vaccinations").EnumerateArray().Select(v => v.GetProperty("id").GetString()).ToList();
}
