using Dapper;
using Immunise.Common;
using Immunise.People;
using Immunise.Records;
using Immunise.Storage;
using Immunise.Tests.Infrastructure;
using Immunise.Vaccines;

namespace Immunise.Tests.Import;

public sealed class VaccinationImportTests
{
    private const string Comirnaty = "39115611000001103";
    private const string Header = "event_id,nhs_number,product_code,dose_number,occurred_at,site_ods_code,batch_number,batch_expiry,route,body_site,performer,target_disease";
    private static readonly DateTimeOffset s_now = new(2026, 11, 20, 12, 0, 0, TimeSpan.Zero);

    private static readonly string[] s_rows =
    [
        $"ev-1,9990000018,{Comirnaty},1,2021-03-01T10:15:00Z,B87008,FK1234,2021-06-01,intramuscular,left-upper-arm,,COVID19", // 2 good
        $"ev-2,9990000018,{Comirnaty},2,2021-05-01T10:15:00+01:00,B87008,,,,,,",                                          // 3 good
        $"ev-3,9990000026,{Comirnaty},1,2021-04-01 09:00,B87008,,,,,,",                                                   // 4 good (London time)
        $"ev-4,9990000034,{Comirnaty},1,2021-03-01T10:15:00Z,B87008,,,,,,",                                              // 5 person-not-found
        "ev-5,9990000018,12345,1,2021-03-02T10:15:00Z,B87008,,,,,,",                                                      // 6 unknown-product
        $"ev-6,9990000018,{Comirnaty},3,2027-01-01T10:15:00Z,B87008,,,,,,",                                              // 7 occurred-in-future
        $"ev-7,9990000018,{Comirnaty},3,2021-03-01T18:00:00Z,B87008,,,,,,",                                              // 8 duplicate-vaccination (same day as ev-1)
        $"bad id!,9990000018,{Comirnaty},3,2021-09-01T10:00:00Z,B87008,,,,,,",                                           // 9 invalid-event-id
        $"ev-1,9990000026,{Comirnaty},2,2021-07-01T10:00:00Z,B87008,,,,,,",                                              // 10 duplicate-event-id
        $"ev-8,9990000026,{Comirnaty},2,yesterday,B87008,,,,,,",                                                         // 11 invalid-date-time
    ];

    [Theory, ClassData(typeof(BothDatabases))]
    public async Task ImportVaccinations_GoodAndBadRows_StoresGoodRowsAndRejectsEachBadRow(DatabaseProvider provider)
    {
        await using var db = await TestDatabase.CreateAsync(provider);
        await AddPeopleAsync(db.Database);
        await AddExistingEventAsync(db.Database);

        var summary = PeopleImportTests.Succeeded(await (new ImportVaccinations(db.Database, new FixedClock(s_now), VaccineCatalogue.Default) { BatchSize = 2 })
            .ImportCsvAsync(Csv(s_rows), "jan.csv"));

        Assert.Equal((10, 3, 0, 0, 7), (summary.Read, summary.Inserted, summary.Updated, summary.Unchanged, summary.Rejected));
        Assert.Equal(
            [(5L, "person-not-found"), (6, "unknown-product"), (7, "occurred-in-future"), (8, "duplicate-vaccination"), (9, "invalid-event-id"),
             (10, "duplicate-event-id"), (11, "invalid-date-time")],
            summary.Rejections.Select(r => (r.Line, r.Code)).ToArray());
        var history = await new GetVaccinationHistory(db.Database).HandleAsync(new VaccinationHistoryQuery(NhsNumber.Parse("9990000018")));
        Assert.Equal(["ev-1", "ev-2"], history.Select(h => h.Id));
        Assert.Equal(("FK1234", new DateOnly(2021, 6, 1), "78421000", "import:jan.csv"), (history[0].BatchNumber, history[0].BatchExpiry, history[0].RouteCode, history[0].RecordedBy));
        Assert.Equal(new DateTimeOffset(2021, 5, 1, 9, 15, 0, TimeSpan.Zero), history[1].OccurredAt);
        var alan = await new GetVaccinationHistory(db.Database).HandleAsync(new VaccinationHistoryQuery(NhsNumber.Parse("9990000026")));
        Assert.Equal(new DateTimeOffset(2021, 4, 1, 8, 0, 0, TimeSpan.Zero), alan.Single(e => e.Id == "ev-3").OccurredAt);
    }

    [Theory, ClassData(typeof(BothDatabases))]
    public async Task ImportVaccinations_ExistingEventSameDayDifferentId_IsRejectedAndRestOfBatchStored(DatabaseProvider provider)
    {
        await using var db = await TestDatabase.CreateAsync(provider);
        await AddPeopleAsync(db.Database);
        await AddExistingEventAsync(db.Database);

        var summary = PeopleImportTests.Succeeded(await Import(db).ImportCsvAsync(Csv(
        [
            $"ev-9,9990000026,{Comirnaty},1,2021-02-01T10:00:00Z,B87008,,,,,,",
            $"ev-10,9990000026,{Comirnaty},2,2021-05-01T10:00:00Z,B87008,,,,,,",
        ]), "feb.csv"));

        Assert.Equal((1, 1), (summary.Inserted, summary.Rejected));
        Assert.Equal((3L, "duplicate-vaccination"), (summary.Rejections[0].Line, summary.Rejections[0].Code));
    }

    [Theory, ClassData(typeof(BothDatabases))]
    public async Task ImportVaccinations_SameFileTwice_SecondRunChangesNothing(DatabaseProvider provider)
    {
        await using var db = await TestDatabase.CreateAsync(provider);
        await AddPeopleAsync(db.Database);
        PeopleImportTests.Succeeded(await Import(db).ImportCsvAsync(Csv(s_rows[..3]), "a.csv"));

        var again = PeopleImportTests.Succeeded(await Import(db).ImportCsvAsync(Csv(s_rows[..3]), "a.csv"));
        var changed = PeopleImportTests.Succeeded(await Import(db).ImportCsvAsync(Csv([.. s_rows[..2], s_rows[2].Replace("B87008", "Y12345", StringComparison.Ordinal)]), "b.csv"));

        Assert.Equal((0, 0, 3, 0), (again.Inserted, again.Updated, again.Unchanged, again.Rejected));
        Assert.Equal((0, 1, 2), (changed.Inserted, changed.Updated, changed.Unchanged));
        Assert.Equal("Y12345", (await new GetVaccinationHistory(db.Database).FindAsync("ev-3"))?.SiteOdsCode);
    }

    [Theory, ClassData(typeof(BothDatabases))]
    public async Task Export_ThenImportIntoEmptyDatabase_GivesTheSameData(DatabaseProvider provider)
    {
        await using var source = await TestDatabase.CreateAsync(provider);
        await using var target = await TestDatabase.CreateAsync(provider);
        var clock = new FixedClock(s_now);
        PeopleImportTests.Succeeded(await new ImportPeople(source.Database, clock).ImportCsvAsync(PeopleImportTests.Csv(
        [
            "9990000018,Ada,\"Lovelace, Countess\",1950-03-01,F,LS1 4AP,B87008,A,yes,DIABETES|CHRONIC_HEART,UNPAID_CARER,07700900123,ada@example.com,\"1 \"\"Park\"\" Road\",",
            "9990000026,Alan,Turing,1942-06-23,male,SW1A 1AA,,,,,,,,,2025-06-07",
        ])));
        await AddPeopleAsync(source.Database, onlyIfMissing: true);
        PeopleImportTests.Succeeded(await Import(source).ImportCsvAsync(Csv(s_rows[..3]), "a.csv"));

        var people = new StringWriter();
        var vaccinations = new StringWriter();
        await new ExportPeople(source.Database).HandleAsync(people);
        await new ExportVaccinations(source.Database).HandleAsync(vaccinations);
        var importedPeople = PeopleImportTests.Succeeded(await new ImportPeople(target.Database, clock).ImportCsvAsync(new StringReader(people.ToString())));
        var importedEvents = PeopleImportTests.Succeeded(await Import(target).ImportCsvAsync(new StringReader(vaccinations.ToString()), "export.csv"));

        Assert.Equal((2, 0), (importedPeople.Inserted, importedPeople.Rejected));
        Assert.Equal((3, 0), (importedEvents.Inserted, importedEvents.Rejected));
        foreach (var nhs in new[] { "9990000018", "9990000026" })
        {
            var number = NhsNumber.Parse(nhs);
            var before = await new GetPerson(source.Database).HandleAsync(number);
            var after = await new GetPerson(target.Database).HandleAsync(number);
            Assert.Equal(Describe(before!), Describe(after!));
            var eventsBefore = await new GetVaccinationHistory(source.Database).HandleAsync(new VaccinationHistoryQuery(number));
            var eventsAfter = await new GetVaccinationHistory(target.Database).HandleAsync(new VaccinationHistoryQuery(number));
            Assert.Equal(eventsBefore.Select(e => e with { RecordedBy = "", RecordedAt = default }), eventsAfter.Select(e => e with { RecordedBy = "", RecordedAt = default }));
        }
    }

    private static string Describe(Person p) =>
        $"{p with { ClinicalRiskGroups = [], Occupations = [] }}|{string.Join(';', p.ClinicalRiskGroups)}|{string.Join(';', p.Occupations)}";

    private static ImportVaccinations Import(TestDatabase db) => new(db.Database, new FixedClock(s_now), VaccineCatalogue.Default);

    private static TextReader Csv(IEnumerable<string> rows) =>
        new StringReader(Header + "\n" + string.Join("\n", rows.Select(r => r.Split("  //")[0].TrimEnd())) + "\n");

    private static async Task AddPeopleAsync(Database database, bool onlyIfMissing = false)
    {
        await using var connection = await database.OpenAsync();
        foreach (var nhs in new[] { "9990000018", "9990000026" })
        {
            await connection.ExecuteAsync(
                $"""
                INSERT INTO people (nhs_number, given_name, family_name, date_of_birth, sex, postcode, care_home_resident, created_at, updated_at)
                VALUES (@nhs, 'Test', 'Person', @dob, 'female', 'LS1 4AP', @no, @now, @now) {(onlyIfMissing ? "ON CONFLICT (nhs_number) DO NOTHING" : "")}
                """,
                new { nhs, dob = new DateOnly(1950, 3, 1), no = false, now = s_now });
        }
    }

    private static async Task AddExistingEventAsync(Database database)
    {
        // Already in the register: Comirnaty for 9990000026 on 1 May 2021, as "ev-old".
        var result = await new RecordVaccination(database, new FixedClock(s_now), VaccineCatalogue.Default).HandleAsync(
            new RecordVaccinationRequest("9990000026", Comirnaty, new DateTimeOffset(2021, 5, 1, 9, 0, 0, TimeSpan.Zero), "B87008", 1), "test");
        Assert.True(result.Succeeded, result.Failure?.Message);
    }
}
