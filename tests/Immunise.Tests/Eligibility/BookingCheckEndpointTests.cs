using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Dapper;
using Immunise.Access;
using Immunise.Eligibility;
using Immunise.People;
using Immunise.Storage;
using Immunise.Tests.Infrastructure;
using Immunise.Tests.Web;
using Microsoft.Extensions.DependencyInjection;

namespace Immunise.Tests.Eligibility;

/// <summary><c>GET /api/v1/eligibility/booking-check</c> through HTTP on SQLite and PostgreSQL, with a small campaign of our own.</summary>
public sealed class BookingCheckEndpointTests
{
    [Theory, ClassData(typeof(BothDatabases))]
    public async Task BookingCheck_InOpenCohortWithNoDose_AllowedForDoseOneAndAudited(DatabaseProvider provider)
    {
        await using var app = await StartAsync(provider);
        var nhs = await app.AddPersonAsync(dateOfBirth: new DateOnly(1940, 1, 1)); // 86, care home resident
        var client = await app.ClientAsync(Scopes.EligibilityRead);

        var answer = await CheckAsync(client, nhs, "COVID:18%2B", "2026-11-21");

        Assert.True(answer.GetProperty("allowed").GetBoolean());
        Assert.Equal("allowed", answer.GetProperty("code").GetString());
        var dose = answer.GetProperty("dose");
        Assert.Equal(1, dose.GetProperty("number").GetInt32());
        Assert.Equal("primary", dose.GetProperty("kind").GetString());
        Assert.Contains(dose.GetProperty("products").EnumerateArray(), p => p.GetProperty("code").GetString() == Products.Comirnaty);
        var audit = Assert.Single(await app.AuditFor(nhs));
        Assert.Equal(("eligibility.booking-check", "BookingCheck", "COVID:18+"), (audit.Action, audit.ResourceType, audit.ResourceId));
    }

    [Theory, ClassData(typeof(BothDatabases))]
    public async Task BookingCheck_SecondDoseBefore21Days_TooSoonWithTheEarliestDate(DatabaseProvider provider)
    {
        await using var app = await StartAsync(provider);
        var nhs = await app.AddPersonAsync(dateOfBirth: new DateOnly(1940, 1, 1));
        await app.RecordAsync(await app.ClientAsync(Scopes.RecordsWrite), nhs, ImmuniseApp.Now.AddDays(-10)); // Comirnaty, 10 November
        var client = await app.ClientAsync(Scopes.EligibilityRead);

        var tooSoon = await CheckAsync(client, nhs, "COVID:18%2B", "2026-11-30");
        var onTheDay = await CheckAsync(client, nhs, "COVID:18%2B", "2026-12-01");

        Assert.False(tooSoon.GetProperty("allowed").GetBoolean());
        Assert.Equal("too-soon-after-last-dose", tooSoon.GetProperty("code").GetString());
        Assert.Equal("2026-12-01", tooSoon.GetProperty("earliestDate").GetString());
        Assert.Equal(2, tooSoon.GetProperty("dose").GetProperty("number").GetInt32());
        Assert.Equal("2027-01-05", tooSoon.GetProperty("dose").GetProperty("recommended").GetString()); // 8 weeks
        Assert.Equal("allowed", onTheDay.GetProperty("code").GetString());
        Assert.Equal(2, (await app.AuditFor(nhs)).Count(a => a.Action == "eligibility.booking-check"));
    }

    [Theory, ClassData(typeof(BothDatabases))]
    public async Task BookingCheck_UnderTheCohortAgeOrUnknown_NotInOpenCohortOrPersonNotFound(DatabaseProvider provider)
    {
        await using var app = await StartAsync(provider);
        var nhs = await app.AddPersonAsync(dateOfBirth: new DateOnly(1970, 6, 1)); // 56: the campaign is for 75 and over
        var client = await app.ClientAsync(Scopes.EligibilityRead);

        var younger = await CheckAsync(client, nhs, "COVID:18%2B", "2026-11-21");
        var flu = await CheckAsync(client, nhs, "FLU:65%2B", "2026-11-21"); // no FLU campaign loaded
        var unknown = await CheckAsync(client, NhsNumber.Parse("9990000018"), "COVID:18%2B", "2026-11-21");

        Assert.Equal((false, "not-in-open-cohort"), (younger.GetProperty("allowed").GetBoolean(), younger.GetProperty("code").GetString()));
        Assert.Equal("not-in-open-cohort", flu.GetProperty("code").GetString());
        Assert.Equal("person-not-found", unknown.GetProperty("code").GetString());
        Assert.Single(await app.AuditFor(NhsNumber.Parse("9990000018")));
    }

    [Theory, ClassData(typeof(BothDatabases))]
    public async Task BookingCheck_PersonHasDied_Deceased(DatabaseProvider provider)
    {
        await using var app = await StartAsync(provider);
        var nhs = await app.AddPersonAsync(dateOfBirth: new DateOnly(1940, 1, 1));
        await using (var connection = await app.Database.Database.OpenAsync())
        {
            await connection.ExecuteAsync("UPDATE people SET date_of_death = @died WHERE nhs_number = @nhs", new { died = new DateOnly(2026, 11, 1), nhs = nhs.Value });
        }

        var client = await app.ClientAsync(Scopes.EligibilityRead);

        var answer = await CheckAsync(client, nhs, "COVID:18%2B", "2026-11-21");

        Assert.Equal((false, "deceased"), (answer.GetProperty("allowed").GetBoolean(), answer.GetProperty("code").GetString()));
    }

    [Theory, ClassData(typeof(BothDatabases))]
    public async Task BookingCheck_BadInputOrWrongScope_Returns4xxWithStableCodeAndAuditsNothing(DatabaseProvider provider)
    {
        await using var app = await StartAsync(provider);
        var nhs = await app.AddPersonAsync(dateOfBirth: new DateOnly(1940, 1, 1));
        var client = await app.ClientAsync(Scopes.EligibilityRead);
        var recordsOnly = await app.ClientAsync(Scopes.RecordsRead);

        foreach (var (query, code) in new[]
        {
            ("nhsNumber=9434765918&service=COVID:18%2B&date=2026-11-21", "invalid-nhs-number"),
            ($"nhsNumber={nhs.Value}&service=MMR:1%2B&date=2026-11-21", "invalid-service"),
            ($"nhsNumber={nhs.Value}&date=2026-11-21", "invalid-service"),
            ($"nhsNumber={nhs.Value}&service=COVID:18%2B&date=21-11-2026", "invalid-date"),
            ($"nhsNumber={nhs.Value}&service=COVID:18%2B", "invalid-date"),
            ($"nhsNumber={nhs.Value}&service=COVID:18%2B&date=2026-11-19", "date-in-past"),
        })
        {
            var response = await client.GetAsync($"/api/v1/eligibility/booking-check?{query}");

            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            Assert.Equal(code, (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("code").GetString());
        }

        var forbidden = await recordsOnly.GetAsync($"/api/v1/eligibility/booking-check?nhsNumber={nhs.Value}&service=COVID:18%2B&date=2026-11-21");
        Assert.Equal(HttpStatusCode.Forbidden, forbidden.StatusCode);
        Assert.Empty(await app.AuditFor(nhs));
    }

    private static async Task<ImmuniseApp> StartAsync(DatabaseProvider provider)
    {
        var app = await ImmuniseApp.StartAsync(provider);
        var loaded = await app.Services.GetRequiredService<CampaignStore>()
            .LoadAsync([("booking-covid.json", BookingCheckTests.CampaignJson("COVID", minimumAge: 75))], "test");
        Assert.True(loaded.Succeeded, string.Join("; ", loaded.Errors));
        return app;
    }

    private static async Task<JsonElement> CheckAsync(HttpClient client, NhsNumber nhs, string service, string date)
    {
        var response = await client.GetAsync($"/api/v1/eligibility/booking-check?nhsNumber={nhs.Value}&service={service}&date={date}");
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode}: {body}");
        return JsonSerializer.Deserialize<JsonElement>(body);
    }
}
