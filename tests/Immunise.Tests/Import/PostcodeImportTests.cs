using Dapper;
using Immunise.Geography;
using Immunise.Storage;
using Immunise.Tests.Infrastructure;

namespace Immunise.Tests.Import;

public sealed class PostcodeImportTests
{
    [Theory, ClassData(typeof(BothDatabases))]
    public async Task ImportPostcodes_OnspdFormat_MapsOnsCodesToOdsAndDerivesDecileAndTermination(DatabaseProvider provider)
    {
        await using var db = await TestDatabase.CreateAsync(provider);
        var onspd = string.Join("\n",
            "pcd,pcd2,pcds,dointr,doterm,lat,long,nhser,icb,lsoa11,lsoa21,imd",
            "LS1  4AP,LS1  4AP,LS1 4AP,198001,,53.796,-1.548,E40000012,E54000054,E01011364,E01033010,1",      // West Yorkshire, most deprived
            "SW1A1AA,SW1A 1AA,SW1A 1AA,198001,,51.501,-0.141,E40000003,E54000027,E01004736,E01004736,32844", // London, least deprived
            "LS1  9ZZ,LS1  9ZZ,LS1 9ZZ,198001,200912,53.8,-1.55,E40000012,E54000054,E01011364,,16000",       // terminated Dec 2009
            "CF10 1AA,CF10 1AA,CF10 1AA,198001,,51.48,-3.18,W92000004,W11000028,W01001939,W01001939,100",    // Wales: no English region
            "ZZ9 9ZZ,ZZ9 9ZZ,ZZ9 9ZZ,198001,,99.999999,0.000000,,,,,",                                       // no grid reference
            "") + "\n";

        var summary = PeopleImportTests.Succeeded(await new ImportPostcodes(db.Database).ImportCsvAsync(new StringReader(onspd)));

        Assert.Equal((5, 4, 1), (summary.Read, summary.Inserted, summary.Rejected));
        Assert.Equal((6L, "no-grid-reference"), (summary.Rejections[0].Line, summary.Rejections[0].Code));
        await using var connection = await db.Database.OpenAsync();
        var rows = (await connection.QueryAsync<(string Postcode, string? Region, string? Icb, string? Lsoa, int? Decile, DateOnly? Terminated)>(
            "SELECT postcode, region_ods_code, icb_ods_code, lsoa_code, deprivation_decile, terminated_on FROM postcodes ORDER BY postcode")).ToList();
        Assert.Equal(
        [
            ("CF10 1AA", null, null, "W01001939", null, null),
            ("LS1 4AP", "Y63", "QWO", "E01033010", 1, null),
            ("LS1 9ZZ", "Y63", "QWO", "E01011364", 5, new DateOnly(2009, 12, 1)),
            ("SW1A 1AA", "Y56", ReferenceGeography.Default.FindIcb("E54000027")?.OdsCode, "E01004736", 10, null),
        ], rows);
    }

    [Theory, ClassData(typeof(BothDatabases))]
    public async Task ImportPostcodes_SimpleFormatTwice_SecondRunChangesNothing(DatabaseProvider provider)
    {
        await using var db = await TestDatabase.CreateAsync(provider);
        const string Csv = "postcode,latitude,longitude,region,icb,lsoa,deprivation_decile\nls14ap,53.796,-1.548,Y63,QWO,E01033010,3\n";
        PeopleImportTests.Succeeded(await new ImportPostcodes(db.Database).ImportCsvAsync(new StringReader(Csv)));

        var again = PeopleImportTests.Succeeded(await new ImportPostcodes(db.Database).ImportCsvAsync(new StringReader(Csv)));

        Assert.Equal((0, 0, 1), (again.Inserted, again.Updated, again.Unchanged));
    }

    [Fact]
    public void SyntheticPostcodeDirectory_SameSeed_IsDeterministicUniqueAndCoversEveryIcb()
    {
        var first = SyntheticPostcodeDirectory.Generate(5).ToList();
        var second = SyntheticPostcodeDirectory.Generate(5).ToList();

        Assert.Equal(first, second);
        Assert.Equal(first.Count, first.Select(p => p.Postcode).Distinct().Count());
        Assert.All(first, p => Assert.True(Postcode.TryNormalise(p.Postcode, out var canonical) && canonical == p.Postcode, p.Postcode));
        Assert.All(first, p => Assert.Matches("^[0-9][ABDEFGHJLNPQRSTUWXYZ]{2}$", p.Postcode.Split(' ')[1]));
        Assert.Equal(ReferenceGeography.Default.Icbs.Select(i => i.OdsCode).Order(), first.Select(p => p.IcbOdsCode!).Distinct().Order());
        Assert.All(first, p => Assert.InRange(p.DeprivationDecile ?? 0, 1, 10));
    }
}
