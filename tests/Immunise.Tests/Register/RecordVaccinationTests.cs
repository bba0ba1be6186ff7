using Immunise.Common;
using Immunise.Eligibility;
using Immunise.People;
using Immunise.Records;
using Immunise.Storage;
using Immunise.Tests.Infrastructure;
using Immunise.Vaccines;
using Dapper;

namespace Immunise.Tests.Register;

public sealed class RecordVaccinationTests
{
    private const string Comirnaty = "39115611000001103";
    private static readonly DateTimeOffset s_now = new(2026, 11, 20, 12, 0, 0, TimeSpan.Zero);

    [Theory, ClassData(typeof(BothDatabases))]
    public async Task RecordVaccination_ForKnownPerson_StoresEventAndDerivesDose(DatabaseProvider provider)
    {
        await using var db = await TestDatabase.CreateAsync(provider);
        var nhs = await AddPersonAsync(db.Database);
        var record = new RecordVaccination(db.Database, new FixedClock(s_now), VaccineCatalogue.Default);

        var first = await record.HandleAsync(Request(nhs, s_now.AddDays(-60)), "test");
        var second = await record.HandleAsync(Request(nhs, s_now.AddDays(-10)), "test");

        Assert.True(first.Succeeded, first.Failure?.Message);
        Assert.True(second.Succeeded, second.Failure?.Message);
        Assert.Equal(1, first.Value!.DoseNumber);
        Assert.Equal(2, second.Value!.DoseNumber);
        var history = await new GetVaccinationHistory(db.Database).HandleAsync(new VaccinationHistoryQuery(nhs));
        Assert.Equal([first.Value.Id, second.Value.Id], history.Select(h => h.Id));
        Assert.Equal(s_now.AddDays(-60), history[0].OccurredAt);
    }

    [Theory, ClassData(typeof(BothDatabases))]
    public async Task RecordVaccination_SameProductSameDay_IsRefusedAsDuplicate(DatabaseProvider provider)
    {
        await using var db = await TestDatabase.CreateAsync(provider);
        var nhs = await AddPersonAsync(db.Database);
        var record = new RecordVaccination(db.Database, new FixedClock(s_now), VaccineCatalogue.Default);
        await record.HandleAsync(Request(nhs, s_now.AddHours(-5)), "test");

        var again = await record.HandleAsync(Request(nhs, s_now.AddHours(-1)) with { DoseNumber = 2 }, "test");

        Assert.Equal("duplicate-vaccination", again.Failure?.Code);
    }

    [Theory, ClassData(typeof(BothDatabases))]
    public async Task RecordVaccination_SecondDoseTooSoon_IsRefused(DatabaseProvider provider)
    {
        await using var db = await TestDatabase.CreateAsync(provider);
        var nhs = await AddPersonAsync(db.Database);
        var record = new RecordVaccination(db.Database, new FixedClock(s_now), VaccineCatalogue.Default);
        await record.HandleAsync(Request(nhs, s_now.AddDays(-10)), "test");

        var second = await record.HandleAsync(Request(nhs, s_now.AddDays(-1)) with { DoseNumber = 2 }, "test");

        Assert.Equal("dose-too-soon", second.Failure?.Code);
        Assert.Single(await new GetVaccinationHistory(db.Database).HandleAsync(new VaccinationHistoryQuery(nhs)));
    }

    [Theory, ClassData(typeof(BothDatabases))]
    public async Task RecordVaccination_UnknownPerson_ReturnsNotFoundAndStoresNothing(DatabaseProvider provider)
    {
        await using var db = await TestDatabase.CreateAsync(provider);
        var record = new RecordVaccination(db.Database, new FixedClock(s_now), VaccineCatalogue.Default);

        var result = await record.HandleAsync(Request(NhsNumber.Parse("9434765919"), s_now.AddDays(-1)), "test");

        Assert.Equal(FailureKind.NotFound, result.Failure?.Kind);
        await using var connection = await db.Database.OpenAsync();
        Assert.Equal(0, await connection.ExecuteScalarAsync<int>("SELECT COUNT(*) FROM vaccination_events"));
    }

    [Theory, ClassData(typeof(BothDatabases))]
    public async Task MarkEnteredInError_HidesEventFromHistoryAndRefusesTwice(DatabaseProvider provider)
    {
        await using var db = await TestDatabase.CreateAsync(provider);
        var nhs = await AddPersonAsync(db.Database);
        var clock = new FixedClock(s_now);
        var recorded = await new RecordVaccination(db.Database, clock, VaccineCatalogue.Default).HandleAsync(Request(nhs, s_now.AddDays(-3)), "test");
        var mark = new MarkEnteredInError(db.Database, clock);

        var first = await mark.HandleAsync(recorded.Value!.Id, "wrong patient");
        var second = await mark.HandleAsync(recorded.Value.Id, null);

        Assert.Equal(VaccinationStatus.EnteredInError, first.Value?.Status);
        Assert.Equal("already-entered-in-error", second.Failure?.Code);
        Assert.Empty(await new GetVaccinationHistory(db.Database).HandleAsync(new VaccinationHistoryQuery(nhs)));
    }

    [Theory, ClassData(typeof(BothDatabases))]
    public async Task RegisterPersonData_WithHistory_AnswersAsThePersonReadAndTheHistoryQueryDoSeparately(DatabaseProvider provider)
    {
        await using var db = await TestDatabase.CreateAsync(provider);
        var nhs = await AddPersonAsync(db.Database);
        var clock = new FixedClock(s_now);
        var record = new RecordVaccination(db.Database, clock, VaccineCatalogue.Default);
        var covid1 = await record.HandleAsync(Request(nhs, s_now.AddDays(-200)), "test");
        var covid2 = await record.HandleAsync(Request(nhs, s_now.AddDays(-100)), "test");
        var flu = await record.HandleAsync(Request(nhs, s_now.AddDays(-50)) with { ProductCode = "45175511000001104" }, "test");
        var covid3 = await record.HandleAsync(Request(nhs, s_now.AddDays(-5)) with { ProductCode = "42020711000001107" }, "test");
        Assert.All(new[] { covid1, covid2, flu, covid3 }, r => Assert.True(r.Succeeded, r.Failure?.Message));
        await new MarkEnteredInError(db.Database, clock).HandleAsync(covid2.Value!.Id, "wrong patient");
        var register = new RegisterPersonData(db.Database);
        var history = new GetVaccinationHistory(db.Database);

        foreach (var disease in new[] { "COVID19", "FLU", "RSV" })
        {
            var (person, events) = await register.WithHistoryAsync(nhs, disease);

            var expected = await history.HandleAsync(new VaccinationHistoryQuery(nhs, [disease]));
            Assert.Equal(expected.Select(e => (e.Id, e.OccurredAt, e.DoseNumber, e.ProductCode)), events.Select(e => (e.Id, e.OccurredAt, e.DoseNumber, e.ProductCode)));
            var alone = await register.ForAsync(nhs);
            Assert.Equal(Shape(alone!), Shape(person!));
        }

        Assert.Equal([covid1.Value!.Id, covid3.Value!.Id], (await register.WithHistoryAsync(nhs, "COVID19")).History.Select(e => e.Id));
        var (nobody, none) = await register.WithHistoryAsync(NhsNumber.Parse("999 000 0034"), "COVID19");
        Assert.Null(nobody);
        Assert.Empty(none);

        static List<string> Shape(PersonData data) => data.Rows
            .Select(r => r.AttributeType + ": " + string.Join(",", r.Values.OrderBy(v => v.Key, StringComparer.Ordinal).Select(v => $"{v.Key}={v.Value}"))
                + "; " + string.Join(",", r.CohortMemberships.Select(c => c.Label)))
            .ToList();
    }

    private static RecordVaccinationRequest Request(NhsNumber nhs, DateTimeOffset at) =>
        new(nhs.Value, Comirnaty, at, "B87008", BatchNumber: "FK1234", BatchExpiry: new DateOnly(2027, 1, 1), Route: "intramuscular");

    private static async Task<NhsNumber> AddPersonAsync(Database database)
    {
        var nhs = NhsNumber.Parse("999 000 0018");
        await using var connection = await database.OpenAsync();
        await connection.ExecuteAsync(
            """
            INSERT INTO people (nhs_number, given_name, family_name, date_of_birth, sex, postcode, care_home_resident, created_at, updated_at)
            VALUES (@nhs, 'Ada', 'Lovelace', @dob, 'female', 'LS1 4AP', @no, @now, @now)
            """,
            new { nhs = nhs.Value, dob = new DateOnly(1950, 3, 1), no = false, now = s_now });
        return nhs;
    }
}
