using Dapper;
using Immunise.Common;
using Immunise.People;
using Immunise.Storage;
using Immunise.Tests.Infrastructure;

namespace Immunise.Tests.Import;

public sealed class PeopleImportTests
{
    private static readonly DateTimeOffset s_now = new(2026, 11, 20, 12, 0, 0, TimeSpan.Zero);

    private const string Header =
        "nhs_number,given_name,family_name,date_of_birth,sex,postcode,gp_practice_code,ethnicity,care_home,clinical_risk_groups,occupation,mobile,email,address,date_of_death";

    // Lines 2-4 are good; every other line is bad in exactly one way. Line numbers count the header as line 1.
    private static readonly string[] s_rows =
    [
        "9990000018,Ada,Lovelace,1950-03-01,F,ls1 4ap,B87008,A,yes,DIABETES|chronic_heart,UNPAID_CARER,07700 900123,ada@example.com,\"1 Park Road, Leeds\",",
        "9990000026,Alan,Turing,1912-06-23,male,SW1A 1AA,,C,0,,,+447700900456,,,1954-06-07",
        "9990000034,Grace,Hopper,2001-12-09,2,M1 1AE,,,,,,,,,",
        ",No,Number,1950-01-01,F,LS1 4AP,,,,,,,,,",                         // 5 missing-field
        "9990000019,Bad,Check,1950-01-01,F,LS1 4AP,,,,,,,,,",               // 6 invalid-nhs-number
        "9990000042,Bad,Date,1950-02-30,F,LS1 4AP,,,,,,,,,",                // 7 invalid-date
        "9990000050,Future,Born,2030-01-01,F,LS1 4AP,,,,,,,,,",             // 8 date-of-birth-in-future
        "9990000069,Too,Old,1879-12-31,F,LS1 4AP,,,,,,,,,",                 // 9 date-of-birth-too-early
        "9990000077,Dead,Early,1950-01-01,F,LS1 4AP,,,,,,,,,1949-01-01",    // 10 date-of-death-before-birth
        "9990000085,Dead,Later,1950-01-01,F,LS1 4AP,,,,,,,,,2027-01-01",    // 11 date-of-death-in-future
        "9990000093,Odd,Sex,1950-01-01,Q,LS1 4AP,,,,,,,,,",                 // 12 unknown-sex
        "9990000107,Odd,Ethnicity,1950-01-01,F,LS1 4AP,,Q,,,,,,,",          // 13 unknown-ethnicity
        "9990000115,Odd,Risk,1950-01-01,F,LS1 4AP,,,,DIABETIS,,,,,",        // 14 unknown-clinical-risk-group
        "9990000123,Odd,Job,1950-01-01,F,LS1 4AP,,,,,ASTRONAUT,,,,",        // 15 unknown-occupation
        "9990000131,Bad,Postcode,1950-01-01,F,NOT A POSTCODE,,,,,,,,,",     // 16 invalid-postcode
        "9990000158,Bad,CareHome,1950-01-01,F,LS1 4AP,,,maybe,,,,,,",       // 17 invalid-care-home
        $"9990000166,{new string('x', 101)},Long,1950-01-01,F,LS1 4AP,,,,,,,,,", // 18 value-too-long
        "9990000174,Bad,Email,1950-01-01,F,LS1 4AP,,,,,,,not-an-email,,",   // 19 invalid-email
        "9990000182,Bad,Mobile,1950-01-01,F,LS1 4AP,,,,,,01132 496000,,,",  // 20 invalid-mobile
        "9990000018,Ada,Again,1950-03-01,F,LS1 4AP,,,,,,,,,",               // 21 duplicate-nhs-number
        "9990000190,Bad\"Quote,X,1950-01-01,F,LS1 4AP,,,,,,,,,",            // 22 malformed-row
        "9990000204,Too,Few,1950-01-01",                                     // 23 malformed-row
    ];

    private static readonly (long Line, string Code)[] s_expectedRejections =
    [
        (5, "missing-field"), (6, "invalid-nhs-number"), (7, "invalid-date"), (8, "date-of-birth-in-future"),
        (9, "date-of-birth-too-early"), (10, "date-of-death-before-birth"), (11, "date-of-death-in-future"), (12, "unknown-sex"),
        (13, "unknown-ethnicity"), (14, "unknown-clinical-risk-group"), (15, "unknown-occupation"), (16, "invalid-postcode"),
        (17, "invalid-care-home"), (18, "value-too-long"), (19, "invalid-email"), (20, "invalid-mobile"),
        (21, "duplicate-nhs-number"), (22, "malformed-row"), (23, "malformed-row"),
    ];

    [Theory, ClassData(typeof(BothDatabases))]
    public async Task ImportPeople_GoodAndBadRows_StoresGoodRowsAndRejectsEachBadRowByLine(DatabaseProvider provider)
    {
        await using var db = await TestDatabase.CreateAsync(provider);
        var rejectsText = new StringWriter();

        ImportSummary summary;
        await using (var rejects = new RejectsWriter(rejectsText))
        {
            summary = Succeeded(await Import(db).ImportCsvAsync(Csv(s_rows.Select(StripComment)), rejects));
        }

        Assert.Equal((22, 3, 0, 0, 19), (summary.Read, summary.Inserted, summary.Updated, summary.Unchanged, summary.Rejected));
        Assert.Equal(s_expectedRejections, summary.Rejections.Select(r => (r.Line, r.Code)).ToArray());
        Assert.Contains("the check digit does not match", summary.Rejections.Single(r => r.Line == 6).Message, StringComparison.Ordinal);
        Assert.Contains("DIABETIS", summary.Rejections.Single(r => r.Line == 14).Message, StringComparison.Ordinal);
        var rejectLines = rejectsText.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("line,nhs_number,reason", rejectLines[0]);
        Assert.StartsWith("6,,invalid-nhs-number: NHS number is not valid: the check digit does not match.", rejectLines[2], StringComparison.Ordinal);
        Assert.DoesNotContain("Lovelace", rejectsText.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("999000", rejectsText.ToString(), StringComparison.Ordinal);

        var ada = await new GetPerson(db.Database).HandleAsync(NhsNumber.Parse("9990000018"));
        Assert.NotNull(ada);
        Assert.Equal(("Lovelace", "LS1 4AP", "B87008", "A", true), (ada.FamilyName, ada.Postcode, ada.GpPracticeCode, ada.Ethnicity, ada.CareHomeResident));
        Assert.Equal(["CHRONIC_HEART", "DIABETES"], ada.ClinicalRiskGroups);
        Assert.Equal(["UNPAID_CARER"], ada.Occupations);
        Assert.Equal(("+447700900123", "ada@example.com", "1 Park Road, Leeds"), (ada.Mobile, ada.Email, ada.Address));
        var alan = await new GetPerson(db.Database).HandleAsync(NhsNumber.Parse("9990000026"));
        Assert.Equal(new DateOnly(1954, 6, 7), alan?.DateOfDeath);
        Assert.Equal(3, await CountAsync(db, "SELECT COUNT(*) FROM people"));
    }

    [Theory, ClassData(typeof(BothDatabases))]
    public async Task ImportPeople_SameFileTwice_SecondRunChangesNothing(DatabaseProvider provider)
    {
        await using var db = await TestDatabase.CreateAsync(provider);
        var clock = new FixedClock(s_now);
        Succeeded(await new ImportPeople(db.Database, clock).ImportCsvAsync(Csv(s_rows[..3])));
        var before = await UpdatedAtAsync(db);
        clock.Advance(TimeSpan.FromDays(1));

        var again = Succeeded(await new ImportPeople(db.Database, clock).ImportCsvAsync(Csv(s_rows[..3])));

        Assert.Equal((3, 0, 0, 3, 0), (again.Read, again.Inserted, again.Updated, again.Unchanged, again.Rejected));
        Assert.Equal(before, await UpdatedAtAsync(db));
    }

    [Theory, ClassData(typeof(BothDatabases))]
    public async Task ImportPeople_OneFieldChanged_ReportsOneUpdatedAndTouchesOnlyThatRow(DatabaseProvider provider)
    {
        await using var db = await TestDatabase.CreateAsync(provider);
        var clock = new FixedClock(s_now);
        Succeeded(await new ImportPeople(db.Database, clock).ImportCsvAsync(Csv(s_rows[..3])));
        clock.Advance(TimeSpan.FromDays(1));
        var changed = s_rows[..3].ToArray();
        changed[1] = changed[1].Replace("SW1A 1AA", "SW1A 2AA", StringComparison.Ordinal);

        var summary = Succeeded(await new ImportPeople(db.Database, clock).ImportCsvAsync(Csv(changed)));

        Assert.Equal((0, 1, 2), (summary.Inserted, summary.Updated, summary.Unchanged));
        Assert.Equal("SW1A 2AA", (await new GetPerson(db.Database).HandleAsync(NhsNumber.Parse("9990000026")))?.Postcode);
        await using var connection = await db.Database.OpenAsync();
        var touched = await connection.QueryAsync<string>("SELECT nhs_number FROM people WHERE updated_at > created_at");
        Assert.Equal(["9990000026"], touched);
    }

    [Theory, ClassData(typeof(BothDatabases))]
    public async Task ImportPeople_ManySmallBatches_GivesTheSameResultAsOne(DatabaseProvider provider)
    {
        await using var db = await TestDatabase.CreateAsync(provider);
        var import = new ImportPeople(db.Database, new FixedClock(s_now)) { BatchSize = 2 };

        var summary = Succeeded(await import.ImportCsvAsync(Csv(s_rows)));
        var again = Succeeded(await import.ImportCsvAsync(Csv(s_rows)));

        Assert.Equal((22, 3, 0, 0, 19), (summary.Read, summary.Inserted, summary.Updated, summary.Unchanged, summary.Rejected));
        Assert.Equal(s_expectedRejections, summary.Rejections.Select(r => (r.Line, r.Code)).ToArray());
        Assert.Equal((0, 0, 3), (again.Inserted, again.Updated, again.Unchanged));
    }

    [Fact]
    public async Task ImportPeople_MissingRequiredColumns_FailsUpFrontNamingThem()
    {
        await using var db = await TestDatabase.CreateAsync(DatabaseProvider.Sqlite);

        var result = await Import(db).ImportCsvAsync(new StringReader("nhs_number,given_name,sex\n9990000018,Ada,F\n"));

        Assert.Equal("missing-columns", result.Failure?.Code);
        Assert.Contains("family_name, date_of_birth, postcode", result.Failure?.Message, StringComparison.Ordinal);
        Assert.Equal(0, await CountAsync(db, "SELECT COUNT(*) FROM people"));
    }

    [Fact]
    public async Task ImportPeople_ColumnsInAnyOrderAndAnyCase_AreRead()
    {
        await using var db = await TestDatabase.CreateAsync(DatabaseProvider.Sqlite);

        var summary = Succeeded(await Import(db).ImportCsvAsync(new StringReader(
            "Postcode,SEX,Date_Of_Birth,Family_Name,Given_Name,NHS_Number\r\nLS1 4AP,F,1950-03-01,Lovelace,Ada,999 000 0018\r\n")));

        Assert.Equal(1, summary.Inserted);
        Assert.Equal("Lovelace", (await new GetPerson(db.Database).HandleAsync(NhsNumber.Parse("9990000018")))?.FamilyName);
    }

    internal static TextReader Csv(IEnumerable<string> rows) => new StringReader(Header + "\n" + string.Join("\n", rows) + "\n");

    internal static T Succeeded<T>(Result<T> result) => result.Succeeded ? result.Value! : throw new Xunit.Sdk.XunitException(result.Failure!.Message);

    private ImportPeople Import(TestDatabase db) => new(db.Database, new FixedClock(s_now));

    private static string StripComment(string row) => row;

    private static async Task<long> CountAsync(TestDatabase db, string sql)
    {
        await using var connection = await db.Database.OpenAsync();
        return await connection.ExecuteScalarAsync<long>(sql);
    }

    private static async Task<List<(string, DateTimeOffset)>> UpdatedAtAsync(TestDatabase db)
    {
        await using var connection = await db.Database.OpenAsync();
        return (await connection.QueryAsync<(string, DateTimeOffset)>("SELECT nhs_number, updated_at FROM people ORDER BY nhs_number")).ToList();
    }
}
